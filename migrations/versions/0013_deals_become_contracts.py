"""deals become contracts: each inquiry's deals one contract (a one-off, a line per deal, its month row), then the
deal table goes; monitoring, exports and the agreed guard read contracts

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 16:40:00

"""
from datetime import date

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

deal = sa.table('deal', sa.column('id'), sa.column('inquiry_id'), sa.column('producer_id'), sa.column('volume'),
                sa.column('unit'), sa.column('unit_price'), sa.column('value'), sa.column('starts_on'),
                sa.column('schedule'), sa.column('agreement_id'), sa.column('recorded_by_id'),
                sa.column('created_at'), sa.column('updated_at'))
inquiry = sa.table('inquiry', sa.column('id'), sa.column('status'))
contract = sa.table('contract', sa.column('id'), sa.column('reference'), sa.column('inquiry_id'),
                    sa.column('status'), sa.column('agreement_id'), sa.column('agreement_chosen'),
                    sa.column('frequency'), sa.column('periods'), sa.column('starts_on'), sa.column('ends_on'),
                    sa.column('note'), sa.column('created_by_id'), sa.column('created_at'), sa.column('updated_at'))
line = sa.table('contract_line', sa.column('id'), sa.column('contract_id'), sa.column('producer_id'),
                sa.column('quantity'), sa.column('unit'), sa.column('price'), sa.column('terms'))
month = sa.table('contract_month', sa.column('contract_id'), sa.column('line_id'), sa.column('month'),
                 sa.column('quantity'), sa.column('unit'), sa.column('value'))


def upgrade():
    """A deal said neither its period nor its listing: it becomes a one-off line, counted in the month it starts
    (or was recorded), its volume and value as recorded. The contract is completed once its inquiry was closed."""
    bind = op.get_bind()
    rows = bind.execute(sa.select(deal, inquiry.c.status.label('inquiry_status'))
                        .join(inquiry, inquiry.c.id == deal.c.inquiry_id).order_by(deal.c.inquiry_id, deal.c.id)).all()
    next_contract = (bind.execute(sa.select(sa.func.max(contract.c.id))).scalar() or 0) + 1
    next_line = (bind.execute(sa.select(sa.func.max(line.c.id))).scalar() or 0) + 1
    by_inquiry = {}
    for row in rows:
        by_inquiry.setdefault(row.inquiry_id, []).append(row)
    for inquiry_id, deals in by_inquiry.items():
        first = deals[0]
        start = first.starts_on or first.created_at.date()
        if isinstance(start, str):  # SQLite hands back text
            start = date.fromisoformat(start[:10])
        agreement_id = next((d.agreement_id for d in deals if d.agreement_id), None)
        bind.execute(contract.insert().values(
            id=next_contract, reference=f"KTR-{start.year}-{next_contract:06d}", inquiry_id=inquiry_id,
            status='completed' if first.inquiry_status == 'closed' else 'active', agreement_id=agreement_id,
            agreement_chosen=agreement_id is not None, frequency='once', periods=1, starts_on=start, ends_on=start,
            note=first.schedule or '', created_by_id=first.recorded_by_id, created_at=first.created_at,
            updated_at=first.updated_at))
        for d in deals:
            bind.execute(line.insert().values(id=next_line, contract_id=next_contract, producer_id=d.producer_id,
                                              quantity=d.volume, unit=d.unit, price=d.unit_price, terms='loco'))
            bind.execute(month.insert().values(contract_id=next_contract, line_id=next_line,
                                               month=date(start.year, start.month, 1), quantity=d.volume, unit=d.unit,
                                               value=d.value))
            next_line += 1
        next_contract += 1
    if bind.dialect.name == 'postgresql':
        for table in ('contract', 'contract_line'):
            bind.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                 f"COALESCE((SELECT MAX(id) FROM {table}), 1))"))
    op.drop_table('deal')


def downgrade():
    """The table comes back empty: the contracts made from deals stay contracts."""
    op.create_table(
        'deal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('inquiry_id', sa.Integer(), nullable=False),
        sa.Column('producer_id', sa.Integer(), nullable=False),
        sa.Column('volume', sa.Float(), nullable=False),
        sa.Column('unit', sa.String(length=12), nullable=False),
        sa.Column('unit_price', sa.BigInteger(), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.Column('starts_on', sa.Date(), nullable=True),
        sa.Column('schedule', sa.Text(), nullable=False),
        sa.Column('agreement_id', sa.Integer(), nullable=True),
        sa.Column('recorded_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['inquiry_id'], ['inquiry.id'], name=op.f('fk_deal_inquiry_id_inquiry'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['producer_id'], ['producer.id'], name=op.f('fk_deal_producer_id_producer'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_deal_recorded_by_id_user_account'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['agreement_id'], ['agreement.id'], name=op.f('fk_deal_agreement_id_agreement'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deal')),
    )
    with op.batch_alter_table('deal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deal_inquiry_id'), ['inquiry_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deal_producer_id'), ['producer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deal_agreement_id'), ['agreement_id'], unique=False)
        batch_op.create_index('ix_deal_created_at', ['created_at'], unique=False)
