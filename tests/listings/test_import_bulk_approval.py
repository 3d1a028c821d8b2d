"""A moderator approves what the city's import sent for review in one go (issue 17, item 3): ticked on the queue,
listed on a page to confirm, approved each through `moderation.approve` (its policy check, its transitions, an
audit row each); what the moderator may not review is refused, and two moderators pressing at once approve each
item once."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import AuditEvent, Producer, Product, Role
from marketplace.listings import review as moderation
from marketplace.listings.workflow import publication
from tests.conftest import csrf_from, login
from tests.factories import ProductFactory, UserFactory, category
from tests.htmlq import parse
from tests.city.test_import_review import _row, _run, _sheet, live  # noqa: F401 (live is a fixture)

RICE_NIB, EGG_NIB = "1234567890123", "9876543210987"


@pytest.fixture
def imported(app, accounts, tmp_path):
    """Two storefronts and two listings the import made (waiting for review), and a listing its producer submitted."""
    data = _sheet(tmp_path, _row(1, name="Gapoktan Sumber Rejeki", nib=RICE_NIB, email=""),
                  _row(2, name="KWT Telur Makmur", product="Beras Merah", nib=EGG_NIB, email=""))
    assert _run(app, tmp_path / "inventaris.csv").exit_code == 0, data
    own = ProductFactory(producer=accounts.producer_a_store, name="Telur Omega", status="draft",
                         category=category("beras-serealia"))
    publication.apply("submit", own, accounts.producer_a)
    db.session.commit()
    producers = db.session.scalars(select(Producer).where(Producer.nib.in_([RICE_NIB, EGG_NIB]))).all()
    products = [p for producer in producers for p in producer.products]
    return {"producers": producers, "products": products, "own": own}


def _keys(imported) -> list[str]:
    return ([f"producers:{p.id}" for p in imported["producers"]] + [f"products:{p.id}" for p in imported["products"]])


def _approvals(obj) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "publication.approve", AuditEvent.object_type == obj.__tablename__,
        AuditEvent.object_id == obj.id))


def test_the_queue_offers_a_tick_for_what_the_import_sent_and_for_nothing_else(app, client, accounts, imported):
    login(client, accounts.moderator)
    page = parse(client.get("/moderation/").get_data(as_text=True))
    ticks = {box.attrs["value"] for box in page.find("form", id="import-approval").find_all("input", type="checkbox", name="item")}
    assert ticks == set(_keys(imported))
    assert f"products:{imported['own'].id}" not in ticks
    assert "Impor: inventaris.csv" in page.text()


def test_ticked_items_are_listed_then_approved_together_each_with_its_own_audit_row(app, client, accounts, imported):
    login(client, accounts.moderator)
    keys = _keys(imported)
    confirm = client.get("/moderation/import-approval", query_string=[("item", k) for k in keys])
    assert confirm.status_code == 200
    page = parse(confirm.get_data(as_text=True))
    listed = [box.attrs["value"] for box in page.find_all("input", type="hidden", name="item")]
    assert sorted(listed) == sorted(keys)
    assert "Gapoktan Sumber Rejeki" in page.text() and "Beras Merah" in page.text()
    db.session.expire_all()
    assert all(p.status == "pending" for p in imported["producers"])  # showing the list changes nothing

    token = csrf_from(confirm)
    response = client.post("/moderation/import-approval", data={"csrf_token": token, "item": listed},
                           follow_redirects=True)
    assert "4 item dari impor disetujui." in response.get_data(as_text=True)
    db.session.expire_all()
    for obj in [*imported["producers"], *imported["products"]]:
        assert obj.status == "published" and _approvals(obj) == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "publication.approve").limit(1))
    assert event.actor_id == accounts.moderator.id
    assert imported["own"].status == "pending"  # not ticked, not touched


def test_items_not_from_the_import_are_refused(app, client, accounts, imported):
    login(client, accounts.moderator)
    token = csrf_from(client.get("/moderation/"))
    own = imported["own"]
    response = client.post("/moderation/import-approval", data={"csrf_token": token, "item": [f"products:{own.id}"]},
                           follow_redirects=True)
    assert "bukan dari impor" in response.get_data(as_text=True)
    db.session.expire_all()
    assert own.status == "pending" and _approvals(own) == 0


def test_a_moderator_is_refused_what_lies_outside_their_categories(app, accounts, imported):
    crafts = UserFactory(email="dekranasda@contoh.id", role=Role.MODERATOR,
                         moderated_categories=[category("kerajinan-wastra")])
    client = app.test_client()
    login(client, crafts)
    keys = [f"products:{p.id}" for p in imported["products"]]  # rice: not theirs
    confirm = client.get("/moderation/import-approval", query_string=[("item", k) for k in keys])
    assert not parse(confirm.get_data(as_text=True)).find_all("input", type="hidden", name="item")
    response = client.post("/moderation/import-approval", data={"csrf_token": csrf_from(confirm), "item": keys},
                           follow_redirects=True)
    assert "bukan kategori Anda" in response.get_data(as_text=True)
    db.session.expire_all()
    assert all(p.status == "pending" and _approvals(p) == 0 for p in imported["products"])


def test_two_moderators_pressing_at_once_approve_each_item_once(app, accounts, imported):
    first, second = app.test_client(), app.test_client()
    login(first, accounts.moderator)
    login(second, accounts.admin)
    keys = _keys(imported)
    tokens = [csrf_from(c.get("/moderation/import-approval", query_string=[("item", k) for k in keys]))
              for c in (first, second)]
    assert first.post("/moderation/import-approval", data={"csrf_token": tokens[0], "item": keys}).status_code == 302
    late = second.post("/moderation/import-approval", data={"csrf_token": tokens[1], "item": keys},
                       follow_redirects=True)
    assert "4 item sudah diputuskan kurator lain" in late.get_data(as_text=True)
    db.session.expire_all()
    assert all(_approvals(obj) == 1 for obj in [*imported["producers"], *imported["products"]])


def test_a_change_another_moderator_approved_meanwhile_is_left_and_the_rest_go_through(app, accounts, imported):
    """The engine's conditional update: the item decided between the list and the press is skipped, alone."""
    first, *rest = imported["products"]
    items, _ = moderation.imported_items(accounts.moderator, _keys(imported))
    moderation.approve(first, accounts.admin)  # the other moderator, after the list was read
    db.session.commit()
    result = moderation.approve_imported(accounts.moderator, [i.key for i in items])
    db.session.commit()
    assert result.already_decided == [f"products:{first.id}"]
    assert len(result.approved) == 3 and _approvals(first) == 1


