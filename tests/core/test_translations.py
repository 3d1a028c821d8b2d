"""Every user-facing string has its English translation, and the compiled catalogue is current."""
from __future__ import annotations

import gettext
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "marketplace/translations/en/LC_MESSAGES/messages.po"
MO = PO.with_suffix(".mo")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[str]:
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", str(ROOT / "babel.cfg"), "-k", "_l",
         "--ignore-dirs", ".* __pycache__", "-o", str(pot), str(ROOT)],
        check=True, capture_output=True,
    )
    with pot.open("rb") as f:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}


def _catalogue() -> dict[str, object]:
    with PO.open("rb") as f:
        return {(m.id if isinstance(m.id, str) else m.id[0]): m for m in read_po(f) if m.id}


def test_every_string_in_the_code_has_an_english_translation(extracted):
    catalogue = _catalogue()
    untranslated = sorted(
        msgid for msgid in extracted
        if msgid not in catalogue or not all(catalogue[msgid].string if isinstance(catalogue[msgid].string, tuple)
                                             else [catalogue[msgid].string])
    )
    assert untranslated == [], "run `make translations` and translate these in messages.po"


def test_no_translation_is_marked_fuzzy():
    assert [m for m, entry in _catalogue().items() if "fuzzy" in entry.flags] == []


def test_the_compiled_catalogue_matches_the_po_file():
    with MO.open("rb") as f:
        compiled = gettext.GNUTranslations(f)
    for msgid, entry in _catalogue().items():
        expected = entry.string[0] if isinstance(entry.string, tuple) else entry.string
        if isinstance(entry.id, tuple):
            assert compiled.ngettext(entry.id[0], entry.id[1], 1) == expected, msgid
        else:
            assert compiled.gettext(msgid) == expected, f"{msgid!r}: recompile with `flask translate compile`"


def test_english_pages_use_the_catalogue(client, ctx):
    from tests.factories import ProductFactory

    ProductFactory(name="Beras Organik", price=[(100, 12500)])
    page = client.get("/products?lang=en").get_data(as_text=True)
    assert 'lang="en"' in page
    assert "Minimum order" in page and "Minimal pemesanan" not in page
    assert "Rp 12.500" in page  # Rupiah stay Indonesian-style in English too


def test_no_string_is_in_the_catalogue_twice():
    """Branches merged by union may each add the same string; a second entry would silently win."""
    import re

    text = PO.read_text(encoding="utf-8")
    ids = [m.group(1) + m.group(2) for m in re.finditer(r'^msgid ("(?:[^"\\]|\\.)*")((?:\n"(?:[^"\\]|\\.)*")*)', text, re.M)]
    ids = [i for i in ids if i != '""']
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
