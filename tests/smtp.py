"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, on a free port, collecting what it receives.

    def test_something(smtp_server, ctx):
        ...
        send_pending()
        assert smtp_server.to("buyer@example.id")[0].message["Subject"] == "..."
        smtp_server.stop()    # the mail server goes down (connections are refused)
        smtp_server.start()   # and comes back on the same port

While the fixture is active the app's MAIL_SERVER / MAIL_PORT point at it; they are restored after.

`mail_server(tls="starttls" | "smtps" | None, login=("user", "password") | None)` starts one that speaks TLS
with a throwaway certificate for 127.0.0.1 (signed by a throwaway CA, made with trustme; the app trusts it
through MAIL_TLS_CA_FILE) and/or accepts mail only after AUTH with those credentials:

    def test_something(mail_server, ctx):
        server = mail_server(tls="starttls", login=("etalase", "rahasia"))
        ...
"""
from __future__ import annotations

import socket
import ssl
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage  # parsed with the modern policy: message["Subject"], message.get_body(("html",))
    encrypted: bool = False  # the message came over TLS (STARTTLS or SMTPS)
    login: str | None = None  # the user name the sender logged in with (AUTH)

    def part(self, subtype: str) -> str:
        """The decoded text of the text/<subtype> part ('plain' or 'html')."""
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None and body.get_content_subtype() == subtype, f"no text/{subtype} part"
        return body.get_content()


class _Handler:
    def __init__(self, server: SMTPServer):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.server.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        received = Received(
            mail_from=envelope.mail_from,
            rcpt_tos=list(envelope.rcpt_tos),
            message=message_from_bytes(envelope.original_content or envelope.content, policy=policy.default),
            encrypted=server.transport.get_extra_info("ssl_object") is not None,
            login=session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None,
        )
        with self.server.lock:
            self.server.messages.append(received)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class SMTPServer:
    """An aiosmtpd server that can be stopped and started again on the same port.

    tls: None (plain), "starttls" (refuses mail until the client said STARTTLS) or "smtps" (TLS from the
    first byte); both need `certificate`, a server-side ssl.SSLContext. login: (user, password) that AUTH
    must give before MAIL FROM is accepted.
    """

    def __init__(self, port: int | None = None, *, tls: str | None = None, certificate: ssl.SSLContext | None = None,
                 login: tuple[str, str] | None = None):
        assert tls in (None, "starttls", "smtps") and (tls is None or certificate is not None)
        self.host = HOST
        self.port = port or _free_port()
        self.tls, self.certificate, self.login = tls, certificate, login
        self.messages: list[Received] = []
        self.refused: set[str] = set()  # recipients answered with 550
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        given = (auth_data.login.decode(), auth_data.password.decode()) if isinstance(auth_data, LoginPassword) else None
        return AuthResult(success=given == self.login, handled=False, auth_data=auth_data)

    def _options(self) -> dict:
        options: dict = {}
        if self.tls == "starttls":
            options.update(tls_context=self.certificate, require_starttls=True)
        elif self.tls == "smtps":
            options.update(ssl_context=self.certificate)
        if self.login is not None:
            # Credentials only over TLS, as a hosted mail service has it (SMTPS is TLS throughout, though aiosmtpd's
            # check only knows STARTTLS; a plain server takes them unencrypted).
            options.update(authenticator=self._authenticate, auth_required=True,
                           auth_require_tls=self.tls == "starttls")
        return options

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        assert not self.running, "already running"
        # A controller's event loop is closed when it stops, so each start needs a new one.
        controller = Controller(_Handler(self), hostname=self.host, port=self.port, ready_timeout=5, **self._options())
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def refuse(self, address: str) -> None:
        """From now on, answer RCPT TO:<address> with a permanent error."""
        self.refused.add(address.lower())

    def to(self, address: str) -> list[Received]:
        """Messages received for this recipient."""
        with self.lock:
            return [m for m in self.messages if address in m.rcpt_tos]

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()


@pytest.fixture
def smtp_server(app):
    """A running SMTP server that the app delivers to for the length of the test."""
    server = SMTPServer()
    server.start()
    saved = {key: app.config[key] for key in ("MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_SERVER=server.host, MAIL_PORT=server.port)
    try:
        yield server
    finally:
        app.config.update(saved)
        server.stop()


MAIL_SETTINGS = ("MAIL_SERVER", "MAIL_PORT", "MAIL_USE_TLS", "MAIL_USE_SSL", "MAIL_USERNAME", "MAIL_PASSWORD",
                 "MAIL_TLS_CA_FILE")


@pytest.fixture(scope="session")
def certificate_authority(tmp_path_factory):
    """A throwaway CA and a certificate for 127.0.0.1 signed by it: (server-side SSLContext, path of the CA's PEM)."""
    import trustme  # the test extra pins it
    authority = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert(HOST).configure_cert(server_context)
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    authority.cert_pem.write_to_path(str(path))
    return server_context, str(path)


@pytest.fixture
def mail_server(app, certificate_authority):
    """mail_server(tls=..., login=...): start such a server and point the app's mail settings at it
    (MAIL_USE_TLS or MAIL_USE_SSL, MAIL_TLS_CA_FILE, MAIL_USERNAME and MAIL_PASSWORD to match)."""
    servers: list[SMTPServer] = []
    saved = {key: app.config.get(key) for key in MAIL_SETTINGS}

    def start(tls: str | None = None, login: tuple[str, str] | None = None) -> SMTPServer:
        server = SMTPServer(tls=tls, certificate=certificate_authority[0], login=login)
        server.start()
        servers.append(server)
        app.config.update(MAIL_SERVER=server.host, MAIL_PORT=server.port, MAIL_USE_TLS=tls == "starttls",
                          MAIL_USE_SSL=tls == "smtps", MAIL_TLS_CA_FILE=certificate_authority[1] if tls else None,
                          MAIL_USERNAME=login[0] if login else None, MAIL_PASSWORD=login[1] if login else None)
        return server

    try:
        yield start
    finally:
        app.config.update(saved)
        for server in servers:
            server.stop()
