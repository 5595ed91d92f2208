"""The deliver step: claim due messages, check what they say still holds, check each against
the guard, send, record.

``deliver_batch`` is one step (None when nothing was due); ``deliver`` drains the steps. One SMTP
connection serves a batch; every outcome is committed as soon as it is known, so a crash loses
at most the knowledge that the message in flight was sent. The batch's lease is renewed as it
goes, so a batch slower than its lease is not claimed and sent again by another daemon; when a
batch ends early (SIGTERM, a cancelled task, an error) what it has not sent goes back to the
queue at once. ``run_once`` is the whole mail job:
queue what the sweep recorded and today's digest, then send what is due.

A message can wait in the outbox (the relay is down, the backlog is long) while a report comes
in. So, in the claim's own transaction, a reminder whose obligation has been submitted since it
was composed is withdrawn: a message left with nothing is ``cancelled``, a bundle goes out
re-composed without it, and a digest says when the late report came in. A submission recorded
after the claim, while the mail is in flight, can still meet it.
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
from typing import Any

from sqlalchemy import Engine

from scheduler.errors import InvalidInput, PermanentDelivery, TransientDelivery
from scheduler.hierarchy.units import Unit, refusal
from scheduler.mail import outbox
from scheduler.mail.compose import Withdrawal, compose, withdrawals
from scheduler.mail.digest import digest, refreshed
from scheduler.mail.mailer import SmtpSession, Wire
from scheduler.mail.outbox import Outgoing
from scheduler.mail.render import Renderer
from scheduler.mail.settings import MailSettings
from scheduler.settings import Config
from scheduler.store.queries import Store, transaction

log = logging.getLogger("scheduler.deliver")


OUTCOMES = ("sent", "retrying", "failed", "refused", "cancelled")


@dataclass
class Report:
    """What became of the messages of a batch (or of several). ``on_outcome`` hears each outcome
    as it happens, so the metrics follow a long drain or an outage as it goes."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    refused: int = 0
    cancelled: int = 0
    errors: list[str] = field(default_factory=list)
    relay_failed: bool = False  # a message went back for retry because of the relay
    on_outcome: Callable[[str], None] = field(default=lambda outcome: None, repr=False)

    def count(self, outcome: str) -> None:
        """One more message with ``outcome``, one of ``OUTCOMES``."""
        setattr(self, outcome, getattr(self, outcome) + 1)
        self.on_outcome(outcome)

    @property
    def progressed(self) -> bool:
        """Did a message reach an end (sent, failed, refused, cancelled)?"""
        return bool(self.sent or self.failed or self.refused or self.cancelled)

    @property
    def stalled(self) -> bool:
        """The relay took nothing: every message went back for retry (it is down, or refuses
        everything for now). No sign of a healthy mail loop."""
        return self.relay_failed and not self.progressed

    def add(self, other: Report, *, heard: bool = False) -> None:
        """Add ``other``'s outcomes; ``heard``: tell ``on_outcome`` of each."""
        for outcome in OUTCOMES:
            setattr(self, outcome, getattr(self, outcome) + getattr(other, outcome))
            for _ in range(getattr(other, outcome) if heard else 0):
                self.on_outcome(outcome)
        self.errors.extend(other.errors)
        self.relay_failed |= other.relay_failed


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


_Settled = tuple[Outgoing, str, str, "datetime | None"]  # message, outcome, error, retry at


def _changes(now: datetime, outcomes: list[_Settled]) -> list[tuple[Outgoing, dict[str, Any]]]:
    changes = []
    for message, outcome, error, retry_at in outcomes:
        if outcome == "sent":
            changes.append((message, outbox.sent(now)))
        elif outcome == "retry":
            assert retry_at is not None
            changes.append((message, outbox.pending_again(retry_at, error)))
        else:
            changes.append((message, outbox.ended(now, error, outcome)))
    return changes


def _settle(store: Store, now: datetime, outcomes: list[_Settled]) -> None:
    """Record outcomes (``sent``, ``retry``, or an end: failed, refused, cancelled) together; an
    end is audited. A message no longer ours (its lease ran out, another sender took it) is
    left as that sender has it."""
    for message, outcome, error, _ in outcomes:
        if outcome not in ("sent", "retry"):
            _audit(store, now, outcome, message.id, message.recipient, error)
    outbox.finish(store.session.connection(), _changes(now, outcomes))


def _audit(
    store: Store, now: datetime, outcome: str, message: int, recipient: str, error: str, **more: Any
) -> None:
    store.audit(
        now,
        "deliver",
        f"message_{outcome}",
        message=message,
        recipient=recipient,
        error=error,
        **more,
    )


def _record(engine: Engine, clock: Callable[[], datetime], outcomes: list[_Settled]) -> None:
    """``_settle`` in a transaction of its own, at the clock's time (run in a worker thread).
    Sent and retried messages, the common case, need no audit and no ORM session."""
    now = clock()
    if all(outcome in ("sent", "retry") for _, outcome, _, _ in outcomes):
        with engine.begin() as connection:
            outbox.finish(connection, _changes(now, outcomes))
        return
    with transaction(engine) as store:
        _settle(store, now, outcomes)


def _postponed(
    messages: list[Outgoing], error: str, config: Config, rng: random.Random, now: datetime
) -> list[_Settled]:
    """Messages back to the queue, each due again after its backoff."""
    mail = config.mail
    postponed: list[_Settled] = []
    for message in messages:
        retry_at = now + outbox.backoff(
            message.attempts, mail.retry_base_seconds, mail.retry_cap_seconds, rng
        )
        log.warning(
            "action=deliver_retry message=%s attempt=%s retry_at=%s error=%s",
            message.id,
            message.attempts,
            retry_at.isoformat(),
            error,
        )
        postponed.append((message, "retry", error, retry_at))
    return postponed


