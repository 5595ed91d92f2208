"""Read the report mail that is new in the watched mailbox (``scheduler.intake.imap``).

The IMAP conversation and the database work run in a worker thread. A mailbox that cannot be
read is one log line per poll, a warning when it will likely pass (the network) and an error
when an operator must act (password, certificate, folder); the next poll tries again.
"""

from __future__ import annotations

import asyncio
import logging

from jobs import Context, Failed
from scheduler.errors import MailboxError, TransientMailbox
from scheduler.intake.imap import poll

log = logging.getLogger(__name__)


async def run(ctx: Context) -> None:
    settings = ctx.config.intake.imap
    try:
        await asyncio.to_thread(
            poll,
            ctx.engine,
            ctx.config,
            ctx.clock.now(),
            stopping=ctx.stopping.is_set,
            on_taken=lambda taken: ctx.metrics.intake.labels("imap", taken.outcome).inc(),
        )
    except MailboxError as error:
        log.log(
            logging.WARNING if isinstance(error, TransientMailbox) else logging.ERROR,
            "action=intake_imap_failed reason=%s host=%s port=%s folder=%s error=%s",
            error.reason,
            settings.host,
            settings.effective_port,
            settings.folder,
            str(error),
        )
        raise Failed from None
