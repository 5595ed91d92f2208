"""Compose recorded steps into the outbox, then send what is due (``scheduler.deliver``).

Each outcome is counted as it happens (``hanbao_messages_total``), not when the drain ends. A
batch that got somewhere marks the mail loop healthy; one whose messages all went back for retry
(the relay is down) holds that back until a later batch gets through, so ``/healthz`` turns 503
after ``daemon.stall_seconds`` of outage, the runs that find nothing due during the backoff
included.
"""

from __future__ import annotations

import asyncio

from jobs import Context
from scheduler.compose import compose
from scheduler.deliver import Report, deliver
from scheduler.render import Renderer
from scheduler.store.queries import transaction

LABELS = {"retrying": "retry"}  # the outcome label of hanbao_messages_total, where it differs


def _compose(ctx: Context) -> int:
    with transaction(ctx.engine) as store:
        return compose(store, ctx.config, Renderer(ctx.config.mail.domain), ctx.clock.now())


def _batch_done(ctx: Context, batch: Report) -> None:
    if batch.progressed:
        ctx.health.progress("deliver")
    elif batch.stalled:
        ctx.health.hold_back("deliver")


async def run(ctx: Context) -> None:
    await asyncio.to_thread(_compose, ctx)
    await deliver(
        ctx.engine,
        ctx.config,
        ctx.clock.now,
        stopping=ctx.stopping,
        on_batch=lambda batch: _batch_done(ctx, batch),
        on_outcome=lambda outcome: ctx.metrics.messages.labels(LABELS.get(outcome, outcome)).inc(),
    )
