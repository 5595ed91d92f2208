"""Sending one claimed batch: over ``mail.connections`` SMTP connections at once (one by
default), paced to the relay's rate, each message's outcome recorded as soon as it is known.

A connection does not send a message's content before its previous message's outcome is
committed, so a crash leaves at most one message per connection sent but not known to be (sent
again, with its Message-ID, once its lease has run out): with the default single connection,
at most the one message in flight. Outcomes that come together from several connections are
committed together (``scheduler.mail.outcomes.Recorder``). The batch's lease is renewed as it
goes, and a message that is no longer ours (its lease ran out and another sender claimed it) is
dropped: never sent twice while a lease is ours. Whatever ends the batch early (shutting down,
the task cancelled, an error), the messages not yet sent go back to the queue at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from scheduler.errors import PermanentDelivery, TransientDelivery
from scheduler.mail import outbox
from scheduler.mail.mailer import SmtpSession, Wire
from scheduler.mail.outbox import Outgoing
from scheduler.mail.outcomes import Recorder, Report, Settled, postponed
from scheduler.settings import Config
from scheduler.store.connection import Engine
from scheduler.store.queries import transaction

log = logging.getLogger("scheduler.deliver")


class Pacer:
    """At most ``per_minute`` messages a minute: official relays throttle. A message may go up
    to ``SLACK`` seconds before its slot: at a rate of thousands a minute, waiting out each
    fraction of a millisecond would cost more than the message itself."""

    SLACK = 0.001

    def __init__(self, per_minute: int) -> None:
        self.interval = 60.0 / per_minute
        self.next_slot = 0.0

    async def wait(self, stopping: asyncio.Event) -> bool:
        """Wait for the next slot; False, at once, when ``stopping`` is set first. The slot is
        taken before the wait: connections waiting together each get a slot of their own."""
        loop = asyncio.get_running_loop()
        slot = max(self.next_slot, loop.time())
        self.next_slot = slot + self.interval
        delay = slot - loop.time()
        if delay > self.SLACK:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), delay)
        return not stopping.is_set()


@dataclass
class Batch:
    """The claimed messages of one batch that are still to be sent (``waiting``), those a
    connection has taken and not yet cleared to go (``in_hand``), and their lease."""

    engine: Engine
    config: Config
    clock: Callable[[], datetime]
    report: Report
    rng: random.Random
    lease: timedelta
    lease_until: datetime
    waiting: deque[Outgoing] = field(default_factory=deque)
    in_hand: set[Outgoing] = field(default_factory=set)
    lost: set[int] = field(default_factory=set)  # no longer ours: another sender has them
    renewing: asyncio.Lock = field(default_factory=asyncio.Lock)
    recorder: Recorder = field(init=False)

    def __post_init__(self) -> None:
        self.recorder = Recorder(self.engine, self.clock)

    async def send(self, pacer: Pacer, stopping: asyncio.Event, wire: Wire) -> None:
        """Send what waits over ``mail.connections`` connections. When every connection is
        lost (or none could be made) the rest waits, with backoff; only the messages in flight,
        if any, stay claimed until their lease runs out."""
        lost: list[str] = []  # the answers of the connections lost
        try:
            count = min(self.config.mail.connections, len(self.waiting))
            if count == 1:
                await self._connection(pacer, stopping, wire, lost)
            else:
                await _together(
                    [self._connection(pacer, stopping, wire, lost) for _ in range(count)]
                )
            if lost and self.waiting:  # no connection left: the rest waits
                rest = list(self.waiting)
                self.waiting.clear()
                await self.postpone(rest, lost[-1])
        finally:
            try:
                await self.recorder.idle()
                if self.waiting:  # back at once; shielded: a second cancellation cannot stop it
                    back: list[Settled] = [
                        (m, "retry", "chưa gửi / not sent", self.clock()) for m in self.waiting
                    ]
                    self.waiting.clear()
                    await asyncio.shield(self.recorder.add(back))
            finally:
                await asyncio.shield(self.recorder.close())

    async def _connection(
        self, pacer: Pacer, stopping: asyncio.Event, wire: Wire, lost: list[str]
    ) -> None:
        """One connection sending what waits, until nothing does. A message's outcome is
        committed while the next one's envelope goes out, and before its content does. A lost
        connection puts its message back first in line and ends; the others go on."""
        recording: asyncio.Future[None] | None = None  # its last message sent, being recorded
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
                    self.in_hand.add(message)
                    try:
                        answer = await smtp.send(
                            data, message.recipient, partial(self._holds, message, recording)
                        )
                    except PermanentDelivery as error:
                        log.error(
                            "action=deliver_failed message=%s answer=%s", message.id, error.answer
                        )
                        await self._ended(message, "failed", error.answer)
                        self.report.errors.append(error.answer)
                    except TransientDelivery as error:
                        if error.connection_lost and error.content_sent:
                            # the relay may have it: it waits its backoff, as with one
                            # connection, not for the next connection to send it again at once
                            await self.postpone([message], error.answer)
                            raise
                        if error.connection_lost:
                            self.waiting.appendleft(message)
                            raise
                        await self.postpone([message], error.answer)
                    else:
                        if answer is not None:  # recorded while the next envelope goes out
                            recording = self.recorder.add([(message, "sent", "", None)])
                            recording.add_done_callback(self._heard_sent)
                    finally:
                        self.in_hand.discard(message)
        except TransientDelivery as error:  # no connection, or it was lost
            log.warning("action=deliver_connection_lost error=%s", error.answer)
            lost.append(error.answer)
        if recording is not None:  # its last message recorded, or the database's error raised
            await asyncio.shield(recording)

    def _heard_sent(self, recorded: asyncio.Future[None]) -> None:
        if not recorded.cancelled() and recorded.exception() is None:
            self.report.count("sent")

    async def _ended(self, message: Outgoing, outcome: str, error: str) -> None:
        await self.recorder.add([(message, outcome, error, None)])
        self.report.count(outcome)

    async def _holds(self, message: Outgoing, previous: asyncio.Future[None] | None) -> bool:
        """Once ``previous`` (the last message sent on this connection) is recorded as sent: is
        ``message`` still ours to send? The lease of what is claimed and not yet gone is renewed
        once half of it has gone, and what is no longer ours (its lease ran out and another
        sender claimed it) is dropped: never send one twice."""
        if previous is not None:
            await asyncio.shield(previous)
        async with self.renewing:
            now = self.clock()
            if now >= self.lease_until - self.lease / 2:
                await self._renew(now + self.lease)
        self.in_hand.discard(message)
        return message.id not in self.lost

    async def _renew(self, until: datetime) -> None:
        claimed = [*self.in_hand, *self.waiting]
        ours = await asyncio.to_thread(_renew, self.engine, claimed, until)
        self.lease_until = until
        for message in claimed:
            if message.id not in ours:
                log.warning("action=deliver_lease_lost message=%s", message.id)
                self.lost.add(message.id)
                if message in self.waiting:
                    self.waiting.remove(message)

    async def postpone(self, messages: list[Outgoing], error: str) -> None:
        """Back to the queue with backoff, in one transaction, because the relay failed."""
        if messages:
            await self.recorder.add(postponed(messages, error, self.config, self.rng, self.clock()))
            for _ in messages:
                self.report.count("retrying")
        self.report.errors.append(error)
        self.report.relay_failed = True


async def _together(connections: list[Coroutine[Any, Any, None]]) -> None:
    """Run the connections at once until all have ended; when one fails, or the batch is
    cancelled, the others are cancelled and waited for."""
    running = [asyncio.ensure_future(connection) for connection in connections]
    try:
        await asyncio.gather(*running)
    finally:
        for connection in running:
            connection.cancel()
        await asyncio.wait(running)


def _renew(engine: Engine, messages: list[Outgoing], until: datetime) -> set[int]:
    with transaction(engine) as store:
        return outbox.renew(store, messages, until)
