"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, on a free port, collecting what it receives.

    def test_something(smtp_server, ctx):
        ...
        send_pending()
        assert smtp_server.to("buyer@example.id")[0].message["Subject"] == "..."
        smtp_server.stop()    # the mail server goes down (connections are refused)
        smtp_server.start()   # and comes back on the same port

While the fixture is active the app's MAIL_SERVER / MAIL_PORT point at it; they are restored after.
"""
from __future__ import annotations

import socket
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage  # parsed with the modern policy: message["Subject"], message.get_body(("html",))

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
        )
        with self.server.lock:
            self.server.messages.append(received)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class SMTPServer:
    """An aiosmtpd server that can be stopped and started again on the same port."""

    def __init__(self, port: int | None = None):
        self.host = HOST
        self.port = port or _free_port()
        self.messages: list[Received] = []
        self.refused: set[str] = set()  # recipients answered with 550
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        assert not self.running, "already running"
        # A controller's event loop is closed when it stops, so each start needs a new one.
        controller = Controller(_Handler(self), hostname=self.host, port=self.port, ready_timeout=5)
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
