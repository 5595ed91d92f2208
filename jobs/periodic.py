"""Materialise periodic obligations ahead of their periods: this year's that are still ahead,
and from December on next year's too. Generation is idempotent, so running it every hour costs
only a query."""

from __future__ import annotations

import asyncio

from jobs import Context
from scheduler.lifecycle.ledger import generate_periodic
from scheduler.store.queries import transaction


def _generate(ctx: Context) -> int:
    now = ctx.clock.now()
    years = [now.year, now.year + 1] if now.month == 12 else [now.year]
    created = 0
    for year in years:
        with transaction(ctx.engine) as store:
            created += generate_periodic(
                store, ctx.config, year, now, "daemon", ahead_only=True
            ).created
    return created


async def run(ctx: Context) -> None:
    if await asyncio.to_thread(_generate, ctx):
        ctx.wake("sweep")
