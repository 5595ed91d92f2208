"""What became of the messages of a batch: the outcomes counted (``Report``) and recorded.

An outcome is ``sent``, ``retry`` (back to the queue, due again after its backoff) or an end:
``failed``, ``refused``, ``cancelled``. Ends are audited; sent and retried messages, the common
case, are recorded with one prepared statement per kind of change, in a worker thread, without
an ORM session. A message no longer ours (its lease ran out, another sender took it) is left as
that sender has it. While a batch goes, its outcomes go through one ``Recorder``: each is
committed as soon as it can be, and those that come while the last are being committed (from
the batch's other connections) are committed together, in one transaction.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scheduler.mail import outbox
from scheduler.mail.outbox import Outgoing
from scheduler.settings import Config
from scheduler.store.connection import Engine
from scheduler.store.outcomes import Writer
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


Settled = tuple[Outgoing, str, str, "datetime | None"]  # message, outcome, error, retry at


def _changes(now: datetime, outcomes: list[Settled]) -> list[tuple[Outgoing, dict[str, Any]]]:
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


def settle(store: Store, now: datetime, outcomes: list[Settled]) -> None:
    """Record outcomes (``sent``, ``retry``, or an end: failed, refused, cancelled) together; an
    end is audited. A message no longer ours (its lease ran out, another sender took it) is
    left as that sender has it."""
    for message, outcome, error, _ in outcomes:
        if outcome not in ("sent", "retry"):
            audit(store, now, outcome, message.id, message.recipient, error)
    store.finish_claimed(_changes(now, outcomes))


def audit(
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


def record(writer: Writer, clock: Callable[[], datetime], outcomes: list[Settled]) -> None:
    """``settle`` at the clock's time (run in a worker thread). Sent and retried messages, the
    common case, need no audit and no ORM session: ``writer`` records them."""
    now = clock()
    if all(outcome in ("sent", "retry") for _, outcome, _, _ in outcomes):
        writer.record(_changes(now, outcomes))
        return
    with transaction(writer.engine) as store:
        settle(store, now, outcomes)


class Recorder:
    """Outcomes recorded in a worker thread as they come, in the order they come: each in a
    transaction of its own, or several together when they come while the last are being
    committed (a group commit). The future ``add`` returns is the outcome's, recorded; a
    cancelled batch does not stop it."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.writer = Writer(engine)
        self.clock = clock
        self.queued: list[tuple[list[Settled], asyncio.Future[None]]] = []
        self.running: asyncio.Future[None] | None = None

    def add(self, outcomes: list[Settled]) -> asyncio.Future[None]:
        """Record ``outcomes`` with what else comes meanwhile; the future of it."""
        recorded = asyncio.get_running_loop().create_future()
        self.queued.append((outcomes, recorded))
        if self.running is None:
            self.running = asyncio.ensure_future(self._commit())
        return recorded

    async def idle(self) -> None:
        """Wait until everything added is recorded, or has failed (told to its futures)."""
        while self.running is not None:
            await asyncio.shield(self.running)

    async def close(self) -> None:
        """Once everything added is recorded, give the writer's connection back."""
        await self.idle()
        await asyncio.to_thread(self.writer.close)

    async def _commit(self) -> None:
        group: list[tuple[list[Settled], asyncio.Future[None]]] = []
        try:
            while self.queued:
                group, self.queued = self.queued, []
                try:
                    outcomes = [outcome for some, _ in group for outcome in some]
                    await asyncio.to_thread(record, self.writer, self.clock, outcomes)
                except Exception as error:
                    for _, recorded in group:
                        recorded.set_exception(error)
                else:
                    for _, recorded in group:
                        recorded.set_result(None)
        finally:  # cancelled only when the loop shuts down: what is left will not be recorded
            for _, recorded in [*group, *self.queued]:
                if not recorded.done():
                    recorded.cancel()
            self.queued, self.running = [], None


def postponed(
    messages: list[Outgoing], error: str, config: Config, rng: random.Random, now: datetime
) -> list[Settled]:
    """Messages back to the queue, each due again after its backoff."""
    mail = config.mail
    settled: list[Settled] = []
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
        settled.append((message, "retry", error, retry_at))
    return settled
