"""The search log keeps the highest security level each search's hits could include, so that a compliance officer
cleared lower is not shown a count over records above their clearance (DESIGN §6: not even in counts).

Searches logged before this have no ceiling (NULL): their counts are shown only to officers cleared 绝密.

Revision ID: 0006_search_log_ceiling
Revises: 0005_sign_in_state
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_search_log_ceiling"
down_revision = "0005_sign_in_state"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode (alembic/env.py): SQLite copies the table, PostgreSQL alters it in place.
    with op.batch_alter_table("search_log") as table:
        table.add_column(sa.Column("ceiling", sa.SmallInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("search_log") as table:
        table.drop_column("ceiling")
