"""What a buyer's words mean to the catalog: stems, the vocabulary, and typo correction.

Pure Python and the same on both databases: `interpret` turns the typed words into groups of alternatives
(every group must match; any alternative of a group may), which `search.apply` writes as an FTS5 or a
tsquery expression.

- Stems: words reduced by the Sastrawi Indonesian stemmer (sayuran → sayur, olahan → olah), matched against
  the stems column of the index, which ranks below the words themselves.
- Vocabulary: `marketplace/data/search-vocabulary.csv` plus the rows an admin imported (`search_term`,
  `flask --app wsgi search vocabulary FILE`): everyday and regional spellings, English names, category words.
- Typos: a word that neither the catalog nor the vocabulary knows is replaced by the nearest catalog or
  vocabulary word (edit distance 1, a swap of two letters counting as one edit, or 2 for words of 7 letters
  or more), and the page says so.
"""
from __future__ import annotations

import bisect
import csv
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from rapidfuzz import process
from rapidfuzz.distance import OSA

MAX_TOKENS = 8
MAX_PHRASE = 3  # vocabulary terms have at most this many words
MIN_FUZZY = 3  # shorter words are never "corrected"
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def tokens(text: str | None) -> list[str]:
    return _WORD.findall((text or "").lower())[:MAX_TOKENS]


@lru_cache(maxsize=1)
def _stemmer():
    from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

    return StemmerFactory().create_stemmer()


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    if not word.isalpha() or len(word) < 4:
        return word
    return _stemmer().stem(word) or word


def stems(text: str | None) -> str:
    """The stems of a text's words, for the index's stems column."""
    return " ".join(stem(w) for w in _WORD.findall((text or "").lower()))


# ------------------------------------------------------------------ the vocabulary


def read_vocabulary(lines) -> list[tuple[str, str, str]]:
    """(term, means, kind) rows of a vocabulary CSV (header `term,means,kind`; kind optional); the words of
    each are normalised as the search normalises a query, and rows with an empty side are left out."""
    rows = []
    for row in csv.DictReader(lines):
        term = " ".join(tokens(row.get("term"))[:MAX_PHRASE])
        means = " ".join(tokens(row.get("means")))
        if term and means:
            rows.append((term, means, (row.get("kind") or "admin").strip()[:20] or "admin"))
    return rows


@lru_cache(maxsize=1)
def shipped_vocabulary() -> tuple[tuple[str, str, str], ...]:
    text = resources.files("marketplace").joinpath("data/search-vocabulary.csv").read_text(encoding="utf-8")
    return tuple(read_vocabulary(text.splitlines()))


@dataclass(frozen=True)
class CatalogWords:
    """Every word that published listings hold (sorted, for prefix look-ups), and the words of their names and
    categories, the most listed first (what a typo is corrected to)."""

    words: tuple[str, ...]
    own: tuple[str, ...]

    @classmethod
    def build(cls, texts, names=()) -> CatalogWords:
        """`texts`: the searchable texts of the published listings; `names`: (a name with its category, the number
        of listings that bear it)."""
        listed: Counter[str] = Counter()
        for name, listings in names:
            for word in _distinct_words([name]):
                if word.isalpha() and len(word) >= 3:
                    listed[word] += listings
        return cls(tuple(sorted(_distinct_words(texts))),
                   tuple(sorted(listed, key=lambda w: (-listed[w], w))))  # the most listed first: it wins a tie


