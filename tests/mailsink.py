"""A real SMTP server for tests: aiosmtpd on loopback, recording what it receives.

It can refuse recipients (5xx), answer the next transactions with 4xx, require STARTTLS and
authentication, or speak implicit TLS, all with trustme certificates. Tests wait for mail with
``wait_for`` (a condition with a deadline), never with sleeps.
"""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())

    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        assert part is not None
        return str(part.get_content())


@dataclass
class Sink:
    """The handler: what arrived, and how to misbehave."""

    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # address -> "550 ..."
    data_answers: list[str] = field(default_factory=list)  # consumed one per DATA
    refuse_sender: str | None = None  # e.g. "550 5.7.1 not allowed to send as this sender"
    condition: threading.Condition = field(default_factory=threading.Condition)

    async def handle_MAIL(
        self,
        server: Any,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        if self.refuse_sender:
            return self.refuse_sender
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: Any,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.data_answers:
            return self.data_answers.pop(0)
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        with self.condition:
            self.received.append(
                Received(str(envelope.mail_from), tuple(envelope.rcpt_tos), parsed)
            )
            self.condition.notify_all()
        return "250 2.0.0 Message accepted for delivery"

    def wait_for(self, predicate: Callable[[list[Received]], bool], timeout: float = 20) -> None:
        with self.condition:
            if not self.condition.wait_for(lambda: predicate(self.received), timeout):
                raise AssertionError(f"timed out; received {len(self.received)} messages")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def password_checker(username: str, password: str) -> Callable[..., AuthResult]:
    def check(
        server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == username.encode()
            and auth_data.password == password.encode()
        )
        return AuthResult(success=ok, handled=False)

    return check


def start(sink: Sink, port: int, **smtp_options: Any) -> Controller:
    """Start aiosmtpd on 127.0.0.1:``port`` (``ssl_context`` for implicit TLS; ``tls_context``,
    ``require_starttls``, ``authenticator``, ``auth_required`` for STARTTLS and AUTH)."""
    ssl_context = smtp_options.pop("ssl_context", None)
    controller = Controller(
        sink,
        hostname="127.0.0.1",
        port=port,
        ssl_context=ssl_context,
        server_hostname="localhost",
        **smtp_options,
    )
    controller.start()
    return controller


def server_tls_context(ca: Any) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    return context
