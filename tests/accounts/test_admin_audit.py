"""The audit log viewer (/admin/audit): filters give exactly the right rows, newest first, page by page;
hostile text is shown escaped and exported as text, never as a formula."""
from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert

from marketplace.extensions import db
from marketplace.models import AuditEvent
from marketplace.accounts import audit
from tests.conftest import login
from tests.factories import ProducerFactory, UserFactory


def _event(action: str, *, actor=None, object_type: str = "product", object_id: int | None = 1, producer=None,
           note: str = "", when: datetime | None = None) -> AuditEvent:
    event = AuditEvent(action=action, actor_id=actor.id if actor else None, object_type=object_type,
                       object_id=object_id, producer_id=producer.id if producer else None, note=note,
                       created_at=when or datetime.now(UTC))
    db.session.add(event)
    db.session.commit()
    return event


@pytest.fixture
def log(accounts):
    """A small log with known rows: who, what, on what, for which producer, when."""
    a, b = accounts.producer_a_store, accounts.producer_b_store
    return {
        "old": _event("product.submitted", actor=accounts.producer_a, producer=a,
                      when=datetime(2026, 3, 1, 3, 0, tzinfo=UTC)),
        "approved": _event("product.approved", actor=accounts.moderator, producer=a,
                           when=datetime(2026, 3, 2, 3, 0, tzinfo=UTC)),
        "storefront": _event("producer.submitted", actor=accounts.officer, producer=a, object_type="producer",
                             object_id=a.id, when=datetime(2026, 3, 3, 3, 0, tzinfo=UTC)),
        "b": _event("product.submitted", actor=accounts.producer_b, producer=b,
                    when=datetime(2026, 3, 4, 3, 0, tzinfo=UTC)),
        "system": _event("inquiry.received", object_type="inquiry", object_id=7,
                         when=datetime(2026, 3, 5, 3, 0, tzinfo=UTC)),
    }


def _ids(client, query: str = "") -> list[int]:
    """The ids of the events listed on the page, top to bottom."""
    page = client.get("/admin/audit" + ("?" + query if query else ""))
    assert page.status_code == 200
    return [int(n) for n in re.findall(r'data-event="(\d+)"', page.get_data(as_text=True))]


@pytest.fixture
def admin_client(client, accounts):
    login(client, accounts.admin)
    return client


def test_the_log_lists_newest_first_with_actor_action_object_and_producer(admin_client, log):
    ids = [i for i in _ids(admin_client) if i in {e.id for e in log.values()}]
    assert ids == [log[k].id for k in ("system", "b", "storefront", "approved", "old")]
    page = admin_client.get("/admin/audit").get_data(as_text=True)
    row = re.search(rf'<tr data-event="{log["storefront"].id}">.*?</tr>', page, re.S).group(0)
    assert "pendamping@contoh.id" in row and "producer.submitted" in row and "Usaha A" in row
    assert "3 Mar 2026 10.00" in row  # 03:00 UTC is 10:00 in Metro (WIB)
    system_row = re.search(rf'<tr data-event="{log["system"].id}">.*?</tr>', page, re.S).group(0)
    assert "Sistem" in system_row


@pytest.mark.parametrize("query, expected", [
    ("actor=kurator@contoh", ["approved"]),
    ("actor=CONTOH.ID&action=product.submitted", ["b", "old"]),
    ("action=product.submitted", ["b", "old"]),
    ("object_type=producer", ["storefront"]),
    ("producer=usaha+a", ["storefront", "approved", "old"]),
    ("producer=Usaha+B", ["b"]),
    ("since=2026-03-02&until=2026-03-03", ["storefront", "approved"]),
    ("since=2026-03-04", ["system", "b"]),
    ("until=2026-03-01", ["old"]),
    ("actor=nobody", []),
    ("since=not-a-date&action=%3Cscript%3E", []),
])
def test_each_filter_gives_exactly_the_right_rows(admin_client, log, query, expected):
    ids = [i for i in _ids(admin_client, query) if i in {e.id for e in log.values()}]
    assert ids == [log[k].id for k in expected]


def test_the_action_and_object_type_choices_are_those_in_the_log(admin_client, log):
    page = admin_client.get("/admin/audit").get_data(as_text=True)
    actions = re.search(r'<select[^>]*name="action">(.*?)</select>', page, re.S).group(1)
    assert re.findall(r'<option value="([^"]+)"', actions) == sorted(
        {"product.submitted", "product.approved", "producer.submitted", "inquiry.received"} | _logins())
    types = re.search(r'<select[^>]*name="object_type">(.*?)</select>', page, re.S).group(1)
    assert "inquiry" in types and "producer" in types and "category" not in types


