"""Sending: a claimed message becomes bytes on the wire (pure, ``Wire``), then goes out over one
SMTP session.

aiosmtplib's errors are translated here, and only here, into ``TransientDelivery`` (retry with
backoff) or ``PermanentDelivery`` (record the server's answer, do not retry). Problems of the
relay itself (refused connection, timeout, TLS, authentication, 4xx) are transient: the message
waits, nothing is lost, and the operator is told through the logs.
"""

from __future__ import annotations

import binascii
import contextlib
import re
from base64 import b64encode
from collections.abc import Awaitable, Callable
from datetime import datetime
from email.utils import format_datetime, parseaddr
from types import TracebackType

import aiosmtplib

from scheduler.deadlines.vntime import as_vn
from scheduler.errors import PermanentDelivery, TransientDelivery
from scheduler.mail.outbox import Outgoing
from scheduler.mail.settings import SmtpSettings
from scheduler.mail.tls import client_context


def _encoded_words(text: str) -> str:
    """A header value as RFC 2047 encoded-words (UTF-8, base64), folded between words so no
    line passes 76 characters; plain ASCII as it is. Computed here, by hand, because the
    standard library's header folding costs milliseconds a message for a long Vietnamese name."""
    if text.isascii() and len(text) <= 60 and "=?" not in text:
        return text
    words: list[str] = []
    chunk = bytearray()
    for char in text:
        encoded = char.encode()
        if len(chunk) + len(encoded) > _WORD_BYTES:
            words.append(f"=?utf-8?b?{b64encode(chunk).decode()}?=")
            chunk.clear()
        chunk += encoded
    if chunk:
        words.append(f"=?utf-8?b?{b64encode(chunk).decode()}?=")
    return "\r\n ".join(words)


_WORD_BYTES = 39  # 52 base64 characters: an encoded-word of 64, a line within 78


def _address(text: str) -> str:
    """An address as a header may carry it; ValueError for one that cannot be sent."""
    if not _ADDR_SPEC.fullmatch(text):
        raise ValueError(f"địa chỉ không gửi được / not a deliverable address: {len(text)} chars")
    return text


_ADDR_SPEC = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


def _body(text: str) -> bytes:
    """A text part's body in quoted-printable, lines ending in CRLF."""
    body = binascii.b2a_qp(text.replace("\r\n", "\n").encode(), istext=True)
    return body.replace(b"\n", b"\r\n")


