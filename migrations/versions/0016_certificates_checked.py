"""certificates that can be checked: the scanned document (its own table, under a random key), whether buyers may
open it, and a moderator's verification (a status on the one workflow engine, with who and when)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 10:00:00

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'certificate_document',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('producer_id', sa.Integer(), nullable=False),
        sa.Column('media_type', sa.String(length=40), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['producer_id'], ['producer.id'],
                                name=op.f('fk_certificate_document_producer_id_producer'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_certificate_document')),
        sa.UniqueConstraint('key', name=op.f('uq_certificate_document_key')),
    )
    op.create_index(op.f('ix_certificate_document_producer_id'), 'certificate_document', ['producer_id'])
    # Every certificate so far is as its producer stated it: nobody checked one.
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_key', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('document_public', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('status', sa.String(length=12), nullable=False, server_default='stated'))
        batch_op.add_column(sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('verified_by_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_certificate_document_key'), ['document_key'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_certificate_document_key_certificate_document'),
                                    'certificate_document', ['document_key'], ['key'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_certificate_verified_by_id_user_account'),
                                    'user_account', ['verified_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('certificate', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_certificate_verified_by_id_user_account'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_certificate_document_key_certificate_document'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_certificate_document_key'))
        batch_op.drop_column('verified_by_id')
        batch_op.drop_column('verified_at')
        batch_op.drop_column('status')
        batch_op.drop_column('document_public')
        batch_op.drop_column('document_key')
    op.drop_index(op.f('ix_certificate_document_producer_id'), table_name='certificate_document')
    op.drop_table('certificate_document')
