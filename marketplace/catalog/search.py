"""Full-text search over published products, one interface for both databases.

SQLite: an FTS5 table `product_fts` (rowid = product.id).
PostgreSQL: a stored `product.search_vector` tsvector with a GIN index.
Only published products of published producers are in the index, so search
always shows the live version of a listing.

User text is reduced to word tokens before it reaches either engine, so quotes,
operators and punctuation can never produce a syntax error; every token is
matched as a prefix ("beras organik" finds "Beras Organik Pandan Wangi").

Buyers' words (services/search_words.py) are read the same way on both: each typed word becomes a group of
alternatives — the word itself, its Indonesian stem (matched in a stems column that ranks below the words),
what the vocabulary says it means (telor → telur, beef → daging sapi) — and a word the catalog does not know
is replaced by the nearest one it does (`correction` tells the page which).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from sqlalchemy import Select, and_, bindparam, case, column, func, literal_column, table, text
from sqlalchemy.sql.elements import ColumnElement

from flask import current_app, g, has_app_context

from marketplace.extensions import db
from marketplace.models import Product, PublicationStatus, SearchTerm
from marketplace.catalog import cache as catalog_cache, search_words
from marketplace.catalog.search_words import Alternative, CatalogWords, Interpretation, Lexicon
from marketplace.core.vocab import KECAMATAN

MAX_TOKENS = search_words.MAX_TOKENS
_fts = table("product_fts", column("rowid"))
_EXACT_COLUMNS = "{name producer category place body}"


def tokens(query: str | None) -> list[str]:
    return search_words.tokens(query)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


# The words of the published listings, each distinct text once (the database sorts out the repeats: a million
# listings hold a few tens of thousands of distinct descriptions, and far fewer names): their names with their
# categories and how many listings bear each, their producers' names, their descriptions.
_PUBLISHED = f"""
    FROM product p JOIN producer pr ON pr.id = p.producer_id JOIN category c ON c.id = p.category_id
    WHERE p.status = '{PublicationStatus.PUBLISHED}' AND pr.status = '{PublicationStatus.PUBLISHED}'
"""
_NAMED = ("SELECT p.name || ' ' || p.name_en || ' ' || c.name_id || ' ' || c.name_en AS named, count(*) AS listings"
          + _PUBLISHED + " GROUP BY p.name, p.name_en, c.id, c.name_id, c.name_en")
_PRODUCERS = "SELECT DISTINCT pr.name" + _PUBLISHED
_BODIES = "SELECT DISTINCT p.description || ' ' || p.description_en || ' ' || p.grade" + _PUBLISHED


def _catalog_texts() -> tuple[list[str], list[tuple[str, int]]]:
    """Every searchable text of the published listings, and their names with their categories, each with the
    number of listings that bear it."""
    named = [(r.named, r.listings) for r in db.session.execute(text(_NAMED))]
    texts = [n for n, _count in named]
    texts += db.session.execute(text(_PRODUCERS)).scalars()
    texts += db.session.execute(text(_BODIES)).scalars()
    return texts, named


class _CatalogWords:
    """This worker's catalog words and the catalog version they were read under, per app."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.words: CatalogWords | None = None
        self.version: int | None = None
        self.refreshing = False
        self.read_at = 0.0  # time.monotonic() when the last read began
        self.generation = 0  # moved on by `clear`: a read begun before it is not kept

    def clear(self) -> None:
        """Tests that empty the database without a new version: the next search reads the words afresh."""
        with self.lock:
            self.words = self.version = None
            self.generation += 1


REREAD_AFTER = 60.0  # seconds: the catalog's words are read at most this often (a read at 1M listings takes 2–4 s)


def _state() -> _CatalogWords:
    return catalog_cache.app_state("search.catalog_words", _CatalogWords)


def _read_catalog_words() -> tuple[int, CatalogWords]:
    """The catalog's words, with the version read first in the same transaction (what is read after it is that
    version's or newer)."""
    version = catalog_cache.version()
    return version, CatalogWords.build(*_catalog_texts())