def _recheck(
    store: Store,
    config: Config,
    renderer: Renderer,
    claimed: list[Outgoing],
    now: datetime,
    report: Report,
) -> tuple[list[Outgoing], list[Outgoing]]:
    """The claimed messages checked against what has been submitted since they were composed:
    (those to send, as they must read now; those that must wait, because what is left of them
    cannot be re-composed while a kind or unit they name is unknown)."""
    found = withdrawals(store, config, renderer, claimed)
    ready: list[Outgoing] = []
    waiting: list[Outgoing] = []
    for message in claimed:
        change = found.get(message.id)
        if change is None:
            ready.append(_refreshed(store, config, renderer, message))
        elif change.waiting:
            waiting.append(message)
        else:
            report.count("cancelled")
            if (rest := _withdraw(store, config, message, change, now)) is not None:
                ready.append(rest)
    return ready, waiting


def _refreshed(store: Store, config: Config, renderer: Renderer, message: Outgoing) -> Outgoing:
    """A digest that lists a report submitted since says so; any other message stays as it is."""
    fresh = refreshed(store, config, renderer, message) if message.template == "digest" else None
    if fresh is None:
        return message
    log.info("action=deliver_refreshed message=%s", message.id)
    return outbox.rewrite(store, message, fresh)


def _withdraw(
    store: Store, config: Config, message: Outgoing, change: Withdrawal, now: datetime
) -> Outgoing | None:
    """Cancel a message whose reminders have all gone stale (None: nothing left to send), or
    split off those that have and return the message re-composed."""
    obligations = ",".join(map(str, change.obligations))
    if change.kept is None or change.withdrawn is None:
        log.info("action=deliver_cancelled message=%s obligations=%s", message.id, obligations)
        _settle(store, now, [(message, "cancelled", change.reason, None)])
        return None
    rewritten, cancelled = outbox.split(
        store,
        message,
        change.kept,
        change.withdrawn,
        domain=config.mail.domain,
        now=now,
        reason=change.reason,
    )
    log.info(
        "action=deliver_recomposed message=%s cancelled=%s obligations=%s",
        message.id,
        cancelled,
        obligations,
    )
    _audit(
        store, now, "cancelled", cancelled, message.recipient, change.reason, split_from=message.id
    )
    return rewritten


BATCH_SECONDS = 5


def claim_size(mail: MailSettings) -> int:
    """How many messages one claim takes: ``mail.batch_size``, but never more than
    ``BATCH_SECONDS`` of sending at the relay's rate, so that a new urgent notice waits at most
    that long behind the batch in flight, however long the backlog."""
    return max(1, min(mail.batch_size, mail.rate_per_minute * BATCH_SECONDS // 60))


@dataclass(frozen=True)
class _Claimed:
    ready: list[Outgoing]
    lease_until: datetime
    report: Report  # what became of the others at once (cancelled, refused, waiting)


def _claim(
    engine: Engine,
    config: Config,
    clock: Callable[[], datetime],
    renderer: Renderer,
    rng: random.Random,
) -> _Claimed | None:
    """Claim a batch, check what it says still holds and whom it may reach, and record at once,
    in the claim's transaction, what will not be sent now. Runs in a worker thread."""
    mail = config.mail
    lease = timedelta(seconds=mail.lease_seconds)
    report = Report()
    with transaction(engine) as store:
        now = clock()
        claimed = outbox.claim(store, now, claim_size(mail), lease)
        if not claimed:
            return None
        current, stuck = _recheck(store, config, renderer, claimed, now, report)
        units = store.units({code for message in current for code in message.concerned})
        ready: list[Outgoing] = []
        settled: list[_Settled] = []
        for message in current:
            reason = refusal(
                message.recipient,
                [units[c] for c in message.concerned if c in units],
                config.allowed_domains,
            )
            if reason is None:
                ready.append(message)
                continue
            log.error("action=deliver_refused message=%s reason=%s", message.id, reason)
            settled.append((message, "refused", reason, None))
            report.count("refused")
        if stuck:
            error = "không soạn lại được thư / cannot re-compose: a kind or unit is unknown"
            settled.extend(_postponed(stuck, error, config, rng, now))
            report.retrying += len(stuck)
            report.errors.append(error)
        _settle(store, now, settled)
    return _Claimed(ready, now + lease, report)


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
    claimed = await asyncio.to_thread(_claim, engine, config, clock, renderer, rng)
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
                rest: list[_Settled] = [
                    (m, "retry", "chưa gửi / not sent", self.clock()) for m in self.waiting
                ]
                self.waiting.clear()
                await asyncio.shield(self._record(rest))

    def _record(self, outcomes: list[_Settled]) -> asyncio.Future[None]:
        """Record outcomes in a worker thread; the future of it, which a cancellation of the
        batch does not stop."""
        return asyncio.ensure_future(asyncio.to_thread(_record, self.engine, self.clock, outcomes))

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
            postponed = _postponed(messages, error, self.config, self.rng, self.clock())
            await self._record(postponed)
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
    message = Outgoing.direct(draft, config.mail.domain, tuple(u.code for u in concerned))
    async with SmtpSession(config.smtp, config.mail.sender) as smtp:
        answer = await smtp.send(Wire(config.mail.sender).build(message, now), recipient)
    assert answer is not None  # nothing withdraws a test mail
    return answer
