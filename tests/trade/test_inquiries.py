"""Buyer inquiries go to the BUMD facilitator queue: nothing lost, nothing doubled."""
from __future__ import annotations

import re
import threading
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from marketplace.core import clock
from marketplace.extensions import db
from marketplace.models import Inquiry, InquiryStatus, OutboundMessage, Role
from marketplace.core.policies import BUYER
from marketplace.trade import service as inquiries
from marketplace.core.workflow import TransitionConflict, TransitionNotAllowed
from marketplace.trade.workflow import inquiry as workflow
from tests.conftest import csrf_from, login
from tests.factories import ProductFactory, UserFactory


@pytest.fixture(autouse=True)
def _no_minimum_fill_time(monkeypatch):
    monkeypatch.setattr("marketplace.trade.inquiries.forms.MIN_FILL_SECONDS", 0)


@pytest.fixture
def rice(ctx):
    return ProductFactory(name="Beras Premium", unit="kg", min_order_qty=500, monthly_capacity=20000)


def _form(client, url):
    page = client.get(url).get_data(as_text=True)
    hidden = dict(re.findall(r'name="(csrf_token|form_token|started)" type="hidden" value="([^"]*)"', page))
    return hidden


def _valid(**override):
    data = {"company": "Hotel Sari Pan Pacific", "buyer_type": "hotel", "contact_name": "Dewi Lestari",
            "email": "dewi@hotel.co.id", "phone": "0812-1111-2222", "quantity": "2.000", "unit": "kg",
            "frequency": "monthly", "delivery_city": "jakarta-pusat", "message": "Beras untuk restoran hotel."}
    data.update(override)
    return data


def _submit(client, url, **override):
    return client.post(url, data={**_form(client, url), **_valid(**override)})


def _count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count(Inquiry.id)))


def test_an_inquiry_gets_a_reference_a_tracking_link_and_a_confirmation_mail(client, rice):
    response = _submit(client, f"/inquiries/new?product={rice.id}")
    assert response.status_code == 302 and "/inquiries/track/" in response.headers["Location"]
    inquiry = db.session.scalar(select(Inquiry))
    assert re.fullmatch(r"INQ-\d{4}-\d{6}", inquiry.reference)
    assert inquiry.status == "new" and inquiry.assigned_to_id is None
    assert [i.product_id for i in inquiry.items] == [rice.id]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert inquiry.reference in page
    mail = db.session.scalar(select(OutboundMessage).where(OutboundMessage.to_address == "dewi@hotel.co.id"))
    assert inquiry.tracking_token in mail.body_text


def test_a_double_clicked_submit_stores_one_inquiry(client, rice):
    url = f"/inquiries/new?product={rice.id}"
    data = {**_form(client, url), **_valid()}
    first = client.post(url, data=data)
    second = client.post(url, data=data)
    assert _count() == 1
    assert first.headers["Location"] == second.headers["Location"]


