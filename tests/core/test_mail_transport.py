"""Mail to a real provider: STARTTLS or SMTPS with the server's certificate verified, and AUTH.

Against a local aiosmtpd server (tests/smtp.py) with a throwaway certificate for 127.0.0.1 signed by a
throwaway CA (trustme), which the app trusts through MAIL_TLS_CA_FILE. A message the server does not
take (no TLS, an untrusted certificate, no login or a wrong one) stays queued with the error, and is
delivered once the settings are right.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from marketplace import create_app
from marketplace.config import ConfigError
from marketplace.extensions import db
from marketplace.models import OutboundMessage, OutboxStatus
from marketplace.core.outbox import queue_email, send_pending
from tests.core.test_outbox import SRI, RESET_URL

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LOGIN = ("etalase@metrokota.go.id", "kata-sandi-smtp-yang-panjang")


def queue(count: int = 1) -> list[str]:
    addresses = [f"pembeli{i}@contoh.id" for i in range(count)]
    for address in addresses:
        queue_email(address, "reset_password", user=SRI, url=RESET_URL)
    db.session.commit()
    return addresses


def rows() -> list[OutboundMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))


def assert_still_queued(error_part: str) -> None:
    for row in rows():
        assert row.status == OutboxStatus.QUEUED and row.sent_at is None
        assert error_part in row.last_error, row.last_error


# --- encryption ---------------------------------------------------------------------------------

def test_starttls_delivers_over_an_encrypted_connection(ctx, mail_server):
    server = mail_server(tls="starttls")
    [address] = queue()
    assert send_pending() == (1, 0)
    [received] = server.to(address)
    assert received.encrypted
    assert [row.status for row in rows()] == [OutboxStatus.SENT]


def test_smtps_delivers_over_tls_from_the_first_byte(ctx, mail_server):
    server = mail_server(tls="smtps")
    [address] = queue()
    assert send_pending() == (1, 0)
    assert server.to(address)[0].encrypted


def test_a_server_that_wants_starttls_keeps_the_mail_queued_until_the_app_uses_it(app, ctx, mail_server):
    server = mail_server(tls="starttls")
    app.config.update(MAIL_USE_TLS=False)
    [address] = queue()
    assert send_pending() == (0, 1)
    assert_still_queued("STARTTLS")
    assert server.messages == []

    app.config.update(MAIL_USE_TLS=True)
    assert send_pending() == (1, 0)
    assert len(server.to(address)) == 1


@pytest.mark.parametrize("tls", ["starttls", "smtps"])
def test_a_certificate_the_app_does_not_trust_is_refused_never_used(app, ctx, mail_server, tls):
    """Without MAIL_TLS_CA_FILE the system's CAs decide, and they never signed the throwaway certificate."""
    server = mail_server(tls=tls)
    app.config.update(MAIL_TLS_CA_FILE=None)
    queue(2)
    assert send_pending() == (0, 2)
    assert_still_queued("CERTIFICATE_VERIFY_FAILED")
    assert server.messages == []


def test_a_certificate_for_another_host_name_is_refused(app, ctx, mail_server):
    server = mail_server(tls="starttls")
    app.config.update(MAIL_SERVER="localhost")  # the certificate is for 127.0.0.1 only
    queue()
    assert send_pending() == (0, 1)
    assert_still_queued("CERTIFICATE_VERIFY_FAILED")
    assert server.messages == []


# --- login ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("tls", ["starttls", "smtps"])
def test_the_right_credentials_deliver(ctx, mail_server, tls):
    server = mail_server(tls=tls, login=LOGIN)
    [address] = queue()
    assert send_pending() == (1, 0)
    [received] = server.to(address)
    assert received.login == LOGIN[0] and received.encrypted


