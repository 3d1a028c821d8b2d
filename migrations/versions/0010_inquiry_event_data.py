"""inquiry events: the figures of a forward or an answer as data, formatted in the viewer's language

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 07:15:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('inquiry_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('data', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('inquiry_event', schema=None) as batch_op:
        batch_op.drop_column('data')
