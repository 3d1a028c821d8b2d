"""Account administration (/admin/users): the list, staff accounts and their invitations, roles,
deactivation, officer assignments and moderator scopes — as the city's admin sees and uses them."""
from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.models import AuditEvent, PublicationStatus, Role, User
from marketplace.accounts import users as user_service
from marketplace.core.outbox import send_pending
from tests.authflow import field_error, mails, sent_to_login, sign_in, user_by_email
from tests.conftest import PASSWORD, csrf_from, login
from tests.factories import ProducerFactory, ProductFactory, UserFactory, category

NEW_PASSWORD = "kata sandi staf yang panjang"


def _fresh(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def _post(client, path: str, data: dict | None = None, page: str | None = None):
    """POST a form as a browser would: with the CSRF token of the page it sits on."""
    token = csrf_from(client.get(page or path))
    return client.post(path, data={"csrf_token": token, **(data or {})})


def _events(action: str) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _user_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(User))


# ---------------------------------------------------------------- who may come in

ADMIN_PATHS = [
    ("GET", "/admin/"), ("GET", "/admin/users"), ("GET", "/admin/users/new"), ("POST", "/admin/users/new"),
    ("GET", "/admin/users/{id}"), ("POST", "/admin/users/{id}/role"), ("POST", "/admin/users/{id}/deactivate"),
    ("POST", "/admin/users/{id}/reactivate"), ("POST", "/admin/users/{id}/invite"),
    ("POST", "/admin/users/{id}/producers"), ("POST", "/admin/users/{id}/scope"),
    ("GET", "/admin/audit"), ("GET", "/admin/audit/export.csv"),
]


def test_every_admin_route_is_listed_here(app):
    routes = {(m, r.rule.replace("<int:user_id>", "{id}").replace("<any(deactivate, reactivate):action>", "deactivate"))
              for r in app.url_map.iter_rules() if r.endpoint.startswith("admin.")
              for m in r.methods - {"HEAD", "OPTIONS"}}
    assert routes <= set(ADMIN_PATHS)


@pytest.mark.parametrize("role", ["anonymous", "producer_a", "officer", "moderator", "facilitator"])
def test_nobody_but_the_admin_gets_into_any_admin_page(app, accounts, role):
    client = app.test_client()
    if role != "anonymous":
        login(client, accounts.by_name(role))
    token = csrf_from(client.get("/auth/reset"))
    target = accounts.facilitator if role != "facilitator" else accounts.moderator
    for method, path in ADMIN_PATHS:
        response = client.open(path.format(id=target.id), method=method,
                               data={"csrf_token": token, "role": "admin"} if method == "POST" else None)
        if role == "anonymous":
            assert sent_to_login(response), (method, path)
        else:
            assert response.status_code == 403, (method, path, response.status_code)
    assert _fresh(target.id).active and _fresh(target.id).role != Role.ADMIN


# ---------------------------------------------------------------- the list

def test_the_list_shows_role_producer_last_sign_in_confirmation_and_status(client, accounts, login_as):
    invited = UserFactory(email="baru@contoh.id", name="Staf Baru", role=Role.MODERATOR, email_confirmed_at=None)
    invited.password_hash = None
    db.session.commit()
    sign_in(client.application.test_client(), accounts.producer_a.email, PASSWORD)  # sets A's last sign-in
    login_as("admin")
    page = client.get("/admin/users").get_data(as_text=True)
    row_a = re.search(r"<tr>(?:(?!</tr>).)*a@contoh\.id.*?</tr>", page, re.S).group(0)
    assert "Produsen" in row_a and "Usaha A" in row_a and "Belum pernah" not in row_a and "Aktif" in row_a
    row_new = re.search(r"<tr>(?:(?!</tr>).)*baru@contoh\.id.*?</tr>", page, re.S).group(0)
    assert "Belum pernah" in row_new and "Belum" in row_new and "Diundang" in row_new
    assert "Kurator (moderator)" in row_new


