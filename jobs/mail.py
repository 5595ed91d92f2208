"""Compose recorded steps into the outbox, then send what is due (``scheduler.deliver``)."""

from __future__ import annotations

import asyncio

from jobs import Context
from scheduler.compose import compose
from scheduler.deliver import deliver
from scheduler.render import Renderer
from scheduler.store.queries import transaction


def _compose(ctx: Context) -> int:
    with transaction(ctx.engine) as store:
        return compose(store, ctx.config, Renderer(ctx.config.mail.domain), ctx.clock.now())


async def run(ctx: Context) -> None:
    await asyncio.to_thread(_compose, ctx)
    report = await deliver(
        ctx.engine,
        ctx.config,
        ctx.clock.now,
        stopping=ctx.stopping,
        on_batch=lambda batch: ctx.health.ok("deliver"),
    )
    for outcome, n in (
        ("sent", report.sent),
        ("retry", report.retrying),
        ("failed", report.failed),
        ("refused", report.refused),
        ("cancelled", report.cancelled),
    ):
        if n:
            ctx.metrics.messages.labels(outcome).inc(n)
