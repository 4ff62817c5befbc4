"""Read-model tables (created and changed only by the Alembic migrations in alembic/versions)."""

from sqlalchemy import JSON, Boolean, Column, Date, Index, Integer, MetaData, SmallInteger, String, Table, Text

metadata = MetaData()

# One row per record: what the catalogue, the queues and the classification tree read.
catalogue = Table(
    "catalogue",
    metadata,
    Column("record_id", String(36), primary_key=True),
    Column("state", String(24), nullable=False),
    Column("title", Text, nullable=False),
    Column("source", String(200), nullable=False),
    Column("medium", String(16), nullable=False),
    Column("code", String(64), unique=True),
    Column("fonds", String(16)),
    Column("category", String(8)),
    Column("year", Integer),
    Column("org", String(16)),
    Column("item", Integer),
    Column("classification", String(200)),
    Column("retention", String(8)),
    Column("security", SmallInteger, nullable=False),
    Column("doc_number", String(100)),
    Column("responsible", String(200)),
    Column("date", Date),
    Column("page_count", Integer, nullable=False),
    Column("ocr_status", String(16), nullable=False),
    Column("storage_status", String(16), nullable=False),
    Column("transfer_id", String(36)),
    Column("metadata", JSON, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    Column("version", Integer, nullable=False),
    Index("ix_catalogue_state_security", "state", "security"),
    # 档号 order with the security level: list pages and tree counts are answered from the index (migration 0004).
    Index("ix_catalogue_code_order", "fonds", "category", "year", "org", "item", "record_id", "security"),
)

catalogue_pages = Table(
    "catalogue_pages",
    metadata,
    Column("record_id", String(36), primary_key=True),
    Column("no", Integer, primary_key=True, autoincrement=False),
    Column("sha256", String(64), nullable=False),
    Column("derivative_sha256", String(64)),
    Column("qc_status", String(16), nullable=False),
    Column("qc_reasons", JSON, nullable=False),
)

# Every state a record passed through, and when: the basis of the service timings.
record_steps = Table(
    "record_steps",
    metadata,
    Column("record_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("state", String(24), nullable=False),
    Column("at", String(40), nullable=False),
    Column("actor", String(64), nullable=False),
)

# Who looked at or searched for what (DESIGN §3: accesses and searches are events; these are their projections).
access_log = Table(
    "access_log",
    metadata,
    Column("log_id", String(36), primary_key=True),  # the ActivityLog stream and version of the event
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),
    Column("day", String(10), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("user_group", String(32), nullable=False),
    Column("record_id", String(36)),
    Column("action", String(16), nullable=False),  # viewed | downloaded | denied
    Column("purpose", Text),
    Column("category", String(8)),
    Index("ix_access_log_record", "record_id"),
    Index("ix_access_log_day", "day"),
)

search_log = Table(
    "search_log",
    metadata,
    Column("log_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),
    Column("day", String(10), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("user_group", String(32), nullable=False),
    Column("query", Text, nullable=False),
    Column("filters", JSON, nullable=False),
    Column("hits", Integer, nullable=False),
    # The highest security level the hits could include; NULL for searches logged before it was (migration 0006).
    Column("ceiling", SmallInteger),
    Index("ix_search_log_day", "day"),
)

# 三员分立: what was done to accounts and schemes, by whom (the security auditor's page), and the accounts themselves.
admin_log = Table(
    "admin_log",
    metadata,
    Column("stream_id", String(36), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("at", String(40), nullable=False),
    Column("actor_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),  # user | scheme
    Column("action", String(40), nullable=False),  # the event: Registered, RoleGranted, ClearanceChanged…
    Column("target", String(200), nullable=False),  # the user name or the fonds
    Column("details", JSON, nullable=False),
    Column("reason", Text),
    Index("ix_admin_log_at", "at"),
    Index("ix_admin_log_actor", "actor_id"),
)

user_directory = Table(
    "user_directory",
    metadata,
    Column("user_id", String(36), primary_key=True),
    Column("username", String(64), nullable=False),
    Column("roles", JSON, nullable=False),
    Column("clearance", SmallInteger, nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("must_change_password", Boolean, nullable=False),
    Column("updated_at", String(40), nullable=False),
    Index("ix_user_directory_username", "username"),
)