def test_simultaneous_copies_of_one_form_store_one_inquiry(app, rice):
    url = f"/inquiries/new?product={rice.id}"
    client = app.test_client()
    data = {**_form(client, url), **_valid()}
    results = []

    def send():
        results.append(client.post(url, data=data).status_code)

    threads = [threading.Thread(target=send) for _ in range(5)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert _count() == 1
    assert set(results) <= {302, 429}  # copies past the per-address limit are refused, none stored twice


@pytest.mark.parametrize("field, value, message", [
    ("company", "", "Wajib diisi."),
    ("email", "bukan-email@", "Alamat email tidak valid."),
    ("phone", "12", "Nomor HP tidak valid."),
    ("quantity", "banyak", "Tulis angka"),
    ("delivery_city", "bandung", "Pilihan tidak valid."),
])
def test_bad_input_is_shown_next_to_the_field_and_nothing_is_stored(client, rice, field, value, message):
    response = _submit(client, f"/inquiries/new?product={rice.id}", **{field: value})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page or "Pilih kota pengiriman" in page
    assert 'value="Hotel Sari Pan Pacific"' in page or field == "company"
    assert _count() == 0


def test_a_date_in_the_past_is_refused(client, rice):
    response = _submit(client, f"/inquiries/new?product={rice.id}", needed_by="2020-01-01")
    assert "Tanggal sudah lewat." in response.get_data(as_text=True)
    assert _count() == 0


def test_below_the_minimum_order_warns_once_then_sends(client, rice):
    url = f"/inquiries/new?product={rice.id}"
    first = _submit(client, url, quantity="100")
    page = first.get_data(as_text=True)
    assert first.status_code == 200 and "di bawah minimal pemesanan" in page
    assert _count() == 0
    acknowledged = re.search(r'name="acknowledged" type="hidden" value="([^"]*)"', page).group(1)
    form_token = re.search(r'name="form_token" type="hidden" value="([^"]*)"', page).group(1)
    started = re.search(r'name="started" type="hidden" value="([^"]*)"', page).group(1)
    second = client.post(url, data={**_valid(quantity="100"), "acknowledged": acknowledged, "form_token": form_token,
                                    "started": started, "csrf_token": csrf_from(first)})
    assert second.status_code == 302 and _count() == 1


def test_the_honeypot_and_a_too_fast_form_store_nothing(client, rice, monkeypatch):
    url = f"/inquiries/new?product={rice.id}"
    assert _submit(client, url, website="http://spam.example").status_code == 302
    monkeypatch.setattr("marketplace.trade.inquiries.forms.MIN_FILL_SECONDS", 60)
    assert _submit(client, url).status_code == 200  # a person may be quick: told so, not fooled (tests/trade/test_form_token.py)
    assert _count() == 0


def test_the_tracking_page_never_shows_internal_notes(client, accounts, rice):
    response = _submit(client, f"/inquiries/new?product={rice.id}")
    inquiry = db.session.scalar(select(Inquiry))
    inquiries.claim(inquiry.id, accounts.facilitator)
    inquiries.add_note(inquiry, accounts.facilitator, "Harga pembeli terlalu rendah, RAHASIA")
    inquiries.message_buyer(inquiry, accounts.facilitator, "Kami sedang menghubungi produsen.")
    db.session.commit()
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Kami sedang menghubungi produsen." in page
    assert "RAHASIA" not in page
    buyer_mails = db.session.scalars(select(OutboundMessage.body_text).where(OutboundMessage.to_address == inquiry.email)).all()
    assert all("RAHASIA" not in body for body in buyer_mails)


def test_an_unknown_tracking_token_is_404_and_the_page_is_not_cached(client, rice):
    assert client.get("/inquiries/track/tebakan").status_code == 404
    response = _submit(client, f"/inquiries/new?product={rice.id}")
    page = client.get(response.headers["Location"])
    assert page.headers["Cache-Control"] == "private, no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_the_buyer_can_write_and_cancel_from_the_tracking_page(client, rice):
    location = _submit(client, f"/inquiries/new?product={rice.id}").headers["Location"]
    token = csrf_from(client.get(location))
    client.post(location + "/message", data={"csrf_token": token, "body": "Bisa kirim sampel?"})
    client.post(location + "/cancel", data={"csrf_token": token, "reason": "Sudah dapat pemasok", "confirmed": "y"})
    inquiry = db.session.scalar(select(Inquiry))
    db.session.refresh(inquiry)
    assert inquiry.status == "cancelled"
    assert [e.body for e in inquiry.events if e.kind == "message"] == ["Bisa kirim sampel?"]


def test_cancelling_asks_for_confirmation_first_and_keeps_the_reason(client, rice):
    location = _submit(client, f"/inquiries/new?product={rice.id}").headers["Location"]
    page = client.get(location).get_data(as_text=True)
    # Secondary on the page: folded away, below the message box, and not a red one-click button.
    cancel_box = page.split('id="batal-permintaan"')[1].split("</details>")[0]
    assert page.index("kirim-pesan") < page.index("batal-permintaan")
    assert page.split('id="batal-permintaan"')[0].rstrip().endswith("<details class=\"cancel-inquiry\"")
    assert "btn-outline-danger" not in cancel_box and "btn-danger" not in cancel_box
    token = csrf_from(client.get(location))
    first = client.post(location + "/cancel", data={"csrf_token": token, "reason": "Sudah dapat pemasok"})
    assert first.status_code == 200
    confirm = first.get_data(as_text=True)
    assert "Yakin membatalkan" in confirm and "Sudah dapat pemasok" in confirm and 'name="confirmed"' in confirm
    inquiry = db.session.scalar(select(Inquiry))
    db.session.refresh(inquiry)
    assert inquiry.status == "new"  # nothing happened yet
    client.post(location + "/cancel", data={"csrf_token": csrf_from(first), "reason": "Sudah dapat pemasok",
                                            "confirmed": "y"})
    db.session.refresh(inquiry)
    assert inquiry.status == "cancelled"
    assert any(e.body == "Sudah dapat pemasok" for e in inquiry.events)


def test_two_facilitators_claiming_at_once_give_exactly_one_owner(app, accounts):
    other = UserFactory(email="fasilitator2@contoh.id", role=Role.FACILITATOR)
    facilitator_ids = [accounts.facilitator.id, other.id]
    for round_ in range(100):
        inquiry = Inquiry(reference=f"INQ-T-{round_:06d}", tracking_token=f"t{round_}", form_token=f"f{round_}",
                          company="PT Uji", buyer_type="hotel", contact_name="A", email="a@b.id", quantity=1,
                          unit="kg", frequency="once", delivery_city="jakarta-pusat")
        db.session.add(inquiry)
        db.session.commit()
        winners, barrier = [], threading.Barrier(2)

        def attempt(user_id, inquiry_id=inquiry.id):
            with app.app_context():
                from marketplace.models import User

                user = db.session.get(User, user_id)
                barrier.wait()
                try:
                    inquiries.claim(inquiry_id, user)
                    db.session.commit()
                    winners.append(user_id)
                except TransitionConflict:
                    db.session.rollback()
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=attempt, args=(uid,)) for uid in facilitator_ids]
        [t.start() for t in threads]
        [t.join() for t in threads]
        db.session.refresh(inquiry)
        assert len(winners) == 1, f"round {round_}: {winners}"
        assert inquiry.assigned_to_id == winners[0] and inquiry.status == "in_review"


