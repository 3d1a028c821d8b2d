"""a price you can compare, listings in English: each listing's price basis (loco Metro by default), its price at
the MOQ and per kg kept for cards and the price-per-kg order (with its covering index), English name and
description for listings and an English description for storefronts

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 09:00:00

The stored prices of the rows already there are worked out here in SQL, as listings/pricing.py does for every
later change: the price at the MOQ is the deepest tier the MOQ reaches (the first tier below it); per kg it is
divided by the unit's kilograms (kg, kuintal, ton) or the listing's weight per unit, and stays empty otherwise.
The English texts start empty, so the search index needs no rebuild.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

_PRICE_AT_MOQ = """
    UPDATE product SET price_moq = COALESCE(
        (SELECT t.price FROM price_tier t WHERE t.product_id = product.id
           AND t.min_qty <= product.min_order_qty + 0.000000001 ORDER BY t.min_qty DESC LIMIT 1),
        (SELECT t.price FROM price_tier t WHERE t.product_id = product.id ORDER BY t.min_qty LIMIT 1))
    WHERE price_min IS NOT NULL
"""
_PER_KG = """
    UPDATE product SET price_per_kg = CASE
        WHEN unit = 'kg' THEN price_moq * 1.0
        WHEN unit = 'kuintal' THEN price_moq / 100.0
        WHEN unit = 'ton' THEN price_moq / 1000.0
        WHEN kg_per_unit > 0 THEN price_moq / kg_per_unit
    END
    WHERE price_moq IS NOT NULL
"""


def upgrade():
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_en', sa.String(length=160), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('description_en', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('price_basis', sa.String(length=12), nullable=False, server_default='loco'))
        batch_op.add_column(sa.Column('price_moq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('price_per_kg', sa.Float(), nullable=True))
        # "Cheapest per kg" pages its ids from the index alone, as the capacity order does (0007).
        batch_op.create_index('ix_product_status_price_per_kg', ['status', 'price_per_kg', 'id', 'producer_id'],
                              unique=False)
    with op.batch_alter_table('producer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description_en', sa.Text(), nullable=False, server_default=''))
    op.execute(_PRICE_AT_MOQ)
    op.execute(_PER_KG)


def downgrade():
    with op.batch_alter_table('producer', schema=None) as batch_op:
        batch_op.drop_column('description_en')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_index('ix_product_status_price_per_kg')
        batch_op.drop_column('price_per_kg')
        batch_op.drop_column('price_moq')
        batch_op.drop_column('price_basis')
        batch_op.drop_column('description_en')
        batch_op.drop_column('name_en')
