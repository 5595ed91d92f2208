"""The deliver step: claim due messages (checked first: ``scheduler.mail.checks``), send,
record (``scheduler.mail.outcomes``).

``deliver_batch`` is one step (None when nothing was due); ``deliver`` drains the steps. A batch
goes over ``mail.connections`` SMTP connections (one by default, ``scheduler.mail.batch``); every
outcome is committed as soon as it is known, and before the same connection's next message's
content goes, so a crash loses at most the knowledge that the message in flight on each
connection was sent. The batch's lease is renewed as it goes, so a batch slower than its lease
is not claimed and sent again by another daemon; when a batch ends early (SIGTERM, a cancelled
task, an error) what it has not sent goes back to the queue at once. ``run_once`` is the whole
mail job: queue what the sweep recorded and today's digest, then send what is due.

A message can wait in the outbox (the relay is down, the backlog is long) while a report comes
in: the claim withdraws what has gone stale since (``scheduler.mail.checks``). A submission
recorded after the claim, while the mail is in flight, can still meet it.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from scheduler.errors import InvalidInput
from scheduler.hierarchy.units import Unit, refusal
from scheduler.mail import outbox
from scheduler.mail.batch import Batch, Pacer
from scheduler.mail.checks import claim
from scheduler.mail.composing import compose_all
from scheduler.mail.digest import digest
from scheduler.mail.mailer import SmtpSession, Wire
from scheduler.mail.outcomes import Report as Report
from scheduler.mail.render import Renderer
from scheduler.settings import Config
from scheduler.store.connection import Engine
from scheduler.store.queries import transaction

log = logging.getLogger("scheduler.deliver")


async def deliver_batch(
    engine: Engine,
    config: Config,
    clock: Callable[[], datetime],
    renderer: Renderer,
    rng: random.Random | None = None,
    pacer: Pacer | None = None,
    stopping: asyncio.Event | None = None,
    on_outcome: Callable[[str], None] = lambda outcome: None,
    wire: Wire | None = None,
) -> Report | None:
    """Send one batch of due messages over one connection. None when nothing was due.

    The clock is read for the claim and again for each outcome: a long drain must not record
    stale times, nor take a lease that has already run out. The database work runs in a worker
    thread: the event loop stays free for the web side and for signals while SQLite is busy.
    """
    mail = config.mail
    rng = rng or random.Random()
    claimed = await asyncio.to_thread(claim, engine, config, clock, renderer, rng)
    if claimed is None:
        return None
    report = Report(on_outcome=on_outcome)
    report.add(claimed.report, heard=True)
    lease = timedelta(seconds=mail.lease_seconds)
    batch = Batch(engine, config, clock, report, rng, lease, claimed.lease_until)
    batch.waiting.extend(claimed.ready)
    if batch.waiting:
        await batch.send(
            pacer or Pacer(mail.rate_per_minute),
            stopping or asyncio.Event(),
            wire or Wire(mail.sender),
        )
    return report


def queue(
    engine: Engine,
    config: Config,
    renderer: Renderer,
    now: datetime,
    stopping: Callable[[], bool] = lambda: False,
) -> int:
    """Compose what the sweep recorded into the outbox, slice after slice, the most urgent
    first, until none is left or ``stopping()`` (``scheduler.mail.composing``); how many
    messages were queued. Run in a worker thread, before each claim."""
    return compose_all(engine, config, renderer, now, stopping=stopping)


async def deliver(
    engine: Engine,
    config: Config,
    clock: Callable[[], datetime],
    rng: random.Random | None = None,
    stopping: asyncio.Event | None = None,
    on_batch: Callable[[Report], None] = lambda batch: None,
    on_outcome: Callable[[str], None] = lambda outcome: None,
    prepare: Callable[[], Awaitable[object]] | None = None,
) -> Report:
    """Send everything due, batch after batch, one connection per batch; ``prepare`` before each
    claim (the mail job composes what the sweep recorded since, so a new urgent notice goes out
    in the next batch, not after the backlog); ``on_batch`` after each (the daemon marks itself
    healthy when a batch got somewhere: a long backlog is progress, not a stall; a relay that
    takes nothing is a stall), ``on_outcome`` at each message."""
    total = Report()
    stopping = stopping or asyncio.Event()
    pacer = Pacer(config.mail.rate_per_minute)
    renderer = Renderer(config.mail.domain)
    wire = Wire(config.mail.sender)
    while not stopping.is_set():
        if prepare is not None:
            await prepare()
        batch = await deliver_batch(
            engine, config, clock, renderer, rng, pacer, stopping, on_outcome, wire
        )
        if batch is None:
            break
        total.add(batch)
        on_batch(batch)
    return total


async def run_once(
    engine: Engine,
    config: Config,
    clock: Callable[[], datetime],
    rng: random.Random | None = None,
) -> tuple[int, Report]:
    """Queue recorded reminders and today's digest, then send, composing between batches;
    (messages queued, report)."""
    renderer = Renderer(config.mail.domain)
    now = clock()
    queued = compose_all(engine, config, renderer, now)
    with transaction(engine) as store:
        queued += digest(store, config, renderer, now)

    async def more() -> None:
        nonlocal queued
        queued += await asyncio.to_thread(queue, engine, config, renderer, clock())

    return queued, await deliver(engine, config, clock, rng, prepare=more)


async def send_test(config: Config, recipient: str, concerned: list[Unit], now: datetime) -> str:
    """Send one test mail straight through the relay; the server's answer. Raises on failure."""
    reason = refusal(recipient, concerned, config.allowed_domains)
    if reason is not None:
        raise InvalidInput(reason)
    draft = Renderer(config.mail.domain).test(recipient, now, f"test:{recipient}:{now.isoformat()}")
    message = outbox.direct(draft, config.mail.domain, tuple(u.code for u in concerned))
    async with SmtpSession(config.smtp, config.mail.sender) as smtp:
        answer = await smtp.send(Wire(config.mail.sender).build(message, now), recipient)
    assert answer is not None  # nothing withdraws a test mail
    return answer
