"""scale: covering indexes for the catalog filters, storefronts and the facilitator queue; catalog version

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 10:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    # One row: bumped with every change buyers can see, so each worker knows when its cached counts are stale.
    op.create_table('catalog_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_state'))
    )
    op.execute("INSERT INTO catalog_state (id, version) VALUES (1, 1)")
    with op.batch_alter_table('product', schema=None) as batch_op:
        # Category filter sorted by capacity (the default order), and a storefront's public listings.
        # Covering (producer_id included): the catalog's id query, deep OFFSETs included, never reads a table row.
        batch_op.drop_index('ix_product_status_capacity')
        batch_op.create_index('ix_product_status_capacity_cover', ['status', 'monthly_capacity', 'id', 'producer_id'], unique=False)
        batch_op.create_index('ix_product_status_category_capacity', ['status', 'category_id', 'monthly_capacity', 'id', 'producer_id'], unique=False)
        batch_op.create_index('ix_product_producer_status', ['producer_id', 'status', 'category_id'], unique=False)
    with op.batch_alter_table('producer', schema=None) as batch_op:
        batch_op.create_index('ix_producer_status_kecamatan', ['status', 'kecamatan', 'id'], unique=False)
    with op.batch_alter_table('inquiry', schema=None) as batch_op:
        # The queue: open statuses, newest (highest id) first, one keyset page at a time.
        batch_op.create_index('ix_inquiry_status_id', ['status', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('inquiry', schema=None) as batch_op:
        batch_op.drop_index('ix_inquiry_status_id')
    with op.batch_alter_table('producer', schema=None) as batch_op:
        batch_op.drop_index('ix_producer_status_kecamatan')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_index('ix_product_producer_status')
        batch_op.drop_index('ix_product_status_category_capacity')
        batch_op.drop_index('ix_product_status_capacity_cover')
        batch_op.create_index('ix_product_status_capacity', ['status', 'monthly_capacity'], unique=False)
    op.drop_table('catalog_state')