def catalog_words() -> tuple[CatalogWords, int]:
    """The words of the published listings, and the catalog version they were read under.

    Reading them reads every published listing's text (each distinct text once): 2–4 s at 1,000,000 listings.
    So a search never waits for them to be read again: when the version has moved on, they are read behind the
    requests (catalog_cache.in_background), at most every REREAD_AFTER seconds, and searches meanwhile use the
    ones before, asking the live index about a word they lack (`listed`) before taking it for a typo; only which
    word a typo is corrected to can lag behind a change. A worker's first search reads them while it waits
    (threads asking at the same time wait for that one read)."""
    state = _state()
    current = catalog_cache.request_version()
    with state.lock:
        if state.words is None:
            state.read_at = time.monotonic()
            state.version, state.words = _read_catalog_words()
        elif (state.version != current and not state.refreshing
              and time.monotonic() - state.read_at >= REREAD_AFTER):
            state.refreshing, state.read_at = True, time.monotonic()
            catalog_cache.in_background(_refresh, current_app._get_current_object(), state)
        return state.words, state.version


def _refresh(app, state: _CatalogWords) -> None:
    generation = state.generation
    try:
        with app.app_context():
            try:
                version, words = _read_catalog_words()
            finally:
                db.session.remove()
        with state.lock:
            if state.generation == generation and (state.version is None or version >= state.version):
                state.version, state.words = version, words
    except Exception:  # noqa: BLE001 — the words before stay; the next search after a change tries again
        app.logger.exception("search: reading the catalog's words failed")
    finally:
        with state.lock:
            state.refreshing = False


def lexicon() -> tuple[Lexicon, bool]:
    """The vocabulary (shipped file and admin rows, read once per catalog version: an added word counts from the
    next request on) with the catalog's words; and whether those are the current version's."""
    words, read_under = catalog_words()
    current = catalog_cache.request_version()

    def build() -> Lexicon:
        extra = db.session.execute(db.select(SearchTerm.term, SearchTerm.means, SearchTerm.kind)).all()
        return Lexicon.of([*search_words.shipped_vocabulary(), *map(tuple, extra)], words)

    return catalog_cache.cached(("search-lexicon", read_under), build, current), read_under == current


def listed(word: str) -> bool:
    """Whether a published listing holds a word starting with `word` (or with its stem), in the live index: one
    indexed look-up, asked only when a lexicon older than the catalog does not know the word."""
    alternatives = [Alternative((word,), "words")]
    root = search_words.stem(word)
    if root != word:
        alternatives.append(Alternative((root,), "words"))
    if _dialect() == "postgresql":
        found = db.session.execute(text(
            "SELECT 1 FROM product WHERE search_vector @@ to_tsquery('simple', :q) LIMIT 1"),
            {"q": _tsquery(alternatives)}).first()
    else:
        found = db.session.execute(text("SELECT 1 FROM product_fts WHERE product_fts MATCH :m LIMIT 1"),
                                   {"m": _fts_match([alternatives])}).first()
    return found is not None


def interpret(query: str | None, exact: bool = False) -> Interpretation:
    """The query as the index reads it; remembered for the request (the page and its facets ask again)."""
    if not tokens(query):
        return Interpretation(())
    memo = g.setdefault("search_interpretations", {}) if has_app_context() else {}
    key = (query, exact, g.get("catalog_version") if has_app_context() else None)
    if key not in memo:
        words, current = lexicon()
        memo[key] = search_words.interpret(query, words, exact=exact, listed=None if current else listed)
    return memo[key]


def correction(query: str | None, exact: bool = False) -> str | None:
    """The query searched instead of the typed one (a typo corrected), or None."""
    return interpret(query, exact).corrected