@pytest.mark.parametrize("name, source, actor, allowed", [
    ("claim", "new", "facilitator", True), ("claim", "new", "producer_a", False), ("claim", "in_review", "facilitator", False),
    ("mark_spam", "new", "facilitator", True), ("mark_spam", "forwarded", "facilitator", False),
    ("decline", "in_review", "facilitator", True), ("decline", "new", "facilitator", False),
    ("decline", "in_review", "moderator", False), ("cancel", "new", "buyer", True), ("cancel", "negotiating", "buyer", True),
    ("cancel", "agreed", "buyer", False), ("cancel", "new", "facilitator", False), ("close", "agreed", "facilitator", True),
    ("close", "negotiating", "facilitator", False), ("agree", "negotiating", "admin", False),  # no contract yet
])
def test_inquiry_transitions(accounts, name, source, actor, allowed):
    inquiry = Inquiry(reference="INQ-X", tracking_token="t", form_token="f", company="PT", buyer_type="hotel",
                      contact_name="A", email="a@b.id", quantity=1, unit="kg", frequency="once",
                      delivery_city="jakarta-pusat", status=source)
    db.session.add(inquiry)
    db.session.commit()
    who = BUYER if actor == "buyer" else accounts.by_name(actor)
    if allowed:
        workflow.apply(name, inquiry, who, "alasan")
        assert inquiry.status == workflow.transitions[name].target
        assert inquiry.events[-1].kind == "status"
    else:
        with pytest.raises(TransitionNotAllowed):
            workflow.apply(name, inquiry, who, "alasan")
        db.session.refresh(inquiry)
        assert inquiry.status == source


def test_reasons_are_required_to_decline(accounts):
    inquiry = Inquiry(reference="INQ-R", tracking_token="t", form_token="f", company="PT", buyer_type="hotel",
                      contact_name="A", email="a@b.id", quantity=1, unit="kg", frequency="once",
                      delivery_city="jakarta-pusat", status="in_review")
    db.session.add(inquiry)
    db.session.commit()
    with pytest.raises(TransitionNotAllowed) as refused:
        workflow.apply("decline", inquiry, accounts.facilitator, "  ")
    assert refused.value.code == "reason_required"


