"""Full-text search (tantivy)."""