def import_vocabulary(lines, replace: bool = False) -> tuple[int, int]:
    """Store the entries of a vocabulary CSV (term,means[,kind]) beside the shipped file's; returns (added, already
    known). Every search reads them from the next request on (the catalog version is bumped)."""
    if replace:
        db.session.execute(db.delete(SearchTerm))
    known = set() if replace else {tuple(r) for r in db.session.execute(db.select(SearchTerm.term, SearchTerm.means))}
    known |= {(term, means) for term, means, _kind in search_words.shipped_vocabulary()}
    added = skipped = 0
    for term, means, kind in search_words.read_vocabulary(lines):
        if (term, means) in known:
            skipped += 1
            continue
        known.add((term, means))
        db.session.add(SearchTerm(term=term, means=means, kind=kind))
        added += 1
    db.session.flush()
    catalog_cache.invalidate()
    return added, skipped


def _tsquery(alternatives, weight: str = "") -> str:
    """`weight` "A" matches only the listing's name (reindex gives the name that weight)."""
    return " | ".join("(" + " & ".join(f"{w}:*{weight}" for w in alt.words) + ")" for alt in alternatives)


def _own_words(meaning: Interpretation) -> list[list]:
    return [[a for a in group if a.column == "words"] for group in meaning.groups]


def _fts_match(groups, columns: str | None = None) -> str:
    def alternative(alt) -> str:
        words = " AND ".join(f'"{w}"*' for w in alt.words)
        return f"{columns or (_EXACT_COLUMNS if alt.column == 'words' else 'stems')} : ({words})"

    return " AND ".join("(" + " OR ".join(alternative(a) for a in group) + ")" for group in groups)


def _tsquery_all(groups, weight: str = "") -> str:
    return " & ".join("(" + _tsquery(group, weight) + ")" for group in groups)


def apply(stmt: Select, query: str | None, exact: bool = False) -> tuple[Select, ColumnElement | None]:
    """Restrict `stmt` (which selects from `product`) to matches; return it with a rank to sort by (lower is better).
    `exact` searches what was typed, without correcting typos.

    The rank is the same on both databases: 0 when every word matches the listing's name as typed (or as the
    vocabulary says: `named`), 1 when every word matches its own words elsewhere (producer, category, place,
    description), 2 when some word matched only by its stem; listings of one rank come newest first (the
    catalog's tie-break by id), so both databases show the same first page."""
    meaning = interpret(query, exact)
    if not meaning:
        return stmt, None
    own = _own_words(meaning)
    if _dialect() == "postgresql":
        vector = literal_column("product.search_vector")
        stem_vector = literal_column("product.search_stems")
        conditions = []
        for n, group in enumerate(meaning.groups):
            rooted = [a for a in group if a.column == "stems"]
            condition = vector.op("@@")(func.to_tsquery("simple", bindparam(f"tsq{n}", _tsquery(own[n]))))
            if rooted:
                condition = condition | stem_vector.op("@@")(
                    func.to_tsquery("simple", bindparam(f"tsr{n}", _tsquery(rooted))))
            conditions.append(condition)
        stmt = stmt.where(*conditions)
        everywhere = vector.op("@@")(func.to_tsquery("simple", bindparam("tsq_own", _tsquery_all(own))))
    else:
        stmt = stmt.join(_fts, _fts.c.rowid == Product.id).where(
            text("product_fts MATCH :fts").bindparams(fts=_fts_match(meaning.groups))
        )
        everywhere = _matching("fts_own", _fts_match(own))
    return stmt, case((_named(own), 0), (everywhere, 1), else_=2)


def named(query: str | None, exact: bool = False, newer_than: int | None = None) -> ColumnElement | None:
    """The listings `apply` ranks first: every word in the name. With `newer_than`, for a statement `apply`
    restricted: only listings with a larger id, and on SQLite the index itself is asked for those alone (its
    match of the whole query too, which would otherwise read every listing with the words: 42 → 24 ms for
    "beras" at 1M)."""
    meaning = interpret(query, exact)
    if not meaning:
        return None
    condition = _named(_own_words(meaning), newer_than)
    if newer_than is None:
        return condition
    newer = Product.id > newer_than
    return and_(condition, newer) if _dialect() == "postgresql" else and_(condition, newer, _fts.c.rowid > newer_than)


