"""Queue the district's daily digest once it is due today (``scheduler.digest``)."""

from __future__ import annotations

import asyncio
import logging

from jobs import Context
from scheduler.digest import digest
from scheduler.render import Renderer
from scheduler.store.queries import transaction

log = logging.getLogger(__name__)


def _digest(ctx: Context) -> int:
    with transaction(ctx.engine) as store:
        return digest(store, ctx.config, Renderer(ctx.config.mail.domain), ctx.clock.now())


async def run(ctx: Context) -> None:
    queued = await asyncio.to_thread(_digest, ctx)
    if queued:
        log.info("action=digest_queued messages=%s", queued)
