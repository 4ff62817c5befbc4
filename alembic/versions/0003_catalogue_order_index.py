"""Catalogue list in 档号 order without sorting the whole table: an index in the list's own order.

Revision ID: 0003_catalogue_order_index
Revises: 0002_catalogue_and_logs
Create Date: 2026-11-25
"""

from alembic import op

revision = "0003_catalogue_order_index"
down_revision = "0002_catalogue_and_logs"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_catalogue_code_order", "catalogue", ["fonds", "category", "year", "org", "item", "record_id"])


def downgrade() -> None:
    op.drop_index("ix_catalogue_code_order", table_name="catalogue")