def _named(own: list[list], newer_than: int | None = None) -> ColumnElement:
    if _dialect() == "postgresql":  # the name's words are the stored vector's weight A: no vector per listing
        vector = literal_column("product.search_vector")
        return vector.op("@@")(func.to_tsquery("simple", bindparam("tsq_name", _tsquery_all(own, "A"))))
    return _matching("fts_name", _fts_match(own, "name"), newer_than)


def _matching(name: str, match: str, newer_than: int | None = None) -> ColumnElement:
    """Listings whose index row matches `match` (SQLite's FTS5 table, rowid = product id)."""
    sql = f"SELECT rowid FROM product_fts WHERE product_fts MATCH :{name}"
    params = {name: match}
    if newer_than is not None:
        sql += f" AND rowid > :{name}_newer"
        params[f"{name}_newer"] = newer_than
    return Product.id.in_(text(sql).bindparams(**params).columns(column("rowid")))


# A listing's name is indexed with its English name, its description with the English one (empty when not given),
# so an English word the producer wrote finds the listing as its Indonesian one does.
_PUBLIC_ROWS = """
    SELECT p.id, p.name || ' ' || p.name_en AS name, pr.name AS producer, c.name_id || ' ' || c.name_en AS category,
           pr.kecamatan, pr.kelurahan, p.description || ' ' || p.description_en || ' ' || p.grade AS body
""" + _PUBLISHED


def _stems_of(row) -> str:
    """What the stems column holds for a listing: the stems of its name, category and description."""
    return search_words.stems(" ".join((row.name, row.category, row.body)))


def reindex(product_ids: Iterable[int] | None = None) -> None:
    """Bring the index in line with the database for these products (all when None)."""
    ids = None if product_ids is None else sorted(set(product_ids))
    if ids == []:
        return
    catalog_cache.invalidate()  # what buyers can see changes with the index: counts are recomputed
    session = db.session
    if _dialect() == "postgresql":
        where = "" if ids is None else "AND p.id = ANY(:ids)"
        params = {} if ids is None else {"ids": ids}
        session.execute(
            text(f"UPDATE product p SET search_vector = NULL, search_stems = NULL "
                 f"WHERE (search_vector IS NOT NULL OR search_stems IS NOT NULL) {where}"), params
        )
        session.execute(text(f"""
            UPDATE product p SET search_vector =
                setweight(to_tsvector('simple', p.name || ' ' || p.name_en), 'A') ||
                setweight(to_tsvector('simple', pr.name), 'B') ||
                setweight(to_tsvector('simple', c.name_id || ' ' || c.name_en), 'B') ||
                setweight(to_tsvector('simple', replace(pr.kecamatan, '-', ' ') || ' ' || pr.kelurahan), 'C') ||
                setweight(to_tsvector('simple', p.description || ' ' || p.description_en || ' ' || p.grade), 'D')
            FROM producer pr, category c
            WHERE pr.id = p.producer_id AND c.id = p.category_id
              AND p.status = 'published' AND pr.status = 'published' {where}
        """), params)
        rows = session.execute(text(_PUBLIC_ROWS + ("" if ids is None else " AND p.id = ANY(:ids)")), params).all()
        if rows:
            session.execute(
                text("UPDATE product SET search_stems = to_tsvector('simple', :stems) WHERE id = :id"),
                [{"id": r.id, "stems": _stems_of(r)} for r in rows],
            )
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
            text("INSERT INTO product_fts (rowid, name, producer, category, place, body, stems) "
                 "VALUES (:id, :name, :producer, :category, :place, :body, :stems)"),
            [
                {"id": r.id, "name": r.name, "producer": r.producer, "category": r.category,
                 "place": f"{KECAMATAN.get(r.kecamatan, r.kecamatan)} {r.kelurahan}", "body": r.body,
                 "stems": _stems_of(r)}
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
    if type_ == "column" and name == "search_stems":
        return False
    if type_ == "index" and name in ("ix_product_search_vector", "ix_product_search_stems"):
        return False
    return True
