"""Every rule of the URL map, with hostile values in its path and in every query parameter the app reads, as every
role that can reach it: never a 5xx (QUALITY.md: input). On SQLite and on PostgreSQL.

The records and the accounts are those of the access matrix (tests/test_access_matrix.py): each path part takes a
hostile value while the others keep producer A's real records, so the request gets as far as the view.
"""
from __future__ import annotations

import re
from urllib.parse import quote, unquote, urlencode

import pytest

from marketplace.catalog.forms import ProducerListArgs, ProductListArgs
from tests.conftest import csrf_from
from tests.test_access_matrix import ACTIONS, EXPECTED, LAST, ROLES, _client, world  # noqa: F401 (world: fixture)

PATH_VALUES = ["²", "١٢", "9" * 20, "-1", "0", "..", "a" * 3000, "1" * 5000, "\x00", "a\x00b", "%", "😀"]
QUERY_VALUES = ["²", "١٢", "9" * 20, "-1", "0", "1e999", "nan", "\x00", "a" * 5000, "2026-13-45", "0001-01-01",
                "9999-12-31", ""]


def _read_by(form_class) -> tuple[str, ...]:
    """The parameters a GET form reads (the public lists' forms are generated from the declared filters)."""
    return tuple(sorted(name for name in dir(form_class) if hasattr(getattr(form_class, name, None), "field_class")))


# The query parameters each page reads, and a base query string that the
# parameters are changed in one at a time (so the period's dates are read as a custom period).
CATALOG = _read_by(ProductListArgs)
DIRECTORY = _read_by(ProducerListArgs)
PERIOD = ("period", "start", "end")
QUEUE = ("status", "owner", "buyer_type", "category", "q", "before", "since", "until")
AUDIT = ("actor", "action", "object_type", "object_id", "producer", "since", "until", "before")
PARAMS: dict[str, tuple[str, ...]] = {
    "catalog.home": ("lang",),  # every page reads it, through one function (marketplace/core/i18n.py)
    "catalog.products": CATALOG,
    "catalog.producers": DIRECTORY,
    "catalog.producer": ("page",),
    "api.products": (*CATALOG, "per_page"),
    "api.producers": (*DIRECTORY, "per_page"),
    "catalog.compare": ("id", "qty", "unit"),
    "inquiries.new": ("product", "producer", "qty", "unit"),
    "auth.login": ("next",),
    "auth.register": ("next",),
    "facilitator.queue": QUEUE,
    "facilitator.export_inquiries": QUEUE,
    "facilitator.dashboard": PERIOD,
    "reports.index": PERIOD,
    "reports.printable": PERIOD,
    "reports.workbook": PERIOD,
    "moderation.queue": ("kind", "category", "kecamatan"),
    "moderation.import_approval": ("item",),
    "admin.users_list": ("q", "role", "status", "page"),
    "admin.user": ("q",),
    "admin.audit": AUDIT,
    "admin.audit_export": AUDIT,
}
# Exports and printable reports build a whole file from the same parsed values as their page: a short list there.
HEAVY = {"facilitator.dashboard", "facilitator.export_inquiries", "reports.printable", "reports.workbook",
         "admin.audit_export"}
SHORT = ["²", "9" * 20, "\x00", "0001-01-01"]
BASE_QUERY = {endpoint: {"period": "custom", "start": "2026-01-01", "end": "2026-03-31"}
              for endpoint, params in PARAMS.items() if params == PERIOD}

_PART = re.compile(r"<(?:(?P<converter>[a-zA-Z_]+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>[a-zA-Z_]+)>")


def _reachable(role: str, endpoint: str, method: str) -> bool:
    """The roles a page lets in. A public page (the same for everyone) is walked as a visitor."""
    outcomes = EXPECTED[(endpoint, method)]
    if len(set(outcomes.values())) == 1 and role != "anonymous":
        return False
    return outcomes[role] == "ok"


def _routed_away(adapter, url: str, method: str) -> bool:
    """Whether the URL map itself refuses the path (a converter's 404 or 405, before any view runs)."""
    from werkzeug.exceptions import MethodNotAllowed, NotFound
    from werkzeug.routing import RequestRedirect

    try:
        adapter.match(unquote(url), method=method)
    except (NotFound, MethodNotAllowed):
        return True
    except RequestRedirect:
        return False
    return False


def _path(rule, world, hostile: tuple[str, str] | None = None) -> str:
    """The rule's path with the world's values, one part (name, raw value) replaced by a hostile one."""
    def part(match):
        name = match["name"]
        if hostile and name == hostile[0]:
            return quote(hostile[1], safe="") if hostile[1] not in ("..", "../..") else hostile[1]
        value = ACTIONS.get(rule.endpoint, "") if name == "action" else world[name]
        return quote(str(value), safe="/")
    return _PART.sub(part, rule.rule)


def _rules(app, methods=("GET", "POST")):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in LAST:
            continue
        for method in sorted(rule.methods & set(methods)):
            yield rule, method


@pytest.mark.parametrize("role", ROLES)
def test_hostile_path_parts_never_break_a_page(app, accounts, world, role):
    client = _client(app, accounts, role)
    token = csrf_from(client.get("/auth/reset"))
    failures = []
    adapter = app.url_map.bind("localhost")
    for rule, method in _rules(app):
        if not rule.arguments or not _reachable(role, rule.endpoint, method):
            continue
        for name in sorted(rule.arguments):
            refused = 0
            for value in PATH_VALUES:
                url = _path(rule, world, (name, value))
                if _routed_away(adapter, url, method):
                    refused += 1
                    if refused > 1:  # the URL map's own 404: sent once per part, the rest would be the same
                        continue
                response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
                if response.status_code >= 500:
                    failures.append(f"{method} {url[:120]} as {role}: {response.status_code}")
    assert failures == []


@pytest.mark.parametrize("role", ROLES)
def test_hostile_query_parameters_never_break_a_page(app, accounts, world, role):
    client = _client(app, accounts, role)
    failures = []
    for rule, _method in _rules(app, methods=("GET",)):
        if not _reachable(role, rule.endpoint, "GET"):
            continue
        params = PARAMS.get(rule.endpoint, ())
        if not params:
            continue
        path = _path(rule, world)
        base = BASE_QUERY.get(rule.endpoint, {})
        values = SHORT if rule.endpoint in HEAVY else QUERY_VALUES
        for name in params:
            for value in values:
                url = f"{path}?{urlencode({**base, name: value})}"
                response = client.get(url)
                if response.status_code >= 500:
                    failures.append(f"GET {url[:120]} as {role}: {response.status_code}")
        # and every parameter at once, each with the same hostile value
        for value in values:
            response = client.get(f"{path}?{urlencode({**{n: value for n in params}, **base})}")
            if response.status_code >= 500:
                failures.append(f"GET {path} with every parameter {value[:20]!r} as {role}: {response.status_code}")
    assert failures == []


def test_every_page_that_reads_the_query_string_is_listed(app):
    """A view that reads a parameter the walk does not know would go untested: the query forms name them all."""
    from tests.core.test_input_fuzz import _app_form_classes

    from marketplace.core.forms import QueryForm

    read = {name for c in _app_form_classes() if issubclass(c, QueryForm)
            for name in dir(c) if hasattr(getattr(c, name, None), "field_class")}
    listed = {name for params in PARAMS.values() for name in params}
    assert read - listed == set()
