"""Dekranasda review: nothing changes for buyers until a moderator approves; every decision is kept."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import AuditEvent, OutboundMessage, Producer, Product, Revision, Role
from marketplace.listings import editing as listings, review as moderation
from marketplace.core.workflow import TransitionConflict
from marketplace.listings.workflow import publication
from tests.conftest import csrf_from, login
from tests.factories import ProducerFactory, ProductFactory, UserFactory, category


def _edit_capacity(product: Product, user, capacity: float) -> None:
    values = listings.product_values(product)
    values["monthly_capacity"] = capacity
    listings.save_product(product.producer, product, values, user)
    listings.submit(product, user)
    db.session.commit()


def _post(client, url, data=None):
    token = csrf_from(client.get("/moderation/"))
    return client.post(url, data={"csrf_token": token, **(data or {})})


@pytest.fixture
def published(accounts):
    return ProductFactory(producer=accounts.producer_a_store, name="Beras Pandan Wangi", monthly_capacity=5000)


def test_pending_change_leaves_the_public_page_search_and_api_unchanged(client, accounts, published):
    _edit_capacity(published, accounts.producer_a, 7777)
    page = client.get(f"/products/{published.id}").get_data(as_text=True)
    assert "5 ton" in page and "7,8 ton" not in page
    api = client.get("/api/v1/products?q=pandan").get_json()
    assert api["items"][0]["monthly_capacity"] == 5000


def test_approving_a_change_publishes_it_everywhere(app, client, accounts, published):
    _edit_capacity(published, accounts.producer_a, 7777)
    moderator = app.test_client()
    login(moderator, accounts.moderator)
    response = _post(moderator, f"/moderation/products/{published.id}/decide", {"action": "approve"})
    assert response.status_code == 302
    assert "7,8 ton" in client.get(f"/products/{published.id}").get_data(as_text=True)
    assert client.get("/api/v1/products?q=pandan").get_json()["items"][0]["monthly_capacity"] == 7777


def test_rejecting_a_change_keeps_the_live_version_and_tells_the_producer_why(app, client, accounts, published):
    _edit_capacity(published, accounts.producer_a, 7777)
    moderator = app.test_client()
    login(moderator, accounts.moderator)
    _post(moderator, f"/moderation/products/{published.id}/decide",
          {"action": "reject", "reason": "Kapasitas tidak realistis"})
    assert "5 ton" in client.get(f"/products/{published.id}").get_data(as_text=True)
    login(client, accounts.producer_a)
    dashboard = client.get("/dashboard/").get_data(as_text=True)
    assert "Kapasitas tidak realistis" in dashboard
    mail = db.session.scalar(select(OutboundMessage).where(OutboundMessage.to_address == accounts.producer_a.email))
    assert mail is not None and "Kapasitas tidak realistis" in mail.body_text


def test_reject_without_a_reason_is_refused_next_to_the_field(app, accounts, published):
    _edit_capacity(published, accounts.producer_a, 7777)
    moderator = app.test_client()
    login(moderator, accounts.moderator)
    response = _post(moderator, f"/moderation/products/{published.id}/decide", {"action": "reject"})
    assert response.status_code == 400
    assert "Tulis atau pilih alasan" in response.get_data(as_text=True)
    assert listings.open_revision(published).status == "pending"


def test_a_stock_reason_can_be_picked_instead_of_typed(app, accounts, published):
    _edit_capacity(published, accounts.producer_a, 7777)
    moderator = app.test_client()
    login(moderator, accounts.moderator)
    _post(moderator, f"/moderation/products/{published.id}/decide", {"action": "request_changes", "stock_reason": "0"})
    revision = db.session.scalar(select(Revision).where(Revision.object_id == published.id))
    db.session.refresh(revision)
    assert revision.status == "rejected" and revision.reason == str(moderation.STOCK_REASONS[0])


def test_the_diff_view_highlights_changes_and_escapes_hostile_text(app, accounts, published):
    values = listings.product_values(published)
    values["description"] = '<script>alert("x")</script>'
    listings.save_product(published.producer, published, values, accounts.producer_a)
    listings.submit(published, accounts.producer_a)
    db.session.commit()
    moderator = app.test_client()
    login(moderator, accounts.moderator)
    page = moderator.get(f"/moderation/products/{published.id}").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page
    assert "diff-changed" in page


def test_queue_lists_new_and_changed_items_oldest_first(app, accounts, published):
    draft = ProductFactory(producer=accounts.producer_a_store, name="Telur Baru", status="draft")
    publication.apply("submit", draft, accounts.producer_a)
    db.session.commit()
    _edit_capacity(published, accounts.producer_a, 6000)
    items = moderation.queue(accounts.moderator)
    assert [i.kind for i in items] == ["new_product", "product_change"]


def test_a_scoped_moderator_sees_only_their_categories(app, accounts):
    crafts = UserFactory(email="dekranasda@contoh.id", role=Role.MODERATOR,
                         moderated_categories=[category("kerajinan-wastra")])
    rice = ProductFactory(producer=accounts.producer_a_store, status="draft", category=category("beras-serealia"))
    tapis = ProductFactory(producer=accounts.producer_a_store, status="draft", category=category("kerajinan-wastra"))
    for product in (rice, tapis):
        publication.apply("submit", product, accounts.producer_a)
    db.session.commit()
    assert [i.obj.id for i in moderation.queue(crafts)] == [tapis.id]
    client = app.test_client()
    login(client, crafts)
    assert client.get(f"/moderation/products/{rice.id}").status_code == 404


def test_two_moderators_deciding_at_once_apply_one_decision(app, accounts, published):
    _edit_capacity(published, accounts.producer_a, 7777)
    moderation.approve(published, accounts.moderator)
    with pytest.raises(Exception) as refused:
        moderation.reject(published, accounts.admin, "terlambat")
    assert isinstance(refused.value, (TransitionConflict,)) or getattr(refused.value, "code", "") == "state"
    db.session.commit()
    decisions = db.session.scalars(select(AuditEvent).where(AuditEvent.action.like("revision.%"))).all()
    assert [d.action for d in decisions].count("revision.approve") == 1
    assert "revision.reject" not in [d.action for d in decisions]


def test_second_moderator_sees_a_clear_message(app, accounts, published):
    _edit_capacity(published, accounts.producer_a, 7777)
    first, second = app.test_client(), app.test_client()
    login(first, accounts.moderator)
    login(second, accounts.admin)
    token = csrf_from(second.get(f"/moderation/products/{published.id}"))
    _post(first, f"/moderation/products/{published.id}/decide", {"action": "approve"})
    response = second.post(f"/moderation/products/{published.id}/decide",
                           data={"csrf_token": token, "action": "reject", "reason": "x"}, follow_redirects=True)
    assert "sudah diputuskan oleh kurator lain" in response.get_data(as_text=True)


def test_suspension_takes_a_listing_offline_and_resubmission_needs_review(app, client, accounts, published):
    moderator = app.test_client()
    login(moderator, accounts.moderator)
    _post(moderator, f"/moderation/products/{published.id}/suspend", {"reason": "Sertifikat halal kedaluwarsa"})
    assert client.get(f"/products/{published.id}").status_code == 404
    db.session.refresh(published)
    listings.submit(published, accounts.producer_a)
    db.session.commit()
    assert published.status == "pending"
    assert client.get(f"/products/{published.id}").status_code == 404


def test_grading_follows_the_rubric_and_the_producer_sees_the_notes(app, client, accounts, published):
    moderator = app.test_client()
    login(moderator, accounts.moderator)
    _post(moderator, f"/moderation/products/{published.id}/grade",
          {"legality": "4", "quality": "4", "capacity": "3", "packaging": "2", "presentation": "3",
           "notes": "Perbaiki label kemasan"})
    db.session.refresh(published)
    assert published.curation_grade == "B"  # mean 3.2
    assert "Nilai kurasi B" in client.get(f"/products/{published.id}").get_data(as_text=True)
    login(client, accounts.producer_a)
    editor = client.get(f"/dashboard/products/{published.id}/edit").get_data(as_text=True)
    assert "Perbaiki label kemasan" in editor and "Kemasan dan pelabelan" in editor


def test_the_rubric_says_what_each_score_means_and_how_the_grade_follows(app, accounts, published):
    moderator = app.test_client()
    login(moderator, accounts.moderator)
    page = moderator.get(f"/moderation/products/{published.id}").get_data(as_text=True)
    assert "Belum ada NIB atau izin apa pun" in page and "Kemasan menarik, tahan pengiriman" in page
    assert "A mulai 3,5 · B mulai 2,75 · C mulai 2 · D di bawahnya" in " ".join(page.split())
    _post(moderator, f"/moderation/products/{published.id}/grade",
          {"legality": "4", "quality": "4", "capacity": "3", "packaging": "2", "presentation": "3"})
    page = moderator.get(f"/moderation/products/{published.id}").get_data(as_text=True)
    assert "rata-rata 3,2 → B" in page
    english = moderator.get(f"/moderation/products/{published.id}?lang=en").get_data(as_text=True)
    assert "No NIB or licence of any kind" in english and "average 3.2 → B" in english


@pytest.mark.parametrize("scores, grade", [((4, 4, 4, 4, 4), "A"), ((4, 3, 3, 3, 3), "B"), ((2, 2, 2, 2, 2), "C"),
                                           ((1, 2, 1, 2, 1), "D")])
def test_grade_thresholds(scores, grade):
    assert moderation.grade_for(dict(zip(moderation.RUBRIC, scores))) == grade


def test_the_curated_badge_is_awarded_shown_and_filterable(app, client, accounts, published):
    moderator = app.test_client()
    login(moderator, accounts.moderator)
    _post(moderator, f"/moderation/producers/{accounts.producer_a_store.id}/curated/award")
    assert "Terkurasi Dekranasda" in client.get(f"/products/{published.id}").get_data(as_text=True)
    assert published.name in client.get("/products?curated=1").get_data(as_text=True)
    _post(moderator, f"/moderation/producers/{accounts.producer_a_store.id}/curated/withdraw")
    assert published.name not in client.get("/products?curated=1").get_data(as_text=True)


def test_approving_a_new_storefront_makes_it_public(app, client, accounts):
    producer = db.session.get(Producer, accounts.producer_a_store.id)
    producer.status = "pending"
    db.session.commit()
    assert client.get(f"/producers/{producer.slug}").status_code == 404
    moderator = app.test_client()
    login(moderator, accounts.moderator)
    _post(moderator, f"/moderation/producers/{producer.id}/decide", {"action": "approve"})
    assert client.get(f"/producers/{producer.slug}").status_code == 200


@pytest.mark.parametrize("who", ["facilitator", "producer_a"])
def test_only_moderators_reach_the_queue(app, accounts, who):
    client = app.test_client()
    login(client, accounts.by_name(who))
    assert client.get("/moderation/").status_code == 403


# ---------------------------------------------------------------- messages that are true

def test_approving_a_listing_of_a_storefront_still_waiting_says_when_buyers_will_see_it(app, client, accounts):
    store = ProducerFactory(name="KWT Baru", status="pending", published_at=None)
    product = ProductFactory(producer=store, name="Keripik Baru", status="pending")
    db.session.commit()
    moderator = app.test_client()
    login(moderator, accounts.moderator)
    response = _post(moderator, f"/moderation/products/{product.id}/decide", {"action": "approve"})
    page = moderator.get(response.headers["Location"]).get_data(as_text=True)
    assert "tampil untuk pembeli setelah etalase “KWT Baru” disetujui" in page
    assert "disetujui dan tampil untuk pembeli" not in page
    assert client.get(f"/products/{product.id}").status_code == 404  # and the page is indeed not public yet


def test_approving_a_listing_of_a_published_storefront_says_it_is_shown(app, accounts, published):
    _edit_capacity(published, accounts.producer_a, 7777)
    moderator = app.test_client()
    login(moderator, accounts.moderator)
    response = _post(moderator, f"/moderation/products/{published.id}/decide", {"action": "approve"})
    assert "disetujui dan tampil untuk pembeli" in moderator.get(response.headers["Location"]).get_data(as_text=True)


def test_rejecting_a_storefront_nobody_can_be_mailed_about_says_so_and_how_to_reach_them(app, accounts):
    store = ProducerFactory(name="Kelompok Tani Tanpa Akun", status="pending", published_at=None, phone="+6281299998888")
    db.session.commit()
    moderator = app.test_client()
    login(moderator, accounts.moderator)
    response = _post(moderator, f"/moderation/producers/{store.id}/decide",
                     {"action": "reject", "reason": "Alamat belum lengkap"})
    assert response.headers["Location"].endswith(f"/moderation/producers/{store.id}")
    page = moderator.get(response.headers["Location"]).get_data(as_text=True)
    assert "tidak ada yang diberi tahu" in page and "produsen menerima alasannya" not in page
    assert 'href="https://wa.me/6281299998888?text=' in page and "+62 812-9999-8888" in page
    assert db.session.scalar(select(func.count(OutboundMessage.id))) == 0


def test_rejecting_a_listing_of_a_producer_with_an_account_still_says_the_producer_was_told(app, accounts, published):
    _edit_capacity(published, accounts.producer_a, 7777)
    moderator = app.test_client()
    login(moderator, accounts.moderator)
    response = _post(moderator, f"/moderation/products/{published.id}/decide",
                     {"action": "reject", "reason": "Kapasitas tidak masuk akal"})
    assert "produsen menerima alasannya" in moderator.get(response.headers["Location"]).get_data(as_text=True)


def test_the_english_review_page_names_the_category_in_english(app, accounts):
    crafts = ProductFactory(producer=accounts.producer_a_store, name="Tapis Siger", category=category("kerajinan-wastra"),
                            status="pending")
    db.session.commit()
    moderator = app.test_client()
    login(moderator, accounts.moderator)
    english = moderator.get(f"/moderation/products/{crafts.id}?lang=en").get_data(as_text=True)
    assert "Crafts &amp; Textiles" in english and "Kerajinan &amp; Wastra" not in english
    indonesian = moderator.get(f"/moderation/products/{crafts.id}?lang=id").get_data(as_text=True)
    assert "Kerajinan &amp; Wastra" in indonesian
