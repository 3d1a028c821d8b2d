"""the trade desk: quantities per period with units that convert, offers with terms, quotations, contracts and
their deliveries

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 11:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kg_per_unit', sa.Float(), nullable=True))

    with op.batch_alter_table('inquiry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('periods', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('starts_on', sa.Date(), nullable=True))

    with op.batch_alter_table('allocation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('product_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('unit', sa.String(length=12), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('offered_unit', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('offer_valid_until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('terms', sa.String(length=12), nullable=True))
        batch_op.create_index(batch_op.f('ix_allocation_product_id'), ['product_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_allocation_product_id_product'), 'product', ['product_id'], ['id'],
                                    ondelete='SET NULL')
    # Shares forwarded before units existed were asked in the request's unit.
    op.execute("UPDATE allocation SET unit = (SELECT inquiry.unit FROM inquiry WHERE inquiry.id = allocation.inquiry_id)")
    op.execute("UPDATE allocation SET offered_unit = unit WHERE offered_qty IS NOT NULL")

    op.create_table(
        'quotation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('inquiry_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('valid_until', sa.Date(), nullable=False),
        sa.Column('names_producers', sa.Boolean(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('buyer_reason', sa.Text(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_quotation_created_by_id_user_account'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['inquiry_id'], ['inquiry.id'], name=op.f('fk_quotation_inquiry_id_inquiry'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_quotation')),
        sa.UniqueConstraint('inquiry_id', 'version', name=op.f('uq_quotation_inquiry_id')),
    )
    op.create_index(op.f('ix_quotation_inquiry_id'), 'quotation', ['inquiry_id'], unique=False)

    op.create_table(
        'quotation_line',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('quotation_id', sa.Integer(), nullable=False),
        sa.Column('allocation_id', sa.Integer(), nullable=True),
        sa.Column('producer_id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=True),
        sa.Column('quantity', sa.Float(), nullable=False),
        sa.Column('unit', sa.String(length=12), nullable=False),
        sa.Column('price', sa.BigInteger(), nullable=False),
        sa.Column('lead_time_days', sa.Integer(), nullable=True),
        sa.Column('terms', sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(['allocation_id'], ['allocation.id'], name=op.f('fk_quotation_line_allocation_id_allocation'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['producer_id'], ['producer.id'], name=op.f('fk_quotation_line_producer_id_producer'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_quotation_line_product_id_product'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['quotation_id'], ['quotation.id'], name=op.f('fk_quotation_line_quotation_id_quotation'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_quotation_line')),
    )
    for column in ('quotation_id', 'allocation_id', 'producer_id', 'product_id'):
        op.create_index(op.f(f'ix_quotation_line_{column}'), 'quotation_line', [column], unique=False)

    op.create_table(
        'contract',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('reference', sa.String(length=20), nullable=False),
        sa.Column('inquiry_id', sa.Integer(), nullable=False),
        sa.Column('quotation_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('agreement_id', sa.Integer(), nullable=True),
        sa.Column('agreement_chosen', sa.Boolean(), nullable=False),
        sa.Column('frequency', sa.String(length=10), nullable=False),
        sa.Column('periods', sa.Integer(), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=False),
        sa.Column('ends_on', sa.Date(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], name=op.f('fk_contract_agreement_id_agreement'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_contract_created_by_id_user_account'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['inquiry_id'], ['inquiry.id'], name=op.f('fk_contract_inquiry_id_inquiry'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['quotation_id'], ['quotation.id'], name=op.f('fk_contract_quotation_id_quotation'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contract')),
        sa.UniqueConstraint('reference', name=op.f('uq_contract_reference')),
        sa.UniqueConstraint('quotation_id', name=op.f('uq_contract_quotation_id')),
    )
    op.create_index(op.f('ix_contract_inquiry_id'), 'contract', ['inquiry_id'], unique=False)
    op.create_index(op.f('ix_contract_agreement_id'), 'contract', ['agreement_id'], unique=False)
    op.create_index('ix_contract_status_starts', 'contract', ['status', 'starts_on'], unique=False)

    op.create_table(
        'contract_line',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('producer_id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=True),
        sa.Column('quantity', sa.Float(), nullable=False),
        sa.Column('unit', sa.String(length=12), nullable=False),
        sa.Column('price', sa.BigInteger(), nullable=False),
        sa.Column('lead_time_days', sa.Integer(), nullable=True),
        sa.Column('terms', sa.String(length=12), nullable=False),
        sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], name=op.f('fk_contract_line_contract_id_contract'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['producer_id'], ['producer.id'], name=op.f('fk_contract_line_producer_id_producer'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['product_id'], ['product.id'], name=op.f('fk_contract_line_product_id_product'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contract_line')),
    )
    op.create_index(op.f('ix_contract_line_contract_id'), 'contract_line', ['contract_id'], unique=False)
    op.create_index(op.f('ix_contract_line_producer_id'), 'contract_line', ['producer_id'], unique=False)
    op.create_index('ix_contract_line_product', 'contract_line', ['product_id', 'contract_id'], unique=False)

    op.create_table(
        'delivery',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('line_id', sa.Integer(), nullable=False),
        sa.Column('delivered_on', sa.Date(), nullable=False),
        sa.Column('quantity', sa.Float(), nullable=False),
        sa.Column('unit', sa.String(length=12), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['line_id'], ['contract_line.id'], name=op.f('fk_delivery_line_id_contract_line'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_delivery_recorded_by_id_user_account'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery')),
    )
    op.create_index(op.f('ix_delivery_line_id'), 'delivery', ['line_id'], unique=False)
    op.create_index('ix_delivery_status_day', 'delivery', ['status', 'delivered_on'], unique=False)


def downgrade():
    op.drop_table('delivery')
    op.drop_table('contract_line')
    op.drop_table('contract')
    op.drop_table('quotation_line')
    op.drop_table('quotation')
    with op.batch_alter_table('allocation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_allocation_product_id_product'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_allocation_product_id'))
        for column in ('terms', 'offer_valid_until', 'offered_unit', 'unit', 'product_id'):
            batch_op.drop_column(column)
    with op.batch_alter_table('inquiry', schema=None) as batch_op:
        batch_op.drop_column('starts_on')
        batch_op.drop_column('periods')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_column('kg_per_unit')