def test_a_change_the_import_made_to_a_live_listing_can_be_approved_with_the_rest(app, accounts, live, tmp_path):
    _sheet(tmp_path, _row(capacity="6500"))
    assert _run(app, tmp_path / "inventaris.csv").exit_code == 0
    items = [i for i in moderation.queue(accounts.moderator) if i.import_file]
    assert [i.kind for i in items] == ["product_change"]
    result = moderation.approve_imported(accounts.moderator, [items[0].key])
    db.session.commit()
    assert len(result.approved) == 1
    db.session.expire_all()
    assert db.session.get(Product, live.id).monthly_capacity == 6500


def test_nothing_ticked_goes_back_to_the_queue_with_a_message(app, client, accounts, imported):
    login(client, accounts.moderator)
    response = client.get("/moderation/import-approval", follow_redirects=True)
    assert "Centang item dari impor" in response.get_data(as_text=True)


@pytest.mark.parametrize("key", ["products:99999999999", "producers:2147483648", "products:999999999999999999"])
def test_an_id_past_the_largest_the_database_holds_is_refused_not_a_500(client, accounts, key):
    login(client, accounts.moderator)
    token = csrf_from(client.get("/moderation/"))
    response = client.post("/moderation/import-approval", data={"csrf_token": token, "item": [key]})
    assert response.status_code in (302, 400)
    assert client.get("/moderation/import-approval", query_string={"item": key}).status_code in (200, 302)
