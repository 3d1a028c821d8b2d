"""agreement targets: a monthly volume per commodity for each MoU/PKS

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 10:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('agreement_target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agreement_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('volume_per_month', sa.Float(), nullable=False),
    sa.Column('unit', sa.String(length=12), nullable=False),
    sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], name=op.f('fk_agreement_target_agreement_id_agreement'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['category_id'], ['category.id'], name=op.f('fk_agreement_target_category_id_category')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agreement_target')),
    sa.UniqueConstraint('agreement_id', 'category_id', 'unit', name=op.f('uq_agreement_target_agreement_id'))
    )
    with op.batch_alter_table('agreement_target', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agreement_target_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agreement_target_category_id'), ['category_id'], unique=False)
    # The dashboard groups deals by when they were recorded, inquiries by when they arrived.
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.create_index('ix_deal_created_at', ['created_at'], unique=False)
    with op.batch_alter_table('inquiry', schema=None) as batch_op:
        batch_op.create_index('ix_inquiry_created_at', ['created_at'], unique=False)
    # "Producers with unanswered forwards" looks for the few allocations still waiting.
    with op.batch_alter_table('allocation', schema=None) as batch_op:
        batch_op.create_index('ix_allocation_status', ['status'], unique=False)


def downgrade():
    with op.batch_alter_table('allocation', schema=None) as batch_op:
        batch_op.drop_index('ix_allocation_status')
    with op.batch_alter_table('inquiry', schema=None) as batch_op:
        batch_op.drop_index('ix_inquiry_created_at')
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.drop_index('ix_deal_created_at')
    with op.batch_alter_table('agreement_target', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agreement_target_category_id'))
        batch_op.drop_index(batch_op.f('ix_agreement_target_agreement_id'))
    op.drop_table('agreement_target')