def test_the_list_searches_by_name_or_email_and_filters_by_role_and_status(client, accounts, login_as):
    UserFactory(email="budi.santoso@pemkot.id", name="Budi Santoso", role=Role.FACILITATOR)
    UserFactory(email="x@contoh.id", name="Siti Budiarti", role=Role.MODERATOR, active=False)
    login_as("admin")

    def emails(query: str) -> set[str]:
        page = client.get("/admin/users?" + query).get_data(as_text=True)
        return set(re.findall(r'<td class="text-break">([^<]+)</td>', page))

    assert emails("q=budi") == {"budi.santoso@pemkot.id", "x@contoh.id"}
    assert emails("q=PEMKOT.ID") == {"budi.santoso@pemkot.id"}
    assert emails("role=moderator") == {"kurator@contoh.id", "x@contoh.id"}
    assert emails("status=inactive") == {"x@contoh.id"}
    assert emails("q=budi&status=active") == {"budi.santoso@pemkot.id"}
    assert emails("q=%25") == set()  # a LIKE wildcard typed in the box is literal
    assert client.get("/admin/users?page=abc&role=%3Cscript%3E").status_code == 200
    assert client.get("/admin/users?q=%00budi&page=99999999999999999999").status_code == 200
    assert client.get(f"/admin/users/{accounts.officer.id}?q=%00usaha").status_code == 200


def test_the_list_is_paginated(client, accounts, login_as):
    for n in range(30):
        UserFactory(email=f"staf{n:02d}@contoh.id", role=Role.FACILITATOR)
    login_as("admin")
    first = client.get("/admin/users").get_data(as_text=True)
    second = client.get("/admin/users?page=2").get_data(as_text=True)
    on_first = set(re.findall(r'<td class="text-break">([^<]+)</td>', first))
    on_second = set(re.findall(r'<td class="text-break">([^<]+)</td>', second))
    assert len(on_first) == user_service.PAGE_SIZE and len(on_second) == 36 - user_service.PAGE_SIZE
    assert not on_first & on_second and "staf29@contoh.id" in on_first  # newest first
    assert "Halaman 1 dari 2" in first


# ---------------------------------------------------------------- a new staff account

def _create(client, **overrides):
    data = {"name": "Dewi Lestari", "email": "dewi@pemkot.metro.id", "role": "moderator", **overrides}
    return _post(client, "/admin/users/new", data)


