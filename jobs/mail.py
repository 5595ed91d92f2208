"""Compose recorded steps into the outbox and send what is due (``scheduler.mail.deliver``), in
turns: what the sweep recorded since is composed (the most urgent reminders first, slice after
slice: ``scheduler.mail.composing``) before each batch is claimed (the most urgent messages
first), so a case opened during the 1-July wave has its notice sent in the next batch, not
after the backlog.

Each outcome is counted as it happens (``hanbao_messages_total``), not when the drain ends. A
batch that got somewhere marks the mail loop healthy; one whose messages all went back for retry
(the relay is down) holds that back until a later batch gets through, so ``/healthz`` turns 503
after ``daemon.stall_seconds`` of outage, the runs that find nothing due during the backoff
included.
"""

from __future__ import annotations

import asyncio

from jobs import Context
from scheduler.mail.deliver import Report, deliver, queue
from scheduler.mail.render import Renderer

LABELS = {"retrying": "retry"}  # the outcome label of hanbao_messages_total, where it differs


def _batch_done(ctx: Context, batch: Report) -> None:
    if batch.progressed:
        ctx.health.progress("deliver")
    elif batch.stalled:
        ctx.health.hold_back("deliver")


async def run(ctx: Context) -> None:
    renderer = Renderer(ctx.config.mail.domain)

    async def compose() -> int:
        now, stopping = ctx.clock.now(), ctx.stopping.is_set  # a wave's slices stop with us
        return await asyncio.to_thread(queue, ctx.engine, ctx.config, renderer, now, stopping)

    await deliver(
        ctx.engine,
        ctx.config,
        ctx.clock.now,
        stopping=ctx.stopping,
        on_batch=lambda batch: _batch_done(ctx, batch),
        on_outcome=lambda outcome: ctx.metrics.messages.labels(LABELS.get(outcome, outcome)).inc(),
        prepare=compose,
    )
