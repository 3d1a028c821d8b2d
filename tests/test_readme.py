"""The README as a newcomer reads it: every page it names answers at that address (no redirect, no 404),
and every command it lists exists."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from marketplace.extensions import db

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")

# `/admin/reports` … in backticks; placeholders (<…>, …) and static files are left out.
PAGES = sorted({path for path in re.findall(r"`(/[^`\s]*)`", README)
                if not re.search(r"[<…*]|^/static", path)})
# The first word(s) of each command row of the README's command table: | `seed scale [--producers N] …` |
COMMANDS = sorted({tuple(w for w in row.split() if re.fullmatch(r"[a-z][a-z-]*", w))[:2]
                   for row in re.findall(r"^\| `([a-z][^`]*)`", README, flags=re.M)})


def test_the_readme_names_pages_and_commands():
    assert "/admin/import/" in PAGES and len(PAGES) >= 10
    assert ("seed", "scale") in COMMANDS and ("import-umkm",) in [c[:1] for c in COMMANDS]


# Who reads each part of the site (None: anyone, signed out).
ROLE_OF = {"/dashboard": "producer_a", "/moderation": "moderator", "/facilitator": "facilitator", "/admin": "admin"}


@pytest.mark.parametrize("path", PAGES)
def test_every_page_the_readme_names_answers_at_that_address(client, login_as, path):
    role = next((r for prefix, r in ROLE_OF.items() if path.startswith(prefix)), None)
    if role:
        login_as(role)
        db.session.commit()
    response = client.get(path)
    assert response.status_code == 200, f"{path} answers {response.status_code} {response.headers.get('Location', '')}"


@pytest.mark.parametrize("words", COMMANDS, ids=" ".join)
def test_every_command_the_readme_lists_exists(app, words):
    group = list(words)
    if group[0] in ("import-umkm", "backup"):
        group = group[:1]
    result = app.test_cli_runner().invoke(args=[*group, "--help"])
    assert result.exit_code == 0, result.output


ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("path", sorted(set(re.findall(r"\b((?:tests|marketplace|bench|migrations)/(?:[\w.-]+/)*\w[\w-]*\.\w+)", README))))
def test_every_file_the_readme_names_is_in_the_repository(path):
    assert (ROOT / path).exists()