def test_a_new_staff_account_is_invited_by_real_mail_and_the_link_sets_the_password(app, client, accounts, login_as,
                                                                                     smtp_server):
    login_as("admin")
    response = _create(client, name="Dewi <b>Lestari</b>")
    user = user_by_email("dewi@pemkot.metro.id")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/admin/users/{user.id}")
    assert user.role == Role.MODERATOR and user.password_hash is None and user.email_confirmed_at is None
    page = client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert "Undangan untuk membuat kata sandi sudah dikirim" in page and "Dewi &lt;b&gt;Lestari&lt;/b&gt;" in page

    assert send_pending() == (1, 0)
    [mail] = smtp_server.to("dewi@pemkot.metro.id")
    assert "sebagai Kurator (moderator)" in mail.message["Subject"]
    text = mail.part("plain")
    assert "Dewi <b>Lestari</b>" in text and "<b>" not in mail.part("html").replace("<b>Lestari", "")  # escaped in html
    link = re.search(r"https?://[^/\s]+(/auth/invite/\S+)", text).group(1)

    guest = app.test_client()
    form = guest.get(link)
    assert form.status_code == 200
    accepted = guest.post(link, data={"csrf_token": csrf_from(form), "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert accepted.status_code == 302
    assert guest.get("/moderation/").status_code == 200  # signed in, as a moderator
    user = _fresh(user.id)
    assert user.password_hash and user.email_confirmed_at is not None
    assert sign_in(app.test_client(), "dewi@pemkot.metro.id", NEW_PASSWORD).status_code == 302
    assert [e.actor_id for e in _events("account.staff_created")] == [accounts.admin.id]


def test_a_duplicate_email_is_refused_next_to_the_field_and_keeps_what_was_typed(client, accounts, login_as):
    login_as("admin")
    before = _user_count()
    response = _create(client, name="Orang Lain", email=" Kurator@Contoh.ID ", role="facilitator")
    assert response.status_code == 400
    assert "Sudah ada akun dengan email ini" in field_error(response, "email")
    page = unescape(response.get_data(as_text=True))
    assert 'value="Orang Lain"' in page and 'value="Kurator@Contoh.ID"' in page
    assert re.search(r'<option selected value="facilitator">|<option value="facilitator" selected', page)
    assert _user_count() == before and mails("invitation") == []


def test_an_invalid_email_or_a_producer_role_is_refused(client, accounts, login_as):
    login_as("admin")
    before = _user_count()
    response = _create(client, email="bukan-email")
    assert response.status_code == 400 and field_error(response, "email")
    response = _create(client, role="producer")
    assert response.status_code == 400 and field_error(response, "role")
    assert _user_count() == before


def test_the_same_form_sent_twice_makes_one_account_and_one_invitation(client, accounts, login_as):
    login_as("admin")
    token = csrf_from(client.get("/admin/users/new"))
    data = {"csrf_token": token, "name": "Dewi", "email": "dewi@pemkot.metro.id", "role": "facilitator"}
    first = client.post("/admin/users/new", data=data)
    second = client.post("/admin/users/new", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(mails("invitation")) == 1
    assert db.session.scalar(select(func.count()).select_from(User).where(User.email == "dewi@pemkot.metro.id")) == 1


# ---------------------------------------------------------------- one account

def test_the_admin_changes_a_role_and_it_is_audited(app, client, accounts, login_as):
    login_as("admin")
    response = _post(client, f"/admin/users/{accounts.facilitator.id}/role", {"role": "moderator"},
                     page=f"/admin/users/{accounts.facilitator.id}")
    assert response.status_code == 303
    assert _fresh(accounts.facilitator.id).role == Role.MODERATOR
    [event] = _events("account.role_changed")
    assert (event.actor_id, event.object_id, event.from_status, event.to_status) == (
        accounts.admin.id, accounts.facilitator.id, "facilitator", "moderator")
    moved = app.test_client()
    login(moved, accounts.facilitator)
    assert moved.get("/moderation/").status_code == 200 and moved.get("/facilitator/inquiries").status_code == 403


def test_a_producer_account_cannot_be_turned_into_staff(client, accounts, login_as):
    login_as("admin")
    _post(client, f"/admin/users/{accounts.producer_a.id}/role", {"role": "admin"},
          page=f"/admin/users/{accounts.producer_a.id}")
    assert _fresh(accounts.producer_a.id).role == Role.PRODUCER


def test_an_admin_cannot_demote_or_deactivate_themselves(client, accounts, login_as):
    admin = login_as("admin")
    page = client.get(f"/admin/users/{admin.id}").get_data(as_text=True)
    assert "Nonaktifkan akun" not in page and "Ubah peran" not in page  # not offered…
    response = _post(client, f"/admin/users/{admin.id}/role", {"role": "facilitator"}, page="/admin/users")
    assert response.status_code == 303
    assert "Ditolak" in client.get(response.headers["Location"]).get_data(as_text=True)
    _post(client, f"/admin/users/{admin.id}/deactivate", page="/admin/users")
    admin = _fresh(admin.id)  # …and refused when sent anyway
    assert admin.role == Role.ADMIN and admin.active
    assert client.get("/admin/users").status_code == 200
    assert _events("account.role_changed") == [] and _events("account.deactivated") == []


def test_an_admin_who_lost_the_role_meanwhile_changes_nothing(ctx, accounts):
    other = UserFactory(email="admin2@contoh.id", role=Role.ADMIN)
    actor = _fresh(accounts.admin.id)
    actor.active = False  # deactivated by the other admin a moment ago
    db.session.commit()
    with pytest.raises(user_service.SelfLockout):
        user_service.change_role(_fresh(other.id), "facilitator", _fresh(accounts.admin.id))
    db.session.rollback()
    assert _fresh(other.id).role == Role.ADMIN


def test_another_admin_can_be_demoted_while_an_admin_remains(client, accounts, login_as):
    other = UserFactory(email="admin2@contoh.id", role=Role.ADMIN)
    login_as("admin")
    _post(client, f"/admin/users/{other.id}/role", {"role": "facilitator"}, page=f"/admin/users/{other.id}")
    assert _fresh(other.id).role == Role.FACILITATOR
    assert user_service.count_active_admins() == 1


def test_deactivation_signs_the_user_out_at_their_next_request(app, client, accounts, login_as):
    theirs = app.test_client()
    login(theirs, accounts.facilitator)
    assert theirs.get("/facilitator/inquiries").status_code == 200
    login_as("admin")
    response = _post(client, f"/admin/users/{accounts.facilitator.id}/deactivate",
                     page=f"/admin/users/{accounts.facilitator.id}")
    assert response.status_code == 303
    assert sent_to_login(theirs.get("/facilitator/inquiries"))
    assert sign_in(app.test_client(), accounts.facilitator.email, PASSWORD).status_code == 200  # refused
    assert [e.actor_id for e in _events("account.deactivated")] == [accounts.admin.id]

    _post(client, f"/admin/users/{accounts.facilitator.id}/reactivate", page=f"/admin/users/{accounts.facilitator.id}")
    assert sign_in(app.test_client(), accounts.facilitator.email, PASSWORD).status_code == 302


def test_an_invitation_is_resent_only_to_an_account_without_a_password(client, accounts, login_as):
    invited = UserFactory(email="undangan@contoh.id", role=Role.FIELD_OFFICER, email_confirmed_at=None)
    invited.password_hash = None
    db.session.commit()
    login_as("admin")
    assert "Kirim ulang undangan" in client.get(f"/admin/users/{invited.id}").get_data(as_text=True)
    _post(client, f"/admin/users/{invited.id}/invite", page=f"/admin/users/{invited.id}")
    assert [m.to_address for m in mails("invitation")] == ["undangan@contoh.id"]

    assert "Kirim ulang undangan" not in client.get(f"/admin/users/{accounts.moderator.id}").get_data(as_text=True)
    response = _post(client, f"/admin/users/{accounts.moderator.id}/invite", page="/admin/users")
    assert "sudah memiliki kata sandi" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert len(mails("invitation")) == 1


# ---------------------------------------------------------------- officers and moderators

def test_assigning_a_producer_lets_the_officer_edit_it_and_removal_stops_that(app, client, accounts, login_as):
    store_b = accounts.producer_b_store
    officer = app.test_client()
    login(officer, accounts.officer)

    def act_for_b():
        token = csrf_from(officer.get("/dashboard/"))
        return officer.post(f"/dashboard/act-for/{store_b.id}", data={"csrf_token": token})

    assert act_for_b().status_code == 404
    login_as("admin")
    found = client.get(f"/admin/users/{accounts.officer.id}?q=usaha").get_data(as_text=True)
    assert "Usaha B" in found and found.count("Tugaskan") == 1  # A is assigned already
    _post(client, f"/admin/users/{accounts.officer.id}/producers", {"producer_id": store_b.id, "op": "add"},
          page=f"/admin/users/{accounts.officer.id}")

    assert act_for_b().status_code == 302
    storefront = officer.get("/dashboard/storefront")
    assert storefront.status_code == 200 and 'value="Usaha B"' in storefront.get_data(as_text=True)
    [event] = _events("account.officer_assigned")
    assert (event.actor_id, event.producer_id) == (accounts.admin.id, store_b.id)

    _post(client, f"/admin/users/{accounts.officer.id}/producers", {"producer_id": store_b.id, "op": "remove"},
          page=f"/admin/users/{accounts.officer.id}")
    assert officer.get("/dashboard/storefront").status_code == 302  # sent back to choose
    assert act_for_b().status_code == 404
    assert _events("account.officer_unassigned")[0].producer_id == store_b.id


def test_producers_are_only_assigned_to_field_officers(client, accounts, login_as):
    login_as("admin")
    for producer_id in ("99999999999999999999", "-1", "x"):
        response = _post(client, f"/admin/users/{accounts.officer.id}/producers",
                         {"producer_id": producer_id, "op": "add"}, page="/admin/users")
        assert response.status_code == 400
    for category_id in ("99999999999999999999", "0"):
        response = _post(client, f"/admin/users/{accounts.moderator.id}/scope",
                         {"category_id": category_id, "op": "add"}, page="/admin/users")
        assert response.status_code == 400
    _post(client, f"/admin/users/{accounts.moderator.id}/producers",
          {"producer_id": accounts.producer_b_store.id, "op": "add"}, page="/admin/users")
    assert _fresh(accounts.moderator.id).assigned_producers == []


def test_a_moderators_scope_decides_what_is_in_their_queue(app, client, accounts, login_as):
    store = ProducerFactory(name="Usaha C", slug="usaha-c")
    ProductFactory(producer=store, name="Beras Pandan", category=category("beras-serealia"),
                   status=PublicationStatus.PENDING)
    ProductFactory(producer=store, name="Kain Tapis", category=category("kerajinan-wastra"),
                   status=PublicationStatus.PENDING)
    moderator = app.test_client()
    login(moderator, accounts.moderator)

    def queue() -> str:
        return moderator.get("/moderation/").get_data(as_text=True)

    assert "Beras Pandan" in queue() and "Kain Tapis" in queue()
    login_as("admin")
    page = client.get(f"/admin/users/{accounts.moderator.id}").get_data(as_text=True)
    assert "Tanpa cakupan: kurator ini meninjau semua kategori." in page
    crafts = category("kerajinan-wastra")
    _post(client, f"/admin/users/{accounts.moderator.id}/scope", {"category_id": crafts.id, "op": "add"},
          page=f"/admin/users/{accounts.moderator.id}")
    assert "Kain Tapis" in queue() and "Beras Pandan" not in queue()
    assert "Tanpa cakupan" not in client.get(f"/admin/users/{accounts.moderator.id}").get_data(as_text=True)
    _post(client, f"/admin/users/{accounts.moderator.id}/scope", {"category_id": crafts.id, "op": "remove"},
          page=f"/admin/users/{accounts.moderator.id}")
    assert "Beras Pandan" in queue()
    assert [e.action for e in _events("account.scope_added") + _events("account.scope_removed")] == [
        "account.scope_added", "account.scope_removed"]


def test_leaving_the_officer_role_drops_the_assignments(client, accounts, login_as):
    login_as("admin")
    _post(client, f"/admin/users/{accounts.officer.id}/role", {"role": "facilitator"},
          page=f"/admin/users/{accounts.officer.id}")
    officer = _fresh(accounts.officer.id)
    assert officer.role == Role.FACILITATOR and officer.assigned_producers == []
    assert _events("account.role_changed")[0].data["unassigned"] == ["usaha-a"]


def test_the_admin_nav_entry_is_shown_to_admins_only(app, client, accounts, login_as):
    other = app.test_client()
    login(other, accounts.facilitator)
    assert "/admin/users" not in other.get("/").get_data(as_text=True)
    login_as("admin")
    page = client.get("/").get_data(as_text=True)
    assert 'href="/admin/users"' in page and 'href="/admin/audit"' in page


def test_two_admins_demoting_each_other_at_once_leave_one_admin(app, accounts):
    import threading

    other_id = UserFactory(email="admin2@contoh.id", role=Role.ADMIN).id
    admin_id = accounts.admin.id
    db.session.remove()
    for _ in range(5):
        barrier, outcomes = threading.Barrier(2), []

        def demote(actor_id: int, target_id: int) -> None:
            with app.app_context():
                actor, target = db.session.get(User, actor_id), db.session.get(User, target_id)
                barrier.wait()
                try:
                    user_service.change_role(target, "facilitator", actor)
                    db.session.commit()
                    outcomes.append("demoted")
                except user_service.SelfLockout:
                    db.session.rollback()
                    outcomes.append("refused")
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=demote, args=pair) for pair in ((admin_id, other_id), (other_id, admin_id))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(outcomes) == ["demoted", "refused"]
        assert user_service.count_active_admins() == 1
        for user_id in (admin_id, other_id):
            _fresh(user_id).role = Role.ADMIN
        db.session.commit()
