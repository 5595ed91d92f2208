"""Sending: a claimed message becomes MIME (pure), then goes out over one SMTP session.

aiosmtplib's errors are translated here, and only here, into ``TransientDelivery`` (retry with
backoff) or ``PermanentDelivery`` (record the server's answer, do not retry). Problems of the
relay itself (refused connection, timeout, TLS, authentication, 4xx) are transient: the message
waits, nothing is lost, and the operator is told through the logs.
"""

from __future__ import annotations

from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from types import TracebackType

import aiosmtplib

from scheduler.errors import PermanentDelivery, TransientDelivery
from scheduler.mail_settings import SmtpSettings
from scheduler.outbox import Outgoing
from scheduler.tls import client_context
from scheduler.vntime import as_vn


def to_mime(message: Outgoing, sender: str, now: datetime) -> EmailMessage:
    """The message as it goes on the wire: UTF-8 text and HTML parts (quoted-printable, so no
    relay needs 8BITMIME), and a Message-ID fixed by the key."""
    mime = EmailMessage()
    mime["From"] = sender
    mime["To"] = Address(addr_spec=message.recipient)
    mime["Subject"] = message.subject
    mime["Date"] = format_datetime(as_vn(now))
    mime["Message-ID"] = message.message_id
    if message.thread_ref:
        mime["In-Reply-To"] = message.thread_ref
        mime["References"] = message.thread_ref
    mime["Auto-Submitted"] = "auto-generated"
    mime["Content-Language"] = "vi"
    mime.set_content(message.text, charset="utf-8", cte="quoted-printable")
    mime.add_alternative(message.html, subtype="html", charset="utf-8", cte="quoted-printable")
    return mime


def _answer(error: aiosmtplib.SMTPResponseException) -> str:
    return f"{error.code} {error.message}"


class SmtpSession:
    """One authenticated connection, reused for a batch: ``async with SmtpSession(s) as smtp``."""

    def __init__(self, settings: SmtpSettings, sender: str) -> None:
        self.settings = settings
        self.envelope_from = parseaddr(sender)[1]
        tls = settings.security != "none"
        self.client = aiosmtplib.SMTP(
            hostname=settings.host,
            port=settings.port,
            timeout=settings.timeout,
            use_tls=settings.security == "tls",
            start_tls=settings.security == "starttls",
            tls_context=client_context(settings.ca_file) if tls else None,
            validate_certs=tls,
        )

    async def __aenter__(self) -> SmtpSession:
        try:
            await self.client.connect()
            if self.settings.username:
                await self.client.login(self.settings.username, self.settings.password or "")
        except aiosmtplib.SMTPAuthenticationError as error:
            self.client.close()  # __aexit__ does not run when __aenter__ raises
            raise TransientDelivery(
                f"xác thực SMTP thất bại / authentication failed: {_answer(error)}",
                connection_lost=True,
            ) from None
        except (aiosmtplib.SMTPException, OSError) as error:
            self.client.close()
            raise TransientDelivery(
                f"không kết nối được máy chủ thư {self.settings.host}:{self.settings.port} / "
                f"cannot connect: {error}",
                connection_lost=True,
            ) from None
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.client.is_connected:
            try:
                await self.client.quit()
            except (aiosmtplib.SMTPException, OSError):
                self.client.close()

    async def send(self, mime: EmailMessage, recipient: str) -> str:
        """Send to one recipient; the server's answer on success."""
        try:
            _, answer = await self.client.send_message(
                mime, sender=self.envelope_from, recipients=[recipient]
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            first = error.recipients[0]
            raise self._classify(first.code, _answer(first), lost=False) from None
        except aiosmtplib.SMTPSenderRefused as error:
            # the relay refuses *us* (530 auth required, 550 not allowed to send as): every
            # message would fail the same way, so nothing is failed; the batch waits
            raise TransientDelivery(
                f"máy chủ thư từ chối người gửi / sender refused: {_answer(error)}",
                connection_lost=True,
            ) from None
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as error:
            raise TransientDelivery(
                f"mất kết nối / connection lost: {error}", connection_lost=True
            ) from None
        except aiosmtplib.SMTPResponseException as error:
            raise self._classify(
                error.code, _answer(error), lost=error.code == 421 or not self.client.is_connected
            ) from None
        return answer

    @staticmethod
    def _classify(code: int, answer: str, *, lost: bool) -> TransientDelivery | PermanentDelivery:
        if code in (530, 535):  # authentication: the relay's setting, not this message
            return TransientDelivery(answer, connection_lost=True)
        if 500 <= code < 600:
            return PermanentDelivery(answer)
        return TransientDelivery(answer, connection_lost=lost)
