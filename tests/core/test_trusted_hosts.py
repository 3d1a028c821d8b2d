"""Links in e-mails point at the configured site, never at the Host a request names; other hosts are refused.

Without SERVER_NAME a password reset asked for with `Host: evil.example` mailed a link to evil.example. So
production refuses to start without SERVER_NAME, every e-mail link is built from it and PREFERRED_URL_SCHEME
(in a request or not), and a request for a host that is not the site's (TRUSTED_HOSTS, SERVER_NAME unless set
explicitly) gets 400.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from marketplace import create_app
from marketplace.config import ConfigError
from marketplace.models import Role
from marketplace.accounts import users as account_service
from tests.authflow import mails, registration
from tests.conftest import csrf_from
from tests.factories import ProductFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
FORGED = "evil.example"
LINK = re.compile(r"(https?)://([^/\s\"'<>]+)(/[^\s\"'<>]*)")


@pytest.fixture(autouse=True)
def _no_minimum_fill_time(monkeypatch):
    monkeypatch.setattr("marketplace.trade.inquiries.forms.MIN_FILL_SECONDS", 0)


@pytest.fixture
def site(app):
    """Change the app's site settings for one test (the session app is shared)."""
    saved = {key: app.config[key] for key in ("SERVER_NAME", "TRUSTED_HOSTS", "PREFERRED_URL_SCHEME")}

    def change(**settings):
        app.config.update(settings)
    yield change
    app.config.update(saved)


def links(message) -> set[tuple[str, str]]:
    """(scheme, host) of every link in both parts of a queued message."""
    found = {(m[0], m[1]) for m in LINK.findall(message.body_text)}
    found |= {(m[0], m[1]) for m in LINK.findall(message.body_html.replace("&amp;", "&"))
              if not m[2].startswith("/1999/")}  # no namespace URLs in our mail, but be safe
    assert found, f"{message.template}: no link"
    return found


# --- the three mails with a link that a request asks for -------------------------------------
# Each opens the form and sends it the way a browser would, both requests naming `host`.

def ask_reset(client, host: str):
    page = client.get("/auth/reset", base_url=f"http://{host}")
    if page.status_code != 200:
        return page
    return client.post("/auth/reset", data={"csrf_token": csrf_from(page), "email": "sri@contoh.id"},
                       base_url=f"http://{host}")


def register(client, host: str):
    page = client.get("/auth/register", base_url=f"http://{host}")
    if page.status_code != 200:
        return page
    return client.post("/auth/register", data={"csrf_token": csrf_from(page), **registration()},
                       base_url=f"http://{host}")


def send_inquiry(client, host: str):
    product = ProductFactory(name="Beras Premium", unit="kg", min_order_qty=500, monthly_capacity=20000)
    url = f"/inquiries/new?product={product.id}"
    page = client.get(url, base_url=f"http://{host}")
    if page.status_code != 200:
        return page
    hidden = dict(re.findall(r'name="(csrf_token|form_token|started)" type="hidden" value="([^"]*)"',
                             page.get_data(as_text=True)))
    data = {"company": "Hotel Sari", "buyer_type": "hotel", "contact_name": "Dewi Lestari",
            "email": "dewi@hotel.co.id", "phone": "0812-1111-2222", "quantity": "2.000", "unit": "kg",
            "frequency": "monthly", "delivery_city": "jakarta-pusat", "message": "Beras untuk restoran hotel."}
    return client.post(url, data={**hidden, **data}, base_url=f"http://{host}")


FLOWS = {
    "reset_password": ask_reset,
    "confirm_email": register,
    "inquiry_received": send_inquiry,
}


@pytest.mark.parametrize("template", list(FLOWS))
def test_a_request_with_a_forged_host_is_refused_and_mails_nothing(client, ctx, template):
    if template == "reset_password":
        UserFactory(email="sri@contoh.id", role=Role.PRODUCER)
    response = FLOWS[template](client, FORGED)
    assert response.status_code == 400
    assert mails(template) == []
    assert FLOWS[template](client, "etalase.test").status_code in (302, 303)  # the site's own host is served
    [message] = mails(template)
    assert links(message) == {("http", "etalase.test")}


