"""Keep the database healthy for years (``scheduler.store.upkeep``). Nothing is ever deleted.

A SQLite file that stays busy past its busy timeout is tried again soon, within this run, not
at the next one a day later.
"""

from __future__ import annotations

import asyncio
import logging

from jobs import Context
from scheduler.errors import DatabaseBusy
from scheduler.store.upkeep import tidy

log = logging.getLogger(__name__)
RETRY_SECONDS = (1.0, 5.0, 30.0, 120.0, 600.0)  # then the run fails, and the daily one tries


async def run(ctx: Context) -> None:
    for attempt, delay in enumerate((*RETRY_SECONDS, None), start=1):
        try:
            await asyncio.to_thread(tidy, ctx.engine)
            return
        except DatabaseBusy:
            if delay is None:
                raise
            log.warning("action=housekeeping_busy attempt=%s retry_in=%s", attempt, delay)
        try:
            await asyncio.wait_for(ctx.stopping.wait(), delay)
            return  # stopping: the next start tries again
        except TimeoutError:
            pass
