"""a contract line's schedule per calendar month, so spare capacity and the MoU's contracted volume are SQL sums

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 15:45:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'contract_month',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('line_id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=True),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('quantity', sa.Float(), nullable=False),
        sa.Column('unit', sa.String(length=12), nullable=False),
        sa.Column('listing_quantity', sa.Float(), nullable=True),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_contract_month_contract_id_contract'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['line_id'], ['contract_line.id'], name=op.f('fk_contract_month_line_id_contract_line'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_contract_month_product_id_product'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_month')),
    )
    op.create_index(op.f('ix_contract_month_contract_id'), 'contract_month', ['contract_id'])
    op.create_index(op.f('ix_contract_month_line_id'), 'contract_month', ['line_id'])
    op.create_index('ix_contract_month_product', 'contract_month', ['product_id', 'month'])
    op.create_index('ix_contract_month_month', 'contract_month', ['month', 'contract_id'])


def downgrade():
    op.drop_table('contract_month')