def _logins() -> set[str]:
    """Actions the sign-in itself may have logged."""
    from sqlalchemy import select

    return set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.object_type == "user_account")))


def test_pages_go_back_in_time_without_gaps_or_repeats(admin_client, accounts):
    db.session.execute(insert(AuditEvent), [
        {"action": "product.updated", "object_type": "product", "object_id": n, "note": f"n{n}",
         "actor_id": accounts.producer_a.id, "created_at": datetime(2026, 1, 1, tzinfo=UTC)}
        for n in range(120)])
    db.session.commit()
    seen, query = [], "action=product.updated"
    for _ in range(5):
        page = admin_client.get("/admin/audit?" + query).get_data(as_text=True)
        seen += [int(n) for n in re.findall(r'data-event="(\d+)"', page)]
        more = re.search(r'href="/admin/audit\?([^"]*)">Lebih lama</a>', page)
        if not more:
            break
        query = more.group(1).replace("&amp;", "&")
        assert "action=product.updated" in query  # the filter is kept on the next page
    assert len(seen) == 120 and len(set(seen)) == 120 and seen == sorted(seen, reverse=True)


def test_hostile_text_is_escaped_on_the_page_and_neutralised_in_the_export(admin_client, accounts):
    hostile_store = ProducerFactory(name='=HYPERLINK("http://evil.example","klik")', slug="jahat")
    actor = UserFactory(email="jahat@contoh.id", name="<img src=x onerror=alert(1)>")
    _event("product.rejected", actor=actor, producer=hostile_store, note="<script>alert('x')</script>")
    _event("product.rejected", actor=actor, note='=HYPERLINK("http://evil.example","klik")')
    _event("product.rejected", actor=actor, note="+SUM(1,1)")

    page = admin_client.get("/admin/audit").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page

    export = admin_client.get("/admin/audit/export.csv?action=product.rejected")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert "attachment" in export.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    header, body = rows[0], rows[1:]
    assert len(body) == 3
    notes = [r[header.index("Catatan")] for r in body]
    assert notes == ["'+SUM(1,1)", "'=HYPERLINK(\"http://evil.example\",\"klik\")", "<script>alert('x')</script>"]
    assert body[2][header.index("Produsen")] == "'=HYPERLINK(\"http://evil.example\",\"klik\")"
    for row in body:
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row)


def test_the_export_follows_the_filters(admin_client, log):
    export = admin_client.get("/admin/audit/export.csv?producer=Usaha+A&since=2026-03-02")
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert [int(r[0]) for r in rows[1:]] == [log["storefront"].id, log["approved"].id]


def test_the_viewer_refuses_everyone_but_the_admin(app, accounts, log):
    for name in ("producer_a", "officer", "moderator", "facilitator"):
        other = app.test_client()
        login(other, accounts.by_name(name))
        assert other.get("/admin/audit").status_code == 403
        assert other.get("/admin/audit/export.csv").status_code == 403


def test_the_log_has_an_index_for_one_action_newest_first(ctx):
    from sqlalchemy import inspect

    indexes = {i["name"]: i["column_names"] for i in inspect(db.engine).get_indexes("audit_event")}
    assert indexes["ix_audit_event_action"] == ["action", "id"]
    assert ["actor_id"] in indexes.values() and ["producer_id"] in indexes.values()


def test_filters_from_a_hostile_url_never_break_the_page(admin_client, log):
    for query in ("before=abc", "object_id=x", "before=99999999999999999999", "object_id=-99999999999999999999",
                  "actor=%00", "producer=%25_", "since=2026-13-45",
                  "action=" + "x" * 500):
        assert admin_client.get("/admin/audit?" + query).status_code == 200
        assert admin_client.get("/admin/audit/export.csv?" + query).status_code == 200
    assert audit.page(audit.AuditFilters(producer="%_"))[0] == []


def test_the_date_filters_mean_days_in_metro(admin_client):
    """23:30 UTC on 5 March is 06:30 on 6 March in Metro: it belongs to the 6th, not the 5th."""
    dawn = _event("product.submitted", when=datetime(2026, 3, 5, 23, 30, tzinfo=UTC))
    assert dawn.id in _ids(admin_client, "since=2026-03-06&until=2026-03-06")
    assert dawn.id not in _ids(admin_client, "until=2026-03-05")