@dataclass(frozen=True)
class Lexicon:
    """What a search knows of words: the vocabulary, every word that published listings hold (sorted, for prefix
    look-ups; read under the current catalog version or one shortly before, catalog/search.py), and the candidates
    of the fuzzy matcher."""

    vocabulary: dict[str, tuple[tuple[str, ...], ...]]
    words: tuple[str, ...]
    candidates: tuple[tuple[str, ...], ...] = field(default=())  # the catalog's words first, then vocabulary terms

    @classmethod
    def of(cls, vocabulary_rows, catalog: CatalogWords) -> Lexicon:
        """The vocabulary's rows with the catalog's words (which may have been read under an earlier version)."""
        vocab: dict[str, list[tuple[str, ...]]] = {}
        for term, means, _kind in vocabulary_rows:
            meaning = tuple(means.split())
            if meaning not in vocab.setdefault(term, []):
                vocab[term].append(meaning)
        terms = tuple(sorted({t for t in vocab if " " not in t} - set(catalog.own)))
        return cls({k: tuple(v) for k, v in vocab.items()}, catalog.words, (catalog.own, terms))

    def knows(self, word: str) -> bool:
        """In the vocabulary, or the start of a listing's word, or its stem is (sayuran: sayur; pemupukan: pupu…)."""
        return word in self.vocabulary or _has_prefix(self.words, word) or _has_prefix(self.words, stem(word))

    def nearest(self, word: str) -> str | None:
        limit = 1 if len(word) < 7 else 2
        for candidates in self.candidates:  # a listing's own word wins over a vocabulary term as near
            best = process.extractOne(word, candidates, scorer=OSA.distance, score_cutoff=limit)
            if best:
                return best[0]
        return None


def tokens_all(text: str | None) -> list[str]:
    return _WORD.findall((text or "").lower())


def _distinct_words(texts) -> set[str]:
    """The distinct words of many texts: split on spaces first (cheap), the regex only on each distinct piece
    (100,000 listings' descriptions take a second, not ten)."""
    pieces = {piece for text in texts for piece in text.lower().split()}
    return {w for piece in pieces for w in _WORD.findall(piece)}


def _has_prefix(sorted_words: tuple[str, ...], prefix: str) -> bool:
    i = bisect.bisect_left(sorted_words, prefix)
    return i < len(sorted_words) and sorted_words[i].startswith(prefix)


# ------------------------------------------------------------------ a query, interpreted


@dataclass(frozen=True)
class Alternative:
    words: tuple[str, ...]  # all must match, each as a prefix
    column: str  # "words" (the listing's own words) or "stems"


@dataclass(frozen=True)
class Interpretation:
    groups: tuple[tuple[Alternative, ...], ...]
    corrected: str | None = None  # the query searched instead of the typed one, when a typo was corrected

    def __bool__(self) -> bool:
        return bool(self.groups)


def interpret(query: str | None, lexicon: Lexicon, exact: bool = False,
              listed: Callable[[str], bool] | None = None) -> Interpretation:
    """`listed(word)`, when given, is asked before a word the lexicon does not know is taken for a typo: the lexicon
    may be older than the catalog (catalog/search.py), and a word a listing published since holds is no typo."""
    words = tokens(query)
    groups: list[tuple[Alternative, ...]] = []
    shown: list[str] = []
    corrected = False
    i = 0
    while i < len(words):
        for size in range(min(MAX_PHRASE, len(words) - i), 0, -1):
            phrase = " ".join(words[i:i + size])
            if size == 1 or phrase in lexicon.vocabulary:
                break
        if (size == 1 and not exact and len(phrase) >= MIN_FUZZY and not lexicon.knows(phrase)
                and not (listed and listed(phrase))):
            nearest = lexicon.nearest(phrase)
            if nearest:
                phrase, corrected = nearest, True
        shown.append(phrase)
        alternatives = [Alternative(tuple(phrase.split()), "words")]
        if size == 1 and len(phrase) >= 4:
            root = stem(phrase)
            if len(root) >= 3:
                alternatives.append(Alternative((root,), "stems"))
        for meaning in lexicon.vocabulary.get(phrase, ()):
            alternative = Alternative(meaning, "words")
            if alternative not in alternatives:
                alternatives.append(alternative)
        groups.append(tuple(alternatives))
        i += size
    return Interpretation(tuple(groups), " ".join(shown) if corrected else None)
