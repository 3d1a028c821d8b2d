"""Full-text search over published products, one interface for both databases.

SQLite: an FTS5 table `product_fts` (rowid = product.id).
PostgreSQL: a stored `product.search_vector` tsvector with a GIN index.
Only published products of published producers are in the index, so search
always shows the live version of a listing.

User text is reduced to word tokens before it reaches either engine, so quotes,
operators and punctuation can never produce a syntax error; every token is
matched as a prefix ("beras organik" finds "Beras Organik Pandan Wangi").
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import Select, bindparam, column, func, literal_column, table, text
from sqlalchemy.sql.elements import ColumnElement

from marketplace.extensions import db
from marketplace.models import Product
from marketplace.core.vocab import KECAMATAN

MAX_TOKENS = 8
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_fts = table("product_fts", column("rowid"))


def tokens(query: str | None) -> list[str]:
    return _WORD.findall((query or "").lower())[:MAX_TOKENS]


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def apply(stmt: Select, query: str | None) -> tuple[Select, ColumnElement | None]:
    """Restrict `stmt` (which selects from `product`) to matches; return it with a rank to sort by (lower is better)."""
    words = tokens(query)
    if not words:
        return stmt, None
    if _dialect() == "postgresql":
        tsquery = func.to_tsquery("simple", bindparam("tsq", " & ".join(f"{w}:*" for w in words)))
        vector = literal_column("product.search_vector")
        stmt = stmt.where(vector.op("@@")(tsquery))
        return stmt, -func.ts_rank_cd(vector, tsquery)
    match = " ".join(f'"{w}"*' for w in words)
    stmt = stmt.join(_fts, _fts.c.rowid == Product.id).where(
        text("product_fts MATCH :fts").bindparams(fts=match)
    )
    return stmt, literal_column("bm25(product_fts, 10.0, 4.0, 3.0, 1.0, 1.0)")


_PUBLIC_ROWS = """
    SELECT p.id, p.name, pr.name AS producer, c.name_id || ' ' || c.name_en AS category,
           pr.kecamatan, pr.kelurahan, p.description || ' ' || p.grade AS body
    FROM product p JOIN producer pr ON pr.id = p.producer_id JOIN category c ON c.id = p.category_id
    WHERE p.status = 'published' AND pr.status = 'published'
"""


def reindex(product_ids: Iterable[int] | None = None) -> None:
    """Bring the index in line with the database for these products (all when None)."""
    ids = None if product_ids is None else sorted(set(product_ids))
    if ids == []:
        return
    from marketplace.catalog import cache as catalog_cache

    catalog_cache.invalidate()  # what buyers can see changes with the index: counts are recomputed
    session = db.session
    if _dialect() == "postgresql":
        where = "" if ids is None else "AND p.id = ANY(:ids)"
        params = {} if ids is None else {"ids": ids}
        session.execute(
            text(f"UPDATE product p SET search_vector = NULL WHERE search_vector IS NOT NULL {where}"), params
        )
        session.execute(text(f"""
            UPDATE product p SET search_vector =
                setweight(to_tsvector('simple', p.name), 'A') ||
                setweight(to_tsvector('simple', pr.name), 'B') ||
                setweight(to_tsvector('simple', c.name_id || ' ' || c.name_en), 'B') ||
                setweight(to_tsvector('simple', replace(pr.kecamatan, '-', ' ') || ' ' || pr.kelurahan), 'C') ||
                setweight(to_tsvector('simple', p.description || ' ' || p.grade), 'D')
            FROM producer pr, category c
            WHERE pr.id = p.producer_id AND c.id = p.category_id
              AND p.status = 'published' AND pr.status = 'published' {where}
        """), params)
        return
    if ids is None:
        session.execute(text("DELETE FROM product_fts"))
        rows = session.execute(text(_PUBLIC_ROWS)).all()
    else:
        session.execute(text("DELETE FROM product_fts WHERE rowid IN :ids").bindparams(bindparam("ids", expanding=True)), {"ids": ids})
        rows = session.execute(
            text(_PUBLIC_ROWS + " AND p.id IN :ids").bindparams(bindparam("ids", expanding=True)), {"ids": ids}
        ).all()
    if rows:
        session.execute(
            text("INSERT INTO product_fts (rowid, name, producer, category, place, body) "
                 "VALUES (:id, :name, :producer, :category, :place, :body)"),
            [
                {"id": r.id, "name": r.name, "producer": r.producer, "category": r.category,
                 "place": f"{KECAMATAN.get(r.kecamatan, r.kecamatan)} {r.kelurahan}", "body": r.body}
                for r in rows
            ],
        )


def reindex_producer(producer_id: int) -> None:
    ids = db.session.scalars(db.select(Product.id).where(Product.producer_id == producer_id)).all()
    reindex(ids)


def managed_by_models(obj, name, type_, reflected, compare_to) -> bool:
    """For Alembic: the search index is created by hand in migrations (FTS5 / tsvector), so comparing the
    models with the database leaves it out."""
    if type_ == "table" and name.startswith("product_fts"):
        return False
    if type_ == "column" and name == "search_vector":
        return False
    if type_ == "index" and name == "ix_product_search_vector":
        return False
    return True
