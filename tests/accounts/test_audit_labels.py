"""Every action the code can write to the audit trail has a label in both languages, and the screens show it
instead of the raw code."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from flask_babel import force_locale

import marketplace
from marketplace.core.formatting import audit_action
from marketplace.accounts import audit
from marketplace.core.vocab import AUDIT_ACTIONS
from marketplace.core.workflow import Workflow

ROOT = Path(__file__).resolve().parents[2] / "marketplace"


def _literal_actions() -> set[str]:
    """The action codes of every `audit.record(...)` call: string constants of its first argument (also
    inside `"a" if x else "b"`)."""
    found = set()
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "record"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "audit" and node.args):
                found |= {c.value for c in ast.walk(node.args[0])
                          if isinstance(c, ast.Constant) and isinstance(c.value, str)
                          and re.fullmatch(r"[a-z_]+\.[a-z_]+", c.value)}
    return found


def _workflow_actions() -> set[str]:
    import importlib
    import pkgutil

    modules = [importlib.import_module(m.name) for m in pkgutil.walk_packages(marketplace.__path__, "marketplace.")
               if m.name.rsplit(".", 1)[-1] == "workflow"]  # each domain's tables (and the engine, core/workflow.py)
    tables = {id(w): w for m in modules for w in vars(m).values() if isinstance(w, Workflow)}
    return {f"{w.name}.{name}" for w in tables.values() for name in w.transitions}


ACTIONS = sorted(_literal_actions() | _workflow_actions())


def test_the_scan_finds_the_actions_the_code_writes():
    assert {"product.graded", "account.deactivated", "account.activated", "publication.approve",
            "inquiry.claim"} <= set(ACTIONS)


@pytest.mark.parametrize("action", ACTIONS)
def test_every_audit_action_has_a_label_in_both_languages(app, action):
    assert action in AUDIT_ACTIONS, f"add {action!r} to vocab.AUDIT_ACTIONS"
    with app.test_request_context():
        with force_locale("id"):
            indonesian = audit_action(action)
        with force_locale("en"):
            english = audit_action(action)
    assert indonesian != action and english != action
    assert english != indonesian, f"no English label for {action!r}"


def test_the_audit_log_shows_what_happened_in_words(client, login_as, accounts):
    from marketplace.extensions import db

    admin = login_as("admin")
    audit.record("product.graded", accounts.producer_a_store, actor=admin)
    db.session.commit()
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Nilai kurasi diberikan" in page
    english = client.get("/admin/audit", query_string={"lang": "en"}).get_data(as_text=True)
    assert "Curation grade given" in english
