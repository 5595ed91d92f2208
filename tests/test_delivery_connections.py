"""What a crash may leave unrecorded, one connection or several (``mail.connections``), through a
real SMTP server on loopback, on SQLite and PostgreSQL: a connection sends a message's content
only once its previous message is recorded as sent, so the relay never holds more messages sent
and unrecorded than there are connections; and a connection the relay will not serve hands its
message back to the others."""

from __future__ import annotations

import asyncio
import random
import re
from collections import Counter
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import Any

import pytest
from aiosmtpd.smtp import Envelope, Session
from sqlalchemy import Engine, func, select

from scheduler.clock import SimulatedClock
from scheduler.mail.batch import Pacer
from scheduler.mail.deliver import Report, deliver
from scheduler.settings import Config
from scheduler.store.schema import MessageRow
from tests.conftest import vn
from tests.mailsink import Sink, free_port, start
from tests.test_delivery import mail_config, states
from tests.workload import queue_mail

NOW = vn("03/03/2027 10:00")
MESSAGE = MessageRow.metadata.tables["message"]


@dataclass
class Watching(Sink):
    """A sink that, as each message's content arrives, counts the messages it has accepted
    before that are still ``sending`` in the outbox: sent, but not known to be."""

    engine: Engine | None = None
    unrecorded: list[int] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        assert self.engine is not None
        with self.condition:
            accepted = [r.message_id for r in self.received]
        with self.engine.connect() as connection:
            still = connection.execute(
                select(func.count())
                .select_from(MESSAGE)
                .where(MESSAGE.c.message_id.in_(accepted), MESSAGE.c.state == "sending")
            ).scalar_one()
        self.unrecorded.append(still)
        return await super().handle_DATA(server, session, envelope)


def send_all(engine: Engine, config: Config, handler: Sink, count: int, connections: int) -> Report:
    """Queue ``count`` mails and send them all over ``connections`` to a relay run by
    ``handler``."""
    port = free_port()
    controller = start(handler, port)
    try:
        queue_mail(engine, config, count, NOW)
        cfg = mail_config(config, port)
        cfg = replace(cfg, mail=replace(cfg.mail, connections=connections, batch_size=40))
        clock = SimulatedClock(NOW, anchor=0, speed=0)
        return asyncio.run(deliver(engine, cfg, clock.now, random.Random(7)))
    finally:
        controller.stop()


@pytest.mark.parametrize("connections", [1, 3])
def test_the_relay_never_holds_more_unrecorded_messages_than_there_are_connections(
    engine: Engine, config: Config, connections: int
) -> None:
    handler = Watching(engine=engine)
    report = send_all(engine, config, handler, 90, connections)

    assert report.sent == 90 and report.retrying == 0
    assert states(engine) == {"sent": 90}
    copies = Counter(r.message_id for r in handler.received)
    assert len(copies) == 90 and set(copies.values()) == {1}
    # one connection: every message before this one is recorded; several: at most the last
    # message of each other connection is not yet
    assert max(handler.unrecorded) <= connections - 1
    if connections > 1:
        assert max(handler.unrecorded) > 0, "the connections never overlapped"


@dataclass
class OneConnection(Sink):
    """A relay that serves one connection and answers 421 to the others' first envelope."""

    served: set[int] = field(default_factory=set)

    async def handle_MAIL(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if not self.served:
            self.served.add(id(session))
        if id(session) not in self.served:
            return "421 4.7.0 too many connections from your host"
        return await super().handle_MAIL(server, session, envelope, address, options)


def test_a_connection_the_relay_will_not_serve_hands_its_message_to_the_others(
    engine: Engine, config: Config
) -> None:
    handler = OneConnection()
    report = send_all(engine, config, handler, 30, 3)

    assert report.sent == 30 and report.retrying == 0 and not report.relay_failed
    assert states(engine) == {"sent": 30}
    assert len({r.message_id for r in handler.received}) == len(handler.received) == 30


@dataclass
class DropsAfterContent(Sink):
    """Takes the first message's content, then drops the connection without an answer (a relay
    that timed out after the final dot, say): that message may have been delivered."""

    dropped: list[str] = field(default_factory=list)  # its Message-ID

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if not self.dropped:
            content = envelope.original_content or envelope.content
            assert isinstance(content, bytes)
            found = re.search(rb"^Message-ID: *(\S+)", content, re.MULTILINE | re.IGNORECASE)
            assert found is not None
            self.dropped.append(found.group(1).decode())
            server.transport.close()
            return "421 4.4.2 closing"
        return await super().handle_DATA(server, session, envelope)


def test_a_message_whose_content_went_before_its_connection_was_lost_waits_its_backoff(
    engine: Engine, config: Config
) -> None:
    """Another connection must not send it again at once: the relay may have it."""
    handler = DropsAfterContent()
    report = send_all(engine, config, handler, 30, 3)

    assert len(handler.dropped) == 1
    assert handler.dropped[0] not in {r.message_id for r in handler.received}
    assert report.retrying == 1 and report.sent == 29
    assert states(engine) == {"sent": 29, "pending": 1}  # pending: its retry_at later


def test_connections_waiting_together_for_the_relay_rate_each_get_a_slot_of_their_own() -> None:
    """Three connections at 600 a minute: one message each tenth of a second, never two at once
    (a strict relay counts every minute)."""
    pacer = Pacer(600)

    async def run() -> list[float]:
        stopping, loop = asyncio.Event(), asyncio.get_running_loop()

        async def one() -> float:
            assert await pacer.wait(stopping)
            return loop.time()

        return sorted(await asyncio.gather(one(), one(), one()))

    went = asyncio.run(run())
    assert all(later - earlier >= 0.1 - Pacer.SLACK for earlier, later in pairwise(went))
