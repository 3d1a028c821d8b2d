"""Every e-mail template, found by listing templates/email, with a hostile value in every field it shows.

The HTML part must show each value escaped and never raw (whatever template or include writes it); the
text part and the subject show it as the text it is. A new template is covered without touching this file;
one that shows a variable this file has no hostile value for fails until _values() has one.

Which fields a template shows is read from the templates themselves (their own source and every template
they include or extend): `user.name` in a template means the user's name must come out hostile-but-escaped.
Objects are the real models, not yet stored; every text column of theirs reads as a hostile value.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from jinja2 import meta, nodes
from markupsafe import escape
from sqlalchemy import String, inspect

from marketplace.config import BASE_DIR
from marketplace.models import Allocation, Inquiry, Producer, Role, User
from marketplace.core.outbox import queue_email

EMAIL_DIR = Path(BASE_DIR) / "templates" / "email"
TEMPLATES = sorted(p.name.removesuffix(".html") for p in EMAIL_DIR.glob("*.html") if not p.name.startswith("_"))
PARTS = {"html": "{}.html", "text": "{}.txt", "subject": "{}.subject.txt"}


def hostile(path: str) -> str:
    """A value that is markup if written raw; `path` tells which field it is in a failure message."""
    return f'{path}"><img src=x onerror=alert(1)>&\''


class HostileRecord:
    """A model instance whose every text column reads as hostile(<name>.<column>); other attributes are real."""

    def __init__(self, instance, name: str):
        self._instance, self._name = instance, name
        self._text_columns = {attr.key for attr in inspect(type(instance)).column_attrs
                              if isinstance(attr.columns[0].type, String)}

    def __getattr__(self, attr: str):
        if attr in self._text_columns:
            return hostile(f"{self._name}.{attr}")
        value = getattr(self._instance, attr)
        if hasattr(value, "_sa_instance_state"):
            return HostileRecord(value, f"{self._name}.{attr}")
        return value


def _values() -> dict:
    """A hostile value for every variable an e-mail template may show."""
    return {
        "user": HostileRecord(User(role=Role.PRODUCER), "user"),
        "producer": HostileRecord(Producer(), "producer"),
        "inquiry": HostileRecord(Inquiry(quantity=1500.0, target_price=12_500), "inquiry"),
        "allocation": HostileRecord(Allocation(requested_qty=750.0), "allocation"),
        "url": "https://etalase.test/" + hostile("url"),
        "object_name": hostile("object_name"),
        "reason": hostile("reason"),
        "body": hostile("body"),
    }


# --- what a template shows, read from its source -----------------------------------------------

def _family(app, name: str) -> list[tuple[str, nodes.Template]]:
    """(name, parsed template) for the template and every template it includes or extends, recursively."""
    seen, order, todo = set(), [], [name]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        source = app.jinja_env.loader.get_source(app.jinja_env, current)[0]
        tree = app.jinja_env.parse(source)
        order.append((current, tree))
        todo.extend(n for n in meta.find_referenced_templates(tree) if n)
    return order


def _fallbacks(tree: nodes.Template) -> set[int]:
    """Nodes on the right of an `or` (`user.name or user.email`): shown only when the left one is empty."""
    return {id(node) for expr in tree.find_all(nodes.Or) for node in [expr.right, *expr.right.find_all(nodes.Node)]}


def shown_fields(app, name: str) -> set[str]:
    """Dotted paths the template writes: `url`, `user.name`, `inquiry.reference` ..."""
    paths = set()
    for _file, tree in _family(app, name):
        skip = _fallbacks(tree)
        for node in tree.find_all(nodes.Getattr):
            if isinstance(node.node, nodes.Name) and id(node) not in skip:
                paths.add(f"{node.node.name}.{node.attr}")
        for node in tree.find_all(nodes.Name):
            if node.ctx == "load" and id(node) not in skip:
                paths.add(node.name)
    return paths


def variables(app, name: str) -> set[str]:
    """The names a template (with its includes) needs from the caller."""
    found, bound = set(), set()
    for _file, tree in _family(app, name):
        found |= meta.find_undeclared_variables(tree)
        bound |= {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}  # {% with label=… %}
    with app.test_request_context():
        provided: dict = {}
        app.update_template_context(provided)  # context processors: g, request, today …
    return found - bound - set(provided) - set(app.jinja_env.globals) - {"lang"}  # the outbox sets <html lang>


def choices(app, name: str, values: dict) -> dict[str, set]:
    """Branches to render: a variable compared with constants (`decision == 'approved'`) takes each of them;
    one tested on its own (`{% if reason %}`, `producer if producer else ''`) is given and left out."""
    found: dict[str, set] = {}
    for _file, tree in _family(app, name):
        for compare in tree.find_all(nodes.Compare):
            if isinstance(compare.expr, nodes.Name):
                for operand in compare.ops:
                    if isinstance(operand.expr, nodes.Const) and isinstance(operand.expr.value, str):
                        found.setdefault(compare.expr.name, set()).add(operand.expr.value)
        for test in [n.test for n in tree.find_all((nodes.If, nodes.CondExpr))]:
            if isinstance(test, nodes.Name) and test.name in values:
                found.setdefault(test.name, set()).update({"given", None})
    return found


def resolve(context: dict, path: str):
    head, _, attr = path.partition(".")
    value = context.get(head)
    return getattr(value, attr, None) if attr and value is not None else value


def contexts(app, name: str) -> list[dict]:
    """One context per branch of the message, a hostile value in every variable its parts need."""
    files = [f"email/{part.format(name)}" for part in PARTS.values()]
    needed = set().union(*(variables(app, f) for f in files))
    values = _values()
    branches: dict[str, set] = {}
    for file in files:
        for key, options in choices(app, file, values).items():
            branches.setdefault(key, set()).update(options)
    missing = needed - set(values) - set(branches)
    assert not missing, f"email/{name}: give {sorted(missing)} a hostile value in _values() of {__file__}"
    result = [{key: values[key] for key in needed if key in values}]
    for key, options in sorted(branches.items()):
        options = [values[key] if option == "given" else option for option in options]
        result = [{**c, key: option} for c in result for option in options]
    return result


RAW = re.compile(r"([\w.]+)\"><img src=x onerror=alert\(1\)>&'")
ESCAPED = re.compile(r"([\w.]+)&#34;&gt;&lt;img src=x onerror=alert\(1\)&gt;&amp;&#39;")


# --- the tests -----------------------------------------------------------------------------------

def test_the_email_folder_is_listed():
    assert {"review_decision", "reset_password", "inquiry_received"} <= set(TEMPLATES)
    for name in TEMPLATES:
        for part in PARTS.values():
            assert (EMAIL_DIR / part.format(name)).is_file(), f"email/{name} has no {part.format(name)}"


@pytest.mark.parametrize("locale", ["id", "en"])
@pytest.mark.parametrize("name", TEMPLATES)
def test_every_field_of_every_email_is_escaped_in_html_and_plain_in_text(ctx, name, locale):
    app = ctx
    for part in PARTS.values():  # compiled for pages (a .txt without escaping): the outbox must not reuse them
        for file, _tree in _family(app, f"email/{part.format(name)}"):
            app.jinja_env.get_template(file)
    shown: dict[str, set[str]] = {part: set() for part in PARTS}
    for context in contexts(app, name):
        message = queue_email("penerima@contoh.id", name, locale=locale, **context)
        parts = {"html": message.body_html, "text": message.body_text, "subject": message.subject}
        branch = {k: v for k, v in context.items() if v is None or (isinstance(v, str) and "<" not in v)}
        assert "<img" not in parts["html"], f"email/{name} {branch}: raw markup in the HTML part: " \
            f"{sorted(set(RAW.findall(parts['html'])))}"
        assert parts["subject"] and "\n" not in parts["subject"], f"email/{name} {branch}: subject not one line"
        shown["html"] |= set(ESCAPED.findall(parts["html"]))
        for part in ("text", "subject"):
            assert not ESCAPED.search(parts[part]), f"email/{name} {branch}: escaped in the plain {part}: " \
                f"{sorted(set(ESCAPED.findall(parts[part])))}"
            shown[part] |= set(RAW.findall(parts[part]))
    full = _values()
    for part, template in PARTS.items():
        file = f"email/{template.format(name)}"
        expected = {path for path in shown_fields(app, file) if "<img" in str(resolve(full, path) or "")}
        assert expected <= shown[part], f"{file}: never shows {sorted(expected - shown[part])} as it should"
    assert shown["html"] and shown["text"], f"email/{name} shows no user text? (then this test proves nothing)"