class Wire:
    """Claimed messages as they go on the wire: UTF-8 text and HTML parts (quoted-printable, so
    no relay needs 8BITMIME), headers encoded by hand and the sender's header once, and a
    Message-ID fixed by the key. Pure: no I/O."""

    def __init__(self, sender: str) -> None:
        name, address = parseaddr(sender)
        self.envelope_from = _address(address)
        self.from_header = (
            f"From: {_encoded_words(name)} <{address}>\r\n" if name else f"From: {address}\r\n"
        ).encode()

    def build(self, message: Outgoing, now: datetime) -> bytes:
        """The message as bytes; ValueError when its address cannot be sent."""
        recipient = _address(message.recipient)
        boundary = f"=_{message.message_id.strip('<>')[:16]}"  # QP never writes "=_"
        thread = (
            f"In-Reply-To: {message.thread_ref}\r\nReferences: {message.thread_ref}\r\n"
            if message.thread_ref
            else ""
        )
        if any(c in message.message_id + (message.thread_ref or "") for c in "\r\n"):
            raise ValueError("Message-ID có ký tự xuống dòng / a Message-ID with a line break")
        head = (
            f"To: {recipient}\r\n"
            f"Subject: {_encoded_words(message.subject)}\r\n"
            f"Date: {format_datetime(as_vn(now))}\r\n"
            f"Message-ID: {message.message_id}\r\n"
            f"{thread}"
            "Auto-Submitted: auto-generated\r\n"
            "Content-Language: vi\r\n"
            "MIME-Version: 1.0\r\n"
            f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n'
            "\r\n"
        )
        part = (
            '\r\n--{b}\r\nContent-Type: text/{kind}; charset="utf-8"\r\n'
            "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        )
        return b"".join(
            (
                self.from_header,
                head.encode(),
                part.format(b=boundary, kind="plain").encode()[2:],
                _body(message.text),
                part.format(b=boundary, kind="html").encode(),
                _body(message.html),
                f"\r\n--{boundary}--\r\n".encode(),
            )
        )


def _answer(error: aiosmtplib.SMTPResponseException) -> str:
    return f"{error.code} {error.message}"


async def _go_on() -> bool:
    return True


class SmtpSession:
    """One authenticated connection, reused for a batch: ``async with SmtpSession(s) as smtp``."""

    def __init__(self, settings: SmtpSettings, sender: str) -> None:
        self.settings = settings
        self.envelope_from = parseaddr(sender)[1]
        self.mail_from = f"FROM:<{self.envelope_from}>".encode()
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

    async def send(
        self,
        wire: bytes,
        recipient: str,
        before_content: Callable[[], Awaitable[bool]] = _go_on,
    ) -> str | None:
        """Send a message built by ``Wire`` to one recipient; the server's answer on success.

        ``before_content`` is awaited once the relay has accepted the envelope and before the
        content goes: the sender commits the previous message's outcome meanwhile (so that at
        most one message the relay has taken on this connection is ever unrecorded) and checks
        that the message is still its own. When it says no, the envelope is reset and None
        returned: not sent."""
        client = self.client
        content = False  # the content has started to go: the relay may have taken it
        try:
            await self._envelope(recipient)
            if not await before_content():
                await self._reset()
                return None
            content = True
            response = await client.data(wire)
        except aiosmtplib.SMTPSenderRefused as error:
            # the relay refuses *us* (530 auth required, 550 not allowed to send as): every
            # message would fail the same way, so nothing is failed; the batch waits
            await self._reset()
            raise TransientDelivery(
                f"máy chủ thư từ chối người gửi / sender refused: {_answer(error)}",
                connection_lost=True,
            ) from None
        except aiosmtplib.SMTPRecipientRefused as error:
            await self._reset()
            raise self._classify(error.code, _answer(error), lost=False) from None
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as error:
            lost = f"mất kết nối / connection lost: {error}"
            raise TransientDelivery(lost, connection_lost=True, content_sent=content) from None
        except aiosmtplib.SMTPResponseException as error:
            await self._reset()
            raise self._classify(
                error.code, _answer(error), lost=error.code == 421 or not self.client.is_connected
            ) from None
        return response.message

    async def _envelope(self, recipient: str) -> None:
        """MAIL FROM and RCPT TO. Past the first message of a session the addresses go as they
        are (Wire has checked the recipient: a plain ASCII address), the sender's encoded once:
        aiosmtplib's own commands would parse both again for every message."""
        client = self.client
        if client.is_ehlo_or_helo_needed:  # the first: aiosmtplib greets the relay (EHLO)
            await client.mail(self.envelope_from)
            await client.rcpt(recipient)
            return
        answer = await client.execute_command(b"MAIL", self.mail_from)
        if answer.code != 250:
            raise aiosmtplib.SMTPSenderRefused(answer.code, answer.message, self.envelope_from)
        answer = await client.execute_command(b"RCPT", b"TO:<%s>" % recipient.encode())
        if answer.code not in (250, 251):
            raise aiosmtplib.SMTPRecipientRefused(answer.code, answer.message, recipient)

    async def _reset(self) -> None:
        """A new envelope after a refusal (RSET); a relay gone meanwhile is found at the next."""
        with contextlib.suppress(aiosmtplib.SMTPException, OSError):
            if self.client.is_connected:
                await self.client.rset()

    @staticmethod
    def _classify(code: int, answer: str, *, lost: bool) -> TransientDelivery | PermanentDelivery:
        if code in (530, 535):  # authentication: the relay's setting, not this message
            return TransientDelivery(answer, connection_lost=True)
        if 500 <= code < 600:
            return PermanentDelivery(answer)
        return TransientDelivery(answer, connection_lost=lost)
