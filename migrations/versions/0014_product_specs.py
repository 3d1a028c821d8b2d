"""specifications per commodity: a listing's specs (JSON, by name) and the two the catalog filters on (rice
quality class, meat fresh or frozen) in plain indexed columns

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 09:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('product') as batch_op:
        batch_op.add_column(sa.Column('specs', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('rice_class', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('meat_state', sa.String(length=12), nullable=True))
    # Covering, as the catalog's other indexes (0007): a filtered count or page reads the index alone.
    for column in ('rice_class', 'meat_state'):
        op.create_index(f'ix_product_{column}', 'product', [column, 'status', 'monthly_capacity', 'id', 'producer_id'])


def downgrade():
    op.drop_index('ix_product_meat_state', table_name='product')
    op.drop_index('ix_product_rice_class', table_name='product')
    with op.batch_alter_table('product') as batch_op:
        batch_op.drop_column('meat_state')
        batch_op.drop_column('rice_class')
        batch_op.drop_column('specs')