@pytest.mark.parametrize("template", list(FLOWS))
def test_mail_links_point_at_the_configured_site_whatever_host_and_scheme_the_request_used(client, ctx, site,
                                                                                       template):
    # www.etalase.test is let in (an alias the proxy forwards); the request arrives over plain http.
    site(TRUSTED_HOSTS=["etalase.test", "www.etalase.test"], PREFERRED_URL_SCHEME="https")
    if template == "reset_password":
        UserFactory(email="sri@contoh.id", role=Role.PRODUCER)
    response = FLOWS[template](client, "www.etalase.test")
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]
    [message] = mails(template)
    assert links(message) == {("https", "etalase.test")}


def test_an_invitation_written_outside_a_request_links_to_the_configured_site(app, ctx, site):
    site(PREFERRED_URL_SCHEME="https")
    user = UserFactory(email="staf@contoh.id", role=Role.FACILITATOR, password_hash=None)
    account_service.invite(user)
    [message] = mails("invitation")
    assert links(message) == {("https", "etalase.test")}


def test_the_imports_invitations_link_to_the_configured_site(app, ctx, site):
    site(PREFERRED_URL_SCHEME="https")
    result = app.test_cli_runner().invoke(args=["import-umkm", str(ROOT / "tests/fixtures/inventaris-umkm-metro.csv")])
    assert result.exit_code == 0, result.output
    invitations = mails("invitation")
    assert invitations
    assert set().union(*(links(m) for m in invitations)) == {("https", "etalase.test")}


# --- requests for another host ----------------------------------------------------------------

def test_trusted_hosts_follow_server_name_unless_set(app):
    assert app.config["TRUSTED_HOSTS"] == ["etalase.test"]


@pytest.mark.parametrize("host", [FORGED, "etalase.test.evil.example", "evil.example:80", "127.0.0.1"])
def test_a_page_for_another_host_is_refused_with_the_security_headers(client, ctx, host):
    response = client.get("/auth/login", base_url=f"http://{host}")
    assert response.status_code == 400
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_the_sites_own_host_with_a_port_is_served(client, ctx):
    assert client.get("/auth/login", headers={"Host": "etalase.test:8443"}).status_code == 200


# --- production -------------------------------------------------------------------------------

def production(tmp_path, **settings):
    return create_app("production", SECRET_KEY="a-real-secret-from-the-environment", SQLALCHEMY_DATABASE_URI="sqlite://",
                      UPLOAD_DIR=str(tmp_path / "uploads"), RATELIMIT_PER_PROCESS=True, **settings)


@pytest.mark.parametrize("value", [None, ""])
def test_production_refuses_to_start_without_server_name(tmp_path, monkeypatch, value):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="SERVER_NAME") as refused:
        production(tmp_path, SERVER_NAME=value)
    assert "\n" not in str(refused.value)


def test_production_refuses_a_url_as_server_name(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="SERVER_NAME"):
        production(tmp_path, SERVER_NAME="https://etalase.metrokota.go.id/")


def test_production_serves_its_own_host_and_refuses_others(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    app = production(tmp_path, SERVER_NAME="etalase.metrokota.go.id")
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    refused = client.get("/healthz", headers={"Host": FORGED})
    assert refused.status_code == 400
    assert refused.headers["Strict-Transport-Security"].startswith("max-age=")


def test_production_takes_trusted_hosts_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    app = production(tmp_path, SERVER_NAME="etalase.metrokota.go.id",
                     TRUSTED_HOSTS=["etalase.metrokota.go.id", "www.etalase.metrokota.go.id"])
    assert app.test_client().get("/healthz", headers={"Host": "www.etalase.metrokota.go.id"}).status_code == 200


def test_the_server_refuses_to_start_without_server_name_in_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MAIL_", "SERVER_NAME", "TRUSTED_HOSTS"))}
    env.update(APP_ENV="production", SECRET_KEY="x" * 32, RATELIMIT_PER_PROCESS="1", INSTANCE_PATH=str(tmp_path),
               DATABASE_URL=f"sqlite:///{tmp_path / 'start.db'}")
    done = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "routes"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "SERVER_NAME" in lines[0], done.stderr
