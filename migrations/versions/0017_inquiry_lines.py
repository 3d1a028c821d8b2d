"""inquiry lines: an inquiry item carries its own quantity per period and unit (one request for several listings);
null for the items of a single-quantity inquiry, whose quantity is the inquiry's

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 09:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('inquiry_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quantity', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('unit', sa.String(length=12), nullable=True))


def downgrade():
    with op.batch_alter_table('inquiry_item', schema=None) as batch_op:
        batch_op.drop_column('unit')
        batch_op.drop_column('quantity')
