"""The SMTP intake: a listener the district's mail server forwards or copies report mail to.

It accepts mail only for ``intake.addresses`` (550 for any other recipient), refuses a message
over ``intake.smtp.max_message_bytes`` (552, aiosmtpd's limit), and answers 250 only once the mail
is matched and recorded in the database: when the database cannot be reached it answers 451 and
the sending server tries again later, so no report mail is lost. The matching and the database
work run in a worker thread, mails that arrive together in one transaction
(``scheduler.intake.writer``): the event loop stays free for the daemon's other work. Bodies are
never stored, logged or re-sent (``scheduler.intake.record`` reads the header block only).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Callable
from typing import Any

from aiosmtpd.smtp import SMTP

from scheduler.clock import Clock
from scheduler.intake.record import Taken
from scheduler.intake.settings import IntakeSettings
from scheduler.intake.writer import GroupWriter
from scheduler.settings import Config
from scheduler.store.connection import DBAPIError, Engine

log = logging.getLogger(__name__)
# aiosmtpd logs every envelope address at INFO and every DATA line at DEBUG: never ours to keep
logging.getLogger("mail.log").setLevel(logging.WARNING)


class IntakeHandler:
    """aiosmtpd's handler: RCPT is checked against the intake addresses, DATA is recorded."""

    def __init__(
        self,
        engine: Engine,
        config: Config,
        clock: Clock,
        on_taken: Callable[[Taken], None] = lambda taken: None,
    ) -> None:
        self.writer = GroupWriter(engine, config, clock, "smtp")
        self.on_taken = on_taken
        self.accepted = {address.lower() for address in config.intake.addresses}

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if address.lower() not in self.accepted:
            return "550 5.1.1 Khong nhan thu cho dia chi nay / not an intake mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        try:
            taken = await self.writer.take(bytes(raw))
        except DBAPIError as exc:
            log.warning("action=intake_deferred source=smtp error=%s", type(exc.orig).__name__)
            return "451 4.3.0 Tam thoi khong ghi duoc, xin gui lai sau / try again later"
        except Exception:
            log.exception("action=intake_failed source=smtp")
            return "451 4.3.0 Tam thoi khong ghi duoc, xin gui lai sau / try again later"
        self.on_taken(taken)
        return "250 2.0.0 Da nhan / received"


def tls_context(settings: IntakeSettings) -> ssl.SSLContext | None:
    """The server context for STARTTLS, when a certificate is configured."""
    smtp = settings.smtp
    if smtp.tls_certfile is None or smtp.tls_keyfile is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(smtp.tls_certfile), str(smtp.tls_keyfile))
    return context


async def serve(handler: IntakeHandler, settings: IntakeSettings) -> asyncio.Server:
    """Listen on ``intake.smtp.host:port`` on the running loop; close the result to stop.

    With a certificate, clients must STARTTLS before anything else; without one the settings
    allow loopback only."""
    context = tls_context(settings)
    smtp = settings.smtp
    loop = asyncio.get_running_loop()
    return await loop.create_server(
        lambda: SMTP(
            handler,
            data_size_limit=smtp.max_message_bytes,
            enable_SMTPUTF8=True,
            hostname="hanbao-intake",
            ident="hanbao intake",
            tls_context=context,
            require_starttls=context is not None,
            timeout=60,
        ),
        host=smtp.host,
        port=smtp.port,
    )
