"""the producer directory's order as an index: published storefronts, curated first, by name

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 02:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_producer_directory", "producer", ["status", sa.text("curated DESC"), "name", "id"])


def downgrade():
    op.drop_index("ix_producer_directory", table_name="producer")