def test_the_queue_filters_and_claim_through_the_pages(app, client, accounts, rice):
    for company in ("Hotel Mulia", "Katering Ibu"):
        _submit(client, f"/inquiries/new?product={rice.id}", company=company)
    facilitator = app.test_client()
    login(facilitator, accounts.facilitator)
    queue = facilitator.get("/facilitator/inquiries?owner=unassigned&q=mulia").get_data(as_text=True)
    assert "Hotel Mulia" in queue and "Katering Ibu" not in queue
    inquiry = db.session.scalar(select(Inquiry).where(Inquiry.company == "Hotel Mulia"))
    token = csrf_from(facilitator.get(f"/facilitator/inquiries/{inquiry.id}"))
    facilitator.post(f"/facilitator/inquiries/{inquiry.id}/claim", data={"csrf_token": token})
    mine = facilitator.get("/facilitator/inquiries?owner=me").get_data(as_text=True)
    assert "Hotel Mulia" in mine and "Katering Ibu" not in mine
    again = facilitator.post(f"/facilitator/inquiries/{inquiry.id}/claim", data={"csrf_token": token}, follow_redirects=True)
    assert "sudah diambil fasilitator lain" in again.get_data(as_text=True)


@pytest.mark.parametrize("who", ["producer_a", "moderator"])
def test_only_facilitators_and_admins_open_the_queue(app, accounts, who):
    client = app.test_client()
    login(client, accounts.by_name(who))
    assert client.get("/facilitator/inquiries").status_code == 403


def test_hostile_text_is_escaped_in_the_queue_and_the_tracking_page(app, client, accounts, rice):
    payload = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    location = _submit(client, f"/inquiries/new?product={rice.id}", company=payload, message=payload).headers["Location"]
    assert "<script>alert(1)" not in client.get(location).get_data(as_text=True)
    facilitator = app.test_client()
    login(facilitator, accounts.facilitator)
    queue = facilitator.get("/facilitator/inquiries").get_data(as_text=True)
    assert "<script>alert(1)" not in queue and "&lt;script&gt;alert(1)" in queue


FIELDS = st.fixed_dictionaries({
    "company": st.text(max_size=200), "buyer_type": st.sampled_from(["hotel", "other", "x", ""]),
    "contact_name": st.text(max_size=150), "email": st.one_of(st.emails(), st.text(max_size=50)),
    "phone": st.text(alphabet="0123456789+-() ", max_size=20), "quantity": st.text(max_size=20),
    "unit": st.sampled_from(["kg", "ton", "zz"]), "frequency": st.sampled_from(["once", "monthly", "?"]),
    "target_price": st.text(max_size=15), "delivery_city": st.sampled_from(["jakarta-pusat", "", "mars"]),
    "needed_by": st.one_of(st.dates().map(str), st.text(max_size=12)), "message": st.text(max_size=500),
})


@pytest.fixture
def no_rate_limit():
    from marketplace.extensions import limiter

    limiter.enabled = False
    yield
    limiter.enabled = True


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=FIELDS)
def test_generated_input_never_breaks_the_form(client, rice, no_rate_limit, values):
    url = f"/inquiries/new?product={rice.id}"
    response = client.post(url, data={**_form(client, url), **values})
    assert response.status_code in (200, 302, 400)
    for inquiry in db.session.scalars(select(Inquiry)):
        assert re.fullmatch(r"INQ-\d{4}-\d{6}", inquiry.reference)  # never a half-stored inquiry
        assert inquiry.events and inquiry.events[0].to_status == "new"


INQUIRY_ROLES = ("facilitator", "admin", "moderator", "producer_a", "producer_b", "buyer")


def _allowed_roles(transition) -> set[str]:
    roles = set()
    if "facilitator" in transition.who:
        roles |= {"facilitator", "admin"}
    if "buyer" in transition.who:
        roles.add("buyer")
    if "allocated_producer" in transition.who:
        roles.add("producer_a")
    return roles


