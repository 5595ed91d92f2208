"""The deliver step: claim due messages (checked first: ``scheduler.mail.checks``), send,
record (``scheduler.mail.outcomes``).

``deliver_batch`` is one step (None when nothing was due); ``deliver`` drains the steps. One SMTP
connection serves a batch; every outcome is committed as soon as it is known, so a crash loses
at most the knowledge that the message in flight was sent. The batch's lease is renewed as it
goes, so a batch slower than its lease is not claimed and sent again by another daemon; when a
batch ends early (SIGTERM, a cancelled task, an error) what it has not sent goes back to the
queue at once. ``run_once`` is the whole mail job:
queue what the sweep recorded and today's digest, then send what is due.

A message can wait in the outbox (the relay is down, the backlog is long) while a report comes
in: the claim withdraws what has gone stale since (``scheduler.mail.checks``). A submission
recorded after the claim, while the mail is in flight, can still meet it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from scheduler.errors import InvalidInput, PermanentDelivery, TransientDelivery
from scheduler.hierarchy.units import Unit, refusal
from scheduler.mail import outbox
from scheduler.mail.checks import claim
from scheduler.mail.compose import compose
from scheduler.mail.digest import digest
from scheduler.mail.mailer import SmtpSession, Wire
from scheduler.mail.outbox import Outgoing
from scheduler.mail.outcomes import Report as Report
from scheduler.mail.outcomes import Settled, postponed, record
from scheduler.mail.render import Renderer
from scheduler.settings import Config
from scheduler.store.connection import Engine
from scheduler.store.queries import transaction

log = logging.getLogger("scheduler.deliver")


class Pacer:
    """At most ``per_minute`` messages a minute: official relays throttle."""

    def __init__(self, per_minute: int) -> None:
        self.interval = 60.0 / per_minute
        self.next_slot = 0.0

    async def wait(self, stopping: asyncio.Event) -> bool:
        """Wait for the next slot; False, at once, when ``stopping`` is set first."""
        loop = asyncio.get_running_loop()
        delay = self.next_slot - loop.time()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), delay)
        if stopping.is_set():
            return False
        self.next_slot = max(self.next_slot, loop.time()) + self.interval
        return True


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
    batch = _Batch(engine, config, clock, report, rng, lease, claimed.lease_until)
    batch.waiting.extend(claimed.ready)
    if batch.waiting:
        await batch.send(
            pacer or Pacer(mail.rate_per_minute),
            stopping or asyncio.Event(),
            wire or Wire(mail.sender),
        )
    return report


@dataclass
class _Batch:
    """The claimed messages of one batch that are still to be sent (``waiting``), and their
    lease, renewed as the batch goes."""

    engine: Engine
    config: Config
    clock: Callable[[], datetime]
    report: Report
    rng: random.Random
    lease: timedelta
    lease_until: datetime
    waiting: deque[Outgoing] = field(default_factory=deque)
    recording: asyncio.Future[None] | None = None  # the last message sent, being recorded

    async def send(self, pacer: Pacer, stopping: asyncio.Event, wire: Wire) -> None:
        """Send what waits over one connection. A message's outcome is committed while the next
        one's envelope goes out, and before its content does: a crash leaves at most the one
        message in flight unknown (sent again, with its Message-ID, once its lease has run out).
        Whatever ends the batch early (shutting down, the task cancelled, an error), the
        messages not yet sent go back to the queue at once; only the one in flight, if any,
        stays claimed until its lease runs out."""
        try:
            async with SmtpSession(self.config.smtp, self.config.mail.sender) as smtp:
                while self.waiting and await pacer.wait(stopping):
                    message = self.waiting.popleft()
                    try:
                        data = wire.build(message, self.clock())
                    except ValueError as error:  # an address or header the wire cannot carry
                        log.error("action=deliver_failed message=%s error=%s", message.id, error)
                        await self._ended(message, "failed", f"thư không hợp lệ: {error}")
                        continue
                    try:
                        answer = await smtp.send(
                            data, message.recipient, partial(self._holds, message)
                        )
                    except PermanentDelivery as error:
                        log.error(
                            "action=deliver_failed message=%s answer=%s", message.id, error.answer
                        )
                        await self._ended(message, "failed", error.answer)
                        self.report.errors.append(error.answer)
                    except TransientDelivery as error:
                        if error.connection_lost:
                            self.waiting.appendleft(message)
                            raise
                        await self.postpone([message], error.answer)
                    else:
                        if answer is not None:  # recorded while the next envelope goes out
                            self.recording = self._record([(message, "sent", "", None)])
                            self.recording.add_done_callback(self._heard_sent)
                await self._recorded()
        except TransientDelivery as error:  # no connection, or it was lost: the rest waits
            lost = list(self.waiting)
            self.waiting.clear()
            await self.postpone(lost, error.answer)
        finally:
            await self._recorded()
            if self.waiting:  # back at once; shielded: a second cancellation cannot stop it
                rest: list[Settled] = [
                    (m, "retry", "chưa gửi / not sent", self.clock()) for m in self.waiting
                ]
                self.waiting.clear()
                await asyncio.shield(self._record(rest))

    def _record(self, outcomes: list[Settled]) -> asyncio.Future[None]:
        """Record outcomes in a worker thread; the future of it, which a cancellation of the
        batch does not stop."""
        return asyncio.ensure_future(asyncio.to_thread(record, self.engine, self.clock, outcomes))

    async def _recorded(self) -> None:
        """Wait until the last message sent is recorded as sent."""
        if self.recording is not None:
            await asyncio.shield(self.recording)
            self.recording = None

    def _heard_sent(self, recorded: asyncio.Future[None]) -> None:
        if not recorded.cancelled() and recorded.exception() is None:
            self.report.count("sent")

    async def _ended(self, message: Outgoing, outcome: str, error: str) -> None:
        await self._recorded()
        await self._record([(message, outcome, error, None)])
        self.report.count(outcome)

    async def _holds(self, message: Outgoing) -> bool:
        """Once the last message sent is recorded: is ``message`` still ours to send? The lease
        of it and of what waits is renewed once half of it has gone, and what is no longer ours
        (its lease ran out and another sender claimed it) is dropped: never send one twice."""
        await self._recorded()
        now = self.clock()
        if now < self.lease_until - self.lease / 2:
            return True
        until = now + self.lease
        ours = await asyncio.to_thread(_renew, self.engine, [message, *self.waiting], until)
        self.lease_until = until
        for lost in [m for m in (message, *self.waiting) if m.id not in ours]:
            log.warning("action=deliver_lease_lost message=%s", lost.id)
            if lost is not message:
                self.waiting.remove(lost)
        return message.id in ours

    async def postpone(self, messages: list[Outgoing], error: str) -> None:
        """Back to the queue with backoff, in one transaction, because the relay failed."""
        await self._recorded()
        if messages:
            await self._record(postponed(messages, error, self.config, self.rng, self.clock()))
            for _ in messages:
                self.report.count("retrying")
        self.report.errors.append(error)
        self.report.relay_failed = True


def _renew(engine: Engine, messages: list[Outgoing], until: datetime) -> set[int]:
    with transaction(engine) as store:
        return outbox.renew(store, messages, until)


def queue(engine: Engine, config: Config, renderer: Renderer, now: datetime) -> int:
    """Compose the next slice of what the sweep recorded into the outbox, the most urgent first;
    how many messages were queued. Run in a worker thread, before each claim."""
    with transaction(engine) as store:
        return compose(store, config, renderer, now)


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
    with transaction(engine) as store:
        queued = compose(store, config, renderer, now) + digest(store, config, renderer, now)

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
