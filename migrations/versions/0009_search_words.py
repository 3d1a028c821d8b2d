"""search in the buyer's words: stems beside the words in the index, and a vocabulary table an admin extends

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 07:10:00

The index gains the stems of each listing's words (SQLite: a sixth FTS5 column `stems`, so the table is made
anew with the rows copied; PostgreSQL: a second tsvector `search_stems` with its own GIN index). The stems
are filled by the next reindex (`flask --app wsgi search reindex`, or any publish of that listing); until then
a listing is still found by its words, as before.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_TOKENIZE = "tokenize = 'unicode61 remove_diacritics 2'"


def upgrade():
    op.create_table(
        'search_term',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('term', sa.String(length=80), nullable=False),
        sa.Column('means', sa.String(length=120), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_search_term')),
        sa.UniqueConstraint('term', 'means', name=op.f('uq_search_term_term')),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE product ADD COLUMN search_stems tsvector")
        op.execute("CREATE INDEX ix_product_search_stems ON product USING gin (search_stems)")
    else:
        op.execute("ALTER TABLE product_fts RENAME TO product_fts_old")
        op.execute(f"CREATE VIRTUAL TABLE product_fts USING fts5(name, producer, category, place, body, stems, {_TOKENIZE})")
        op.execute("INSERT INTO product_fts (rowid, name, producer, category, place, body, stems) "
                   "SELECT rowid, name, producer, category, place, body, '' FROM product_fts_old")
        op.execute("DROP TABLE product_fts_old")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_product_search_stems")
        op.execute("ALTER TABLE product DROP COLUMN IF EXISTS search_stems")
    else:
        op.execute("ALTER TABLE product_fts RENAME TO product_fts_new")
        op.execute(f"CREATE VIRTUAL TABLE product_fts USING fts5(name, producer, category, place, body, {_TOKENIZE})")
        op.execute("INSERT INTO product_fts (rowid, name, producer, category, place, body) "
                   "SELECT rowid, name, producer, category, place, body FROM product_fts_new")
        op.execute("DROP TABLE product_fts_new")
    op.drop_table('search_term')
