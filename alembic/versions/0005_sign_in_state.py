"""Sessions and failed sign-ins in the database, shared by every worker process (infrastructure/sign_in.py).

Revision ID: 0005_sign_in_state
Revises: 0004_catalogue_covering_order
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_sign_in_state"
down_revision = "0004_catalogue_covering_order"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("sid_sha256", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("opened_at", sa.Float, nullable=False),
        sa.Column("seen_at", sa.Float, nullable=False),
    )
    op.create_index("ix_web_sessions_user_id", "web_sessions", ["user_id"])
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_index("ix_login_failures_key", "login_failures", ["key"])


def downgrade() -> None:
    op.drop_table("login_failures")
    op.drop_table("web_sessions")