@pytest.mark.parametrize("role", INQUIRY_ROLES)
@pytest.mark.parametrize("name", list(workflow.transitions))
def test_every_inquiry_transition_from_every_state_for_every_role(accounts, name, role):
    """producer_a has a forward of the inquiry; producer_b does not. Each state gets a fresh inquiry."""
    from marketplace.models import Allocation
    from tests.trade_desk import bare_contract

    transition = workflow.transitions[name]
    who = BUYER if role == "buyer" else accounts.by_name(role)
    for number, source in enumerate(InquiryStatus):
        inquiry = Inquiry(reference=f"INQ-W{number}", tracking_token=f"tw{number}", form_token=f"fw{number}",
                          company="PT", buyer_type="hotel", contact_name="A", email="a@b.id", quantity=1, unit="kg",
                          frequency="once", delivery_city="jakarta-pusat", status=str(source))
        inquiry.allocations.append(Allocation(producer_id=accounts.producer_a_store.id, requested_qty=1))
        inquiry.contracts.append(bare_contract(f"KTR-W{number}"))
        db.session.add(inquiry)
        db.session.commit()
        allowed = str(source) in transition.sources and role in _allowed_roles(transition)
        if allowed:
            workflow.apply(name, inquiry, who, "alasan")
            assert inquiry.status == transition.target, (name, source, role)
            assert inquiry.events[-1].to_status == inquiry.status
        else:
            with pytest.raises(TransitionNotAllowed):
                workflow.apply(name, inquiry, who, "alasan")
            db.session.rollback()
            db.session.refresh(inquiry)
            assert inquiry.status == source, (name, source, role)



def _waiting(reference: str, **fields) -> Inquiry:
    inquiry = Inquiry(reference=reference, tracking_token=f"t-{reference}", form_token=f"f-{reference}",
                      company="PT Uji", buyer_type="hotel", contact_name="A", email="a@b.id", quantity=1, unit="kg",
                      frequency="once", delivery_city="jakarta-pusat", **fields)
    db.session.add(inquiry)
    return inquiry


WIB = ZoneInfo("Asia/Jakarta")


def _at(text: str, tz=WIB) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz)


# 2026-03-03 is a Tuesday, 03-06 a Friday, 03-07 a Saturday. Times in WIB unless said otherwise.
@pytest.mark.parametrize("created, now, late", [
    (_at("2026-03-03 10:00"), _at("2026-03-04 09:00"), False),
    (_at("2026-03-03 10:00"), _at("2026-03-04 11:00"), True),
    (_at("2026-03-06 10:00"), _at("2026-03-07 11:00"), False),  # Friday → due Monday 10:00
    (_at("2026-03-06 10:00"), _at("2026-03-09 09:00"), False),
    (_at("2026-03-06 10:00"), _at("2026-03-09 11:00"), True),
    (_at("2026-03-07 10:00"), _at("2026-03-09 23:00"), False),  # Saturday → counted from Monday, due Tuesday 00:00
    (_at("2026-03-07 10:00"), _at("2026-03-10 01:00"), True),
    # As SQLite hands it back: naive, in UTC. 02:00 UTC is 09:00 WIB, so it is not late at 08:30 the next day.
    (datetime(2026, 3, 3, 2, 0), _at("2026-03-04 08:30"), False),
    (datetime(2026, 3, 3, 2, 0), _at("2026-03-04 09:30"), True),
])
def test_an_unanswered_inquiry_is_late_after_one_working_day(app, accounts, monkeypatch, created, now, late):
    monkeypatch.setattr(clock, "now", lambda: now)
    _waiting("INQ-2026-000777", status="new",
             created_at=(created if created.tzinfo else created.replace(tzinfo=UTC)).astimezone(UTC))
    db.session.commit()
    facilitator = app.test_client()
    login(facilitator, accounts.facilitator)
    queue = facilitator.get("/facilitator/inquiries").get_data(as_text=True)
    assert "INQ-2026-000777" in queue
    assert ("Lewat target 1 hari kerja" in queue) is late


def test_the_queue_date_filters_mean_days_in_metro(app, accounts):
    """23:30 UTC on 5 March is 06:30 on 6 March in Metro: the inquiry belongs to the 6th, not the 5th."""
    _waiting("INQ-2026-000888", status="new", created_at=datetime(2026, 3, 5, 23, 30, tzinfo=UTC))
    db.session.commit()
    facilitator = app.test_client()
    login(facilitator, accounts.facilitator)
    assert "INQ-2026-000888" in facilitator.get("/facilitator/inquiries?since=2026-03-06&until=2026-03-06").get_data(
        as_text=True)
    assert "INQ-2026-000888" not in facilitator.get("/facilitator/inquiries?until=2026-03-05").get_data(as_text=True)


