"""Notice work that another process recorded: a case opened with ``hanbao case open``, or
through another replica's API. When a new obligation appears, the sweep runs now instead of at
its next tick, so a new case's urgent notice leaves in seconds. One index lookup every
``daemon.changes_seconds`` (1 s): the same on SQLite and PostgreSQL, and across replicas."""

from __future__ import annotations

import asyncio

from jobs import Context
from scheduler.store.connection import Engine
from scheduler.store.queries import transaction


def _newest(engine: Engine) -> int:
    with transaction(engine) as store:
        return store.newest_obligation_id()


async def run(ctx: Context) -> None:
    newest = await asyncio.to_thread(_newest, ctx.engine)
    seen = ctx.seen.get("changes")
    ctx.seen["changes"] = newest
    if seen is not None and newest != seen:
        ctx.wake("sweep")
