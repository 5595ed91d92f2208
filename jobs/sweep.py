"""Record the ladder steps that are due now (``scheduler.lifecycle.sweep``)."""

from __future__ import annotations

import asyncio

from jobs import Context
from scheduler.lifecycle.sweep import sweep


async def run(ctx: Context) -> None:
    emitted = await asyncio.to_thread(sweep, ctx.engine, ctx.config, ctx.clock.now())
    if emitted:
        ctx.wake("deliver")  # the mail goes out now, not at the next tick of the mail job
    for item in emitted:
        ctx.metrics.steps.labels(item.obligation.kind, item.step).inc()
        if item.late_flag:
            ctx.metrics.late_flags.labels(item.obligation.kind).inc()