def test_claim_next_takes_the_new_inquiry_that_has_waited_longest(app, accounts):
    other = UserFactory(email="fasilitator2@contoh.id", role=Role.FACILITATOR)
    _waiting("INQ-HELD", status="new", assigned_to=other)  # older, but someone holds it
    _waiting("INQ-REVIEW", status="in_review", assigned_to=other)
    oldest = _waiting("INQ-OLDEST", status="new")
    _waiting("INQ-NEWER", status="new")
    db.session.commit()
    facilitator = app.test_client()
    login(facilitator, accounts.facilitator)
    token = csrf_from(facilitator.get("/facilitator/inquiries"))
    response = facilitator.post("/facilitator/inquiries/claim-next", data={"csrf_token": token})
    assert response.headers["Location"].endswith(f"/facilitator/inquiries/{oldest.id}")
    db.session.expire_all()
    assert oldest.assigned_to_id == accounts.facilitator.id and oldest.status == "in_review"
    assert db.session.scalar(select(Inquiry).where(Inquiry.reference == "INQ-NEWER")).assigned_to_id is None


def test_claim_next_with_nothing_waiting_says_so(app, accounts):
    facilitator = app.test_client()
    login(facilitator, accounts.facilitator)
    token = csrf_from(facilitator.get("/facilitator/inquiries"))
    page = facilitator.post("/facilitator/inquiries/claim-next", data={"csrf_token": token}, follow_redirects=True)
    assert page.status_code == 200 and "Tidak ada permintaan baru yang menunggu diambil." in page.get_data(as_text=True)


def test_facilitators_claiming_next_at_once_get_different_inquiries(app, accounts):
    """Four facilitators press "claim the next" together, twenty times over: nobody gets an inquiry twice,
    no inquiry gets two holders, and as many are taken as there were presses."""
    people = [accounts.facilitator.id] + [UserFactory(email=f"f{n}@contoh.id", role=Role.FACILITATOR).id
                                          for n in range(3)]
    for n in range(80):
        _waiting(f"INQ-N-{n:03d}", status="new")
    db.session.commit()
    taken, errors = [], []
    for _round in range(20):
        barrier = threading.Barrier(len(people))

        def press(user_id):
            with app.app_context():
                from marketplace.models import User

                try:
                    user = db.session.get(User, user_id)
                    barrier.wait()
                    inquiry = inquiries.claim_next(user)
                    db.session.commit()
                    taken.append((inquiry.id, user_id))
                except Exception as error:  # noqa: BLE001 — collected and shown by the assertion
                    errors.append(repr(error))
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=press, args=(uid,)) for uid in people]
        [t.start() for t in threads]
        [t.join() for t in threads]
    assert errors == []
    assert len(taken) == 80 and len({inquiry_id for inquiry_id, _ in taken}) == 80
    db.session.expire_all()
    holders = dict(db.session.execute(select(Inquiry.id, Inquiry.assigned_to_id)
                                      .where(Inquiry.reference.like("INQ-N-%"))).all())
    assert holders == dict(taken)


def test_posting_an_inquiry_reads_the_listing_once_and_nothing_after_its_commit(client, rice):
    """The listing and its storefront in one statement (the form's subject), the form token and the company looked
    up, the writes, the versions bumped; the reference and link for the flash message and the redirect are the ones
    it wrote, not read back (tests/test_query_budget.py counts pages; this is the post of the mix in bench/)."""
    from tests.test_query_budget import counting

    url = f"/inquiries/new?product={rice.id}"
    data = {**_form(client, url), **_valid()}
    with counting() as statements:
        response = client.post(url, data=data)
    assert response.status_code == 302
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert sum(" producer" in s for s in reads) == 1, "\n\n".join(reads)  # the listing joined to its storefront
    bump = next(i for i, s in enumerate(statements) if s.startswith("INSERT INTO catalog_state"))
    assert not [s for s in statements[bump:] if s.lstrip().upper().startswith("SELECT")], "\n\n".join(statements[bump:])