def test_a_wrong_password_keeps_every_message_queued_with_the_error_until_it_is_fixed(app, ctx, mail_server):
    server = mail_server(tls="starttls", login=LOGIN)
    app.config.update(MAIL_PASSWORD="salah")
    addresses = queue(3)
    assert send_pending() == (0, 3)
    assert_still_queued("535")
    assert server.messages == []

    app.config.update(MAIL_PASSWORD=LOGIN[1])
    assert send_pending() == (3, 0)
    assert all(len(server.to(address)) == 1 for address in addresses)
    assert send_pending() == (0, 0)  # delivered once, nothing left


def test_without_credentials_a_server_that_wants_them_keeps_the_mail_queued(app, ctx, mail_server):
    server = mail_server(tls="starttls", login=LOGIN)
    app.config.update(MAIL_USERNAME=None, MAIL_PASSWORD=None)
    addresses = queue(2)
    assert send_pending() == (0, 2)
    assert_still_queued("530")
    assert server.messages == []

    app.config.update(MAIL_USERNAME=LOGIN[0], MAIL_PASSWORD=LOGIN[1])
    assert send_pending() == (2, 0)
    assert all(len(server.to(address)) == 1 for address in addresses)


def test_the_outbox_command_reports_a_refused_login_and_fails(app, ctx, mail_server):
    mail_server(tls="smtps", login=LOGIN)
    app.config.update(MAIL_PASSWORD="salah")
    queue()
    result = app.test_cli_runner().invoke(args=["outbox", "send"])
    assert result.exit_code == 1 and "sent 0, failed 1" in result.output
    assert_still_queued("535")


# --- settings the app refuses to start with -------------------------------------------------------

REFUSED = {
    "both TLS modes": ({"MAIL_USE_TLS": True, "MAIL_USE_SSL": True}, "MAIL_USE_TLS"),
    "a username without a password": ({"MAIL_USE_TLS": True, "MAIL_USERNAME": "etalase"}, "MAIL_PASSWORD"),
    "a password without a username": ({"MAIL_USE_TLS": True, "MAIL_PASSWORD": "rahasia"}, "MAIL_USERNAME"),
    "a CA file that is not there": ({"MAIL_USE_TLS": True, "MAIL_TLS_CA_FILE": "/tidak/ada/ca.pem"}, "MAIL_TLS_CA_FILE"),
    "a CA file without TLS": ({"MAIL_TLS_CA_FILE": __file__}, "MAIL_TLS_CA_FILE"),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_the_app_refuses_to_start_with_contradictory_mail_settings(tmp_path, monkeypatch, case):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    settings, named = REFUSED[case]
    with pytest.raises(ConfigError, match=named) as refused:
        create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://", UPLOAD_DIR=str(tmp_path / "uploads"), **settings)
    assert "\n" not in str(refused.value)


@pytest.mark.parametrize("settings, port", [({}, 25), ({"MAIL_USE_TLS": True}, 587), ({"MAIL_USE_SSL": True}, 465),
                                            ({"MAIL_USE_SSL": True, "MAIL_PORT": 2465}, 2465)])
def test_the_mail_port_follows_the_encryption_unless_set(tmp_path, monkeypatch, settings, port):
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
    app = create_app("testing", SQLALCHEMY_DATABASE_URI="sqlite://", UPLOAD_DIR=str(tmp_path / "uploads"),
                     **{"MAIL_PORT": None, **settings})
    assert app.config["MAIL_PORT"] == port


def test_the_server_says_in_one_line_which_mail_setting_to_fix(tmp_path):
    base = {k: v for k, v in os.environ.items() if not k.startswith("MAIL_")}
    base.update(APP_ENV="development", INSTANCE_PATH=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'start.db'}",
                MAIL_USE_TLS="1", MAIL_USE_SSL="1")
    done = subprocess.run([str(BIN / "flask"), "--app", "wsgi", "routes"], cwd=ROOT, env=base, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "MAIL_USE_TLS and MAIL_USE_SSL" in lines[0], done.stderr
