"""Read models: catalogue, pages, workflow steps, access log, search log.

Revision ID: 0002_catalogue_and_logs
Revises: 0001_ledger
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_catalogue_and_logs"
down_revision = "0001_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "catalogue",
        sa.Column("record_id", sa.String(36), primary_key=True),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("medium", sa.String(16), nullable=False),
        sa.Column("code", sa.String(64), unique=True),
        sa.Column("fonds", sa.String(16)),
        sa.Column("category", sa.String(8)),
        sa.Column("year", sa.Integer),
        sa.Column("org", sa.String(16)),
        sa.Column("item", sa.Integer),
        sa.Column("classification", sa.String(200)),
        sa.Column("retention", sa.String(8)),
        sa.Column("security", sa.SmallInteger, nullable=False),
        sa.Column("doc_number", sa.String(100)),
        sa.Column("responsible", sa.String(200)),
        sa.Column("date", sa.Date),
        sa.Column("page_count", sa.Integer, nullable=False),
        sa.Column("ocr_status", sa.String(16), nullable=False),
        sa.Column("storage_status", sa.String(16), nullable=False),
        sa.Column("transfer_id", sa.String(36)),
        sa.Column("metadata", sa.JSON, nullable=False),
        sa.Column("created_at", sa.String(40), nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.create_index("ix_catalogue_state_security", "catalogue", ["state", "security"])
    op.create_index("ix_catalogue_class", "catalogue", ["fonds", "category", "year", "org"])
    op.create_table(
        "catalogue_pages",
        sa.Column("record_id", sa.String(36), primary_key=True),
        sa.Column("no", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("derivative_sha256", sa.String(64)),
        sa.Column("qc_status", sa.String(16), nullable=False),
        sa.Column("qc_reasons", sa.JSON, nullable=False),
    )
    op.create_table(
        "record_steps",
        sa.Column("record_id", sa.String(36), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
    )
    op.create_table(
        "access_log",
        sa.Column("log_id", sa.String(36), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("user_group", sa.String(32), nullable=False),
        sa.Column("record_id", sa.String(36)),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("purpose", sa.Text),
        sa.Column("category", sa.String(8)),
    )
    op.create_index("ix_access_log_record", "access_log", ["record_id"])
    op.create_index("ix_access_log_day", "access_log", ["day"])
    op.create_table(
        "search_log",
        sa.Column("log_id", sa.String(36), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("user_group", sa.String(32), nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("filters", sa.JSON, nullable=False),
        sa.Column("hits", sa.Integer, nullable=False),
    )
    op.create_index("ix_search_log_day", "search_log", ["day"])


def downgrade() -> None:
    for table in ("search_log", "access_log", "record_steps", "catalogue_pages", "catalogue"):
        op.drop_table(table)
