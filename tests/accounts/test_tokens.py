"""Links sent by e-mail (confirm, reset, invite): signed, expiring, single-use, one purpose each."""
from __future__ import annotations

import pytest
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.timed import TimestampSigner

from marketplace.extensions import db
from marketplace.models import User
from marketplace.accounts import users as account_service
from marketplace.accounts import tokens
from tests.authflow import link_in, location_path, mails, sent_to_login, sign_in, submit, user_by_email
from tests.conftest import PASSWORD, csrf_from

NEW = "sandi baru yang panjang sekali"
PURPOSES = ["confirm", "reset", "invite"]
USED = {
    "confirm": "Tautan konfirmasi tidak berlaku lagi atau sudah dipakai",
    "reset": "Tautan atur ulang kata sandi tidak berlaku lagi atau sudah dipakai",
    "invite": "Undangan ini tidak berlaku lagi atau sudah dipakai",
}
PATHS = {"confirm": "/auth/confirm/", "reset": "/auth/reset/", "invite": "/auth/invite/"}


@pytest.fixture
def later(monkeypatch):
    """later(seconds): from now on, itsdangerous believes that many seconds have passed."""
    real = TimestampSigner.get_timestamp

    def shift(seconds: int) -> None:
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) + seconds)
    return shift


def _load(token: str, purpose: str) -> User:
    db.session.expire_all()  # see what the requests committed
    return tokens.load(token, purpose)


