"""Queue the district's daily digest once it is due today (``scheduler.mail.digest``). A run that
finds what the digest is made of as the last run left it (the same day, the same mark of
reminders, audit and report mail) does nothing more: after the wave, an idle daemon does not
rebuild and re-render every district's digest every few minutes."""

from __future__ import annotations

import asyncio
import logging

from jobs import Context
from scheduler.mail.digest import digest, due
from scheduler.mail.render import Renderer
from scheduler.store.queries import transaction

log = logging.getLogger(__name__)


def _digest(ctx: Context) -> int:
    now = ctx.clock.now()
    with transaction(ctx.engine) as store:
        mark = (now.date(), due(ctx.config, now), *store.digest_inputs())
        if ctx.seen.get("digest") == mark:
            return 0
        queued = digest(store, ctx.config, Renderer(ctx.config.mail.domain), now)
    ctx.seen["digest"] = mark
    return queued


async def run(ctx: Context) -> None:
    queued = await asyncio.to_thread(_digest, ctx)
    if queued:
        log.info("action=digest_queued messages=%s", queued)
