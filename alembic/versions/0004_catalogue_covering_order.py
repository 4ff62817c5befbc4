"""Catalogue pages deep in the list without reading the rows they skip: the 档号-order index also holds the
security level, so a page's keys are found (clearance applied, OFFSET skipped) from the index alone and only the
50 rows shown are read. The classification index is a prefix of it and goes.

Revision ID: 0004_catalogue_covering_order
Revises: 0003_catalogue_order_index
Create Date: 2026-11-25
"""

from alembic import op

revision = "0004_catalogue_covering_order"
down_revision = "0003_catalogue_order_index"
branch_labels = None
depends_on = None

ORDER = ["fonds", "category", "year", "org", "item", "record_id"]


def upgrade() -> None:
    op.drop_index("ix_catalogue_code_order", table_name="catalogue")
    op.drop_index("ix_catalogue_class", table_name="catalogue")
    op.create_index("ix_catalogue_code_order", "catalogue", [*ORDER, "security"])


def downgrade() -> None:
    op.drop_index("ix_catalogue_code_order", table_name="catalogue")
    op.create_index("ix_catalogue_class", "catalogue", ORDER[:4])
    op.create_index("ix_catalogue_code_order", "catalogue", ORDER)