def _fresh(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


@pytest.fixture
def unconfirmed(accounts):
    user = _fresh(accounts.producer_a.id)
    user.email_confirmed_at = None
    db.session.commit()
    return user


@pytest.fixture
def invited(accounts):
    """An account made without a password (as an import does), and its invitation mail."""
    user = account_service.create_user("undangan@contoh.id", None, "producer", accounts.producer_b_store.slug,
                                       name="Pak Darto")
    account_service.invite(user)
    db.session.commit()
    return user


@pytest.fixture(params=PURPOSES)
def purpose_and_user(request, accounts):
    purpose = request.param
    if purpose == "confirm":
        return purpose, request.getfixturevalue("unconfirmed")
    if purpose == "invite":
        return purpose, request.getfixturevalue("invited")
    return purpose, _fresh(accounts.producer_a.id)


def _use(client, purpose: str, token: str):
    """Open the link and press its button (with a new password where one is asked for)."""
    path = PATHS[purpose] + token
    data = {} if purpose == "confirm" else {"password": NEW, "confirm": NEW}
    return submit(client, path, data)


# --- the tokens themselves ---------------------------------------------------------------------------

def test_a_token_leads_back_to_its_user(app, purpose_and_user):
    purpose, user = purpose_and_user
    assert tokens.load(tokens.make(user, purpose), purpose).id == user.id


@pytest.mark.parametrize("made_for, used_for", [(a, b) for a in PURPOSES for b in PURPOSES if a != b])
def test_a_token_works_for_its_own_purpose_only(accounts, made_for, used_for):
    user = _fresh(accounts.producer_a.id)
    with pytest.raises(tokens.TokenInvalid):
        tokens.load(tokens.make(user, made_for), used_for)


@pytest.mark.parametrize("damage", [
    # The signature's first character: its last one also carries base64 padding bits, and changing only those
    # ("A" → "B") leaves the decoded signature as it was (1 run in 16 failed for that reason).
    lambda t: t.rsplit(".", 1)[0] + "." + ("A" if t.rsplit(".", 1)[1][0] != "A" else "B") + t.rsplit(".", 1)[1][1:],
    lambda t: ("e" if t[0] != "e" else "f") + t[1:],  # the payload
    lambda t: t.replace(".", "..", 1),
    lambda t: t[:-5],
    lambda t: "",
    lambda t: "bukan-token",
], ids=["signature", "payload", "structure", "truncated", "empty", "garbage"])
def test_a_tampered_token_is_refused(accounts, damage):
    token = tokens.make(_fresh(accounts.producer_a.id), "reset")
    with pytest.raises(tokens.TokenInvalid):
        tokens.load(damage(token), "reset")


def test_a_token_made_for_another_user_id_without_the_secret_is_refused(app, accounts):
    user = _fresh(accounts.producer_a.id)
    forged = URLSafeTimedSerializer("tebakan-rahasia", salt="etalase-reset").dumps(
        {"u": user.id, "f": tokens._fingerprint(user, "reset")})
    with pytest.raises(tokens.TokenInvalid):
        tokens.load(forged, "reset")


@pytest.mark.parametrize("purpose", PURPOSES)
def test_a_token_expires(accounts, later, purpose):
    token = tokens.make(_fresh(accounts.producer_a.id), purpose)
    later(tokens.MAX_AGE[purpose] + 1)
    with pytest.raises(tokens.TokenInvalid):
        tokens.load(token, purpose)


@pytest.mark.parametrize("purpose", PURPOSES)
def test_a_token_still_works_shortly_before_it_expires(accounts, later, purpose):
    token = tokens.make(_fresh(accounts.producer_a.id), purpose)
    later(tokens.MAX_AGE[purpose] - 60)
    assert tokens.load(token, purpose).id == accounts.producer_a.id


@pytest.mark.parametrize("purpose, hours", [("reset", 2), ("confirm", 72), ("invite", 7 * 24)])
def test_tokens_live_as_long_as_the_mails_say(purpose, hours):
    assert tokens.MAX_AGE[purpose] == hours * 3600


@pytest.mark.parametrize("purpose", PURPOSES)
def test_a_token_of_a_deactivated_account_is_refused(accounts, purpose):
    user = _fresh(accounts.producer_a.id)
    token = tokens.make(user, purpose)
    account_service.set_active(user, False)
    db.session.commit()
    with pytest.raises(tokens.TokenInvalid):
        tokens.load(token, purpose)


def test_a_token_of_a_deleted_account_is_refused(ctx):
    from tests.factories import UserFactory

    user = UserFactory()
    token = tokens.make(user, "reset")
    db.session.delete(user)
    db.session.commit()
    with pytest.raises(tokens.TokenInvalid):
        tokens.load(token, "reset")


# --- every link: used once, expires, friendly when it no longer works -----------------------------------

def test_a_link_works_once(app, purpose_and_user):
    purpose, user = purpose_and_user
    token = tokens.make(user, purpose)
    assert _use(app.test_client(), purpose, token).status_code == 302
    with pytest.raises(tokens.TokenInvalid):
        _load(token, purpose)


def test_a_used_link_opened_again_gets_a_friendly_message(app, purpose_and_user):
    purpose, user = purpose_and_user
    token = tokens.make(user, purpose)
    _use(app.test_client(), purpose, token)
    again = app.test_client().get(PATHS[purpose] + token, follow_redirects=True)
    assert again.status_code == 200 and USED[purpose] in again.get_data(as_text=True)


def test_a_used_link_pressed_again_changes_nothing(app, purpose_and_user):
    purpose, user = purpose_and_user
    token = tokens.make(user, purpose)
    browser = app.test_client()
    page = browser.get(PATHS[purpose] + token)
    browser.post(PATHS[purpose] + token, data={"csrf_token": csrf_from(page), "password": NEW, "confirm": NEW})
    after_first = (_fresh(user.id).password_hash, _fresh(user.id).email_confirmed_at, _fresh(user.id).session_version)
    other = "sandi kedua yang juga panjang"
    browser.post(PATHS[purpose] + token, data={"csrf_token": csrf_from(page), "password": other, "confirm": other})
    fresh = _fresh(user.id)
    assert (fresh.password_hash, fresh.email_confirmed_at, fresh.session_version) == after_first


def test_an_expired_link_gets_a_friendly_message(app, purpose_and_user, later):
    purpose, user = purpose_and_user
    token = tokens.make(user, purpose)
    later(tokens.MAX_AGE[purpose] + 1)
    response = app.test_client().get(PATHS[purpose] + token, follow_redirects=True)
    assert response.status_code == 200 and USED[purpose] in response.get_data(as_text=True)


def test_a_tampered_link_gets_a_friendly_message(app, purpose_and_user):
    purpose, user = purpose_and_user
    token = tokens.make(user, purpose)
    response = app.test_client().get(PATHS[purpose] + token[:-2] + "xx", follow_redirects=True)
    assert response.status_code == 200 and USED[purpose] in response.get_data(as_text=True)


def test_opening_a_link_changes_nothing_until_its_button_is_pressed(app, purpose_and_user):
    purpose, user = purpose_and_user
    before = (user.password_hash, user.email_confirmed_at, user.session_version)
    response = app.test_client().get(PATHS[purpose] + tokens.make(user, purpose))
    assert response.status_code == 200 and "<form" in response.get_data(as_text=True)
    fresh = _fresh(user.id)
    assert (fresh.password_hash, fresh.email_confirmed_at, fresh.session_version) == before


@pytest.mark.parametrize("purpose", ["reset", "invite"])
def test_a_weak_password_on_a_link_is_refused_and_the_link_keeps_working(app, accounts, invited, purpose):
    user = invited if purpose == "invite" else _fresh(accounts.producer_a.id)
    token = tokens.make(user, purpose)
    browser = app.test_client()
    response = submit(browser, PATHS[purpose] + token, {"password": "bismillah", "confirm": "bismillah"})
    assert response.status_code == 200 and "terlalu umum" in response.get_data(as_text=True)
    assert tokens.load(token, purpose).id == user.id


# --- confirming an e-mail address -------------------------------------------------------------------

def test_confirming_needs_the_button_a_get_changes_nothing(app, unconfirmed):
    app.test_client().get("/auth/confirm/" + tokens.make(unconfirmed, "confirm"))
    assert _fresh(unconfirmed.id).email_confirmed_at is None


def test_the_button_confirms_the_address(app, unconfirmed):
    _use(app.test_client(), "confirm", tokens.make(unconfirmed, "confirm"))
    assert _fresh(unconfirmed.id).email_confirmed_at is not None


def test_a_confirmation_link_dies_when_the_address_changes(app, unconfirmed):
    token = tokens.make(unconfirmed, "confirm")
    unconfirmed.email = "alamat-baru@contoh.id"
    db.session.commit()
    with pytest.raises(tokens.TokenInvalid):
        tokens.load(token, "confirm")


# --- resetting a password ------------------------------------------------------------------------

RESET_ANSWER = "Jika email tersebut terdaftar"


def _ask_reset(client, email):
    return submit(client, "/auth/reset", {"email": email})


@pytest.mark.parametrize("email", ["a@contoh.id", "A@Contoh.ID", "tidak-ada@contoh.id"])
def test_a_reset_request_gets_the_same_answer_for_any_address(app, accounts, email):
    known = _ask_reset(app.test_client(), "b@contoh.id")
    response = _ask_reset(app.test_client(), email)
    assert (response.status_code, response.headers["Location"]) == (known.status_code, known.headers["Location"])
    page = app.test_client()
    answer = _ask_reset(page, email)
    assert RESET_ANSWER in page.get(location_path(answer)).get_data(as_text=True)


def test_a_reset_request_for_an_unknown_address_queues_no_mail(client, accounts):
    _ask_reset(client, "tidak-ada@contoh.id")
    assert mails() == []


def test_a_reset_request_for_a_known_address_queues_one_mail_to_it(client, accounts):
    _ask_reset(client, "A@contoh.id")
    assert [(m.template, m.to_address) for m in mails()] == [("reset_password", "a@contoh.id")]


def test_a_reset_request_for_a_deactivated_account_queues_no_mail(client, accounts):
    account_service.set_active(_fresh(accounts.producer_a.id), False)
    db.session.commit()
    _ask_reset(client, accounts.producer_a.email)
    assert mails() == []


def test_the_mailed_reset_link_sets_a_new_password(app, client, accounts):
    _ask_reset(client, accounts.producer_a.email)
    submit(client, link_in(mails("reset_password")[0], "/auth/reset/"), {"password": NEW, "confirm": NEW})
    assert sign_in(app.test_client(), accounts.producer_a.email, NEW).status_code == 302
    assert sign_in(app.test_client(), accounts.producer_a.email, PASSWORD).status_code == 200


def test_a_reset_ends_every_session_of_the_account(app, accounts):
    laptop = app.test_client()
    sign_in(laptop, accounts.producer_a.email, PASSWORD)
    _use(app.test_client(), "reset", tokens.make(_fresh(accounts.producer_a.id), "reset"))
    assert sent_to_login(laptop.get("/dashboard/"))


def test_a_reset_link_dies_when_the_password_is_changed_another_way(app, client, login_as, accounts):
    token = tokens.make(_fresh(accounts.producer_a.id), "reset")
    login_as("producer_a")
    submit(client, "/auth/password", {"current": PASSWORD, "password": NEW, "confirm": NEW})
    response = app.test_client().get("/auth/reset/" + token, follow_redirects=True)
    assert USED["reset"] in response.get_data(as_text=True)


def test_using_one_reset_link_kills_the_others(app, accounts):
    first = tokens.make(_fresh(accounts.producer_a.id), "reset")
    second = tokens.make(_fresh(accounts.producer_a.id), "reset")
    _use(app.test_client(), "reset", first)
    with pytest.raises(tokens.TokenInvalid):
        _load(second, "reset")


def test_a_reset_through_the_mailbox_confirms_the_address(app, unconfirmed):
    _use(app.test_client(), "reset", tokens.make(unconfirmed, "reset"))
    assert _fresh(unconfirmed.id).email_confirmed_at is not None


# --- invitations -------------------------------------------------------------------------------

def test_an_invitation_is_mailed_with_its_link(invited):
    [message] = mails("invitation")
    assert message.to_address == "undangan@contoh.id"
    assert tokens.load(link_in(message, "/auth/invite/").rsplit("/", 1)[1], "invite").id == invited.id


def test_an_invited_account_cannot_sign_in_before_accepting(client, invited):
    assert sign_in(client, "undangan@contoh.id", "").status_code == 200
    assert sign_in(client, "undangan@contoh.id", "no-password").status_code == 200


def test_accepting_an_invitation_signs_in_and_lands_on_the_dashboard(client, invited):
    response = _use(client, "invite", link_in(mails("invitation")[0], "/auth/invite/").rsplit("/", 1)[1])
    assert location_path(response) == "/dashboard/"
    page = client.get("/dashboard/")
    assert page.status_code == 200 and "Usaha B" in page.get_data(as_text=True)


def test_the_password_chosen_on_the_invitation_signs_in_later(app, invited):
    _use(app.test_client(), "invite", tokens.make(invited, "invite"))
    assert sign_in(app.test_client(), "undangan@contoh.id", NEW).status_code == 302


def test_accepting_an_invitation_starts_a_new_session(client, invited):
    client.get("/auth/login")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
    _use(client, "invite", tokens.make(invited, "invite"))
    with client.session_transaction() as session:
        assert "planted" not in session


def test_an_invitation_for_an_account_that_has_been_deactivated_is_refused(app, invited):
    token = tokens.make(invited, "invite")
    account_service.set_active(_fresh(invited.id), False)
    db.session.commit()
    response = app.test_client().get("/auth/invite/" + token, follow_redirects=True)
    assert USED["invite"] in response.get_data(as_text=True)
    assert user_by_email("undangan@contoh.id").password_hash is None
