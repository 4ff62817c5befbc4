"""三员分立: the administration log the security auditor reviews, and the directory of accounts the administrators
list (projections of the User events; the 'administration' projection fills them from the first event on).

Revision ID: 0007_administration
Revises: 0006_search_log_ceiling
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_administration"
down_revision = "0006_search_log_ceiling"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_log",
        sa.Column("stream_id", sa.String(36), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(40), nullable=False),
        sa.Column("actor_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("reason", sa.Text),
    )
    op.create_index("ix_admin_log_at", "admin_log", ["at"])
    op.create_index("ix_admin_log_actor", "admin_log", ["actor_id"])
    op.create_table(
        "user_directory",
        sa.Column("user_id", sa.String(36), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("roles", sa.JSON, nullable=False),
        sa.Column("clearance", sa.SmallInteger, nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("must_change_password", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.String(40), nullable=False),
    )
    op.create_index("ix_user_directory_username", "user_directory", ["username"])


def downgrade() -> None:
    op.drop_table("user_directory")
    op.drop_table("admin_log")
