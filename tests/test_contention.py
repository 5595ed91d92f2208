"""Two daemons at work on one database at once: the defects the crash and concurrency trials
found (issue 10), each on SQLite and PostgreSQL. The two sides run in threads or tasks of their
own, on the real database and a real relay; where the order matters, a barrier makes both reach
the same statement before either goes on."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine, event
from sqlmodel import col, select

from scheduler.lifecycle.sweep import sweep
from scheduler.mail.compose import compose
from scheduler.mail.deliver import Report, deliver, deliver_batch
from scheduler.mail.digest import digest
from scheduler.mail.render import Renderer
from scheduler.settings import Config
from scheduler.store.queries import Store, transaction
from scheduler.store.schema import MessageItemRow, MessageRow, ReminderRow
from tests.conftest import open_case, run_until, vn, write_settings
from tests.mailsink import Sink, free_port
from tests.test_delivery import mail_config, states
from tests.workload import queue_mail

T = TypeVar("T")
START = vn("03/03/2027 10:00")


def at_once(engine: Engine, step: Callable[[Store], T], marker: str, *, before: bool) -> list[T]:
    """``step`` in two transactions at the same time, in two threads that wait for each other at
    the first statement containing ``marker`` (``before`` it runs, or just after); both results,
    or the first error raised."""

    def work() -> T:
        with transaction(engine) as store:
            return step(store)

    with meeting(engine, marker, before=before), ThreadPoolExecutor(2) as pool:
        return [f.result(timeout=60) for f in [pool.submit(work), pool.submit(work)]]


@contextmanager
def meeting(engine: Engine, marker: str, *, before: bool) -> Iterator[None]:
    """Each thread stops at its first statement on ``engine`` that contains ``marker`` until the
    other has reached its own."""
    barrier = threading.Barrier(2, timeout=20)
    met = threading.local()

    def meet(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if marker in statement and not getattr(met, "done", False):
            met.done = True
            barrier.wait()

    hook = "before_cursor_execute" if before else "after_cursor_execute"
    event.listen(engine, hook, meet)
    try:
        yield
    finally:
        event.remove(engine, hook, meet)


def test_two_daemons_composing_at_once_queue_each_reminder_once(
    engine: Engine, config: Config
) -> None:
    """Both take the same uncomposed reminders at the same moment: what one takes the other
    does not (on PostgreSQL it skips the rows the other has locked, so each may take a share),
    each composes what it took, and neither fails (it used to: UniqueViolation, or "another
    process composed the same reminders", and the whole mail job was lost until its next
    run)."""
    for n in range(3):
        open_case(engine, config, f"VV-C{n}", "03/03/2027 10:00", "03/03/2027 10:05")
    sweep(engine, config, vn("03/03/2027 10:05"))

    def compose_now(store: Store) -> int:
        return compose(store, config, Renderer(config.mail.domain), vn("03/03/2027 10:05"))

    queued = at_once(engine, compose_now, "UPDATE reminder SET composed_at", before=True)
    with transaction(engine) as store:
        carried = store.session.exec(select(MessageItemRow.reminder_id)).all()
        due = store.session.exec(select(ReminderRow).where(col(ReminderRow.state) == "due")).all()
        messages = store.session.exec(select(MessageRow)).all()
    # the officer's and the leader's bundle of three notices, from one daemon or from both
    assert sum(queued) == len(messages) and len(messages) in (2, 4) and len(due) == 3
    # each notice in the officer's mail and in the leader's, in no other
    assert Counter(carried) == {r.id: 2 for r in due}
    assert all(r.composed_at is not None for r in due)


def test_two_daemons_queue_the_district_digest_once(engine: Engine, config: Config) -> None:
    """The digest's key is the same in both: the second insert is a no-op, not an error."""
    open_case(engine, config, "VV-LATE", "03/03/2027 10:00", "03/03/2027 10:05")
    run_until(engine, config, vn("05/03/2027 08:00"))
    renderer = Renderer(config.mail.domain)
    at = vn("05/03/2027 09:00")
    queued = at_once(
        engine,
        lambda store: digest(store, config, renderer, at),
        "INSERT INTO message (",
        before=True,
    )
    assert sorted(queued) == [0, 1]
    with transaction(engine) as store:
        digests = store.session.exec(select(MessageRow).where(MessageRow.template == "digest"))
        assert len(digests.all()) == 1


@dataclass
class SteppedClock:
    """A sender's clock that moves on ``step`` with each message sent, as a slow relay would."""

    now: datetime
    step: timedelta

    def __call__(self) -> datetime:
        return self.now


@pytest.mark.parametrize("pause", [0, 30], ids=["lease-renewed", "lease-lost"])
def test_a_batch_slower_than_its_lease_is_sent_once(
    engine: Engine, config: Config, sink: tuple[Sink, int], pause: int
) -> None:
    """A's batch of 4 takes 4 s a message against a 10 s lease (the defaults do the same when
    batch_size / rate_per_minute exceeds lease_seconds). After its third message B looks for
    work: A has renewed its lease, so B finds none. When A stalls past even the renewed lease,
    B takes the rest, and A, finding them no longer its own, does not send them too."""
    handler, port = sink
    queue_mail(engine, config, 4, START)
    relay = mail_config(config, port)
    slow = replace(relay, mail=replace(relay.mail, rate_per_minute=120, lease_seconds=10))
    clock = SteppedClock(START, timedelta(seconds=4))
    renderer = Renderer(config.mail.domain)

    async def both() -> tuple[Report | None, Report | None]:
        third = asyncio.Event()
        sent = 0

        def on_outcome(outcome: str) -> None:
            nonlocal sent
            clock.now += clock.step
            sent += 1
            if sent == 3:
                third.set()

        first = asyncio.create_task(
            deliver_batch(engine, slow, clock, renderer, on_outcome=on_outcome)
        )
        await asyncio.wait_for(third.wait(), 20)  # A now waits 0.5 s for its next slot
        clock.now += timedelta(seconds=pause)
        second = await deliver_batch(engine, relay, clock, renderer)
        return await first, second

    first, second = asyncio.run(both())
    handler.wait_for(lambda got: len({r.message_id for r in got}) == 4)
    copies = Counter(r.message_id for r in handler.received)
    assert max(copies.values()) == 1, copies
    assert states(engine) == {"sent": 4}
    assert first is not None
    if pause == 0:
        assert (first.sent, second) == (4, None)
    else:
        assert second is not None and (first.sent, second.sent) == (3, 1)


def test_a_cancelled_batch_puts_what_it_has_not_sent_back_at_once(
    engine: Engine, config: Config, sink: tuple[Sink, int]
) -> None:
    """A daemon stopped in the middle of a batch (its task cancelled while it waits for the
    relay's next slot) leaves nothing ``sending``: the rest is due again at once, and another
    sender delivers it, each message once."""
    handler, port = sink
    queue_mail(engine, config, 10, START)
    relay = mail_config(config, port)
    slow = replace(relay, mail=replace(relay.mail, rate_per_minute=60))
    renderer = Renderer(config.mail.domain)

    async def cancelled_after_one() -> None:
        one = asyncio.Event()
        batch = asyncio.create_task(
            deliver_batch(engine, slow, lambda: START, renderer, on_outcome=lambda _: one.set())
        )
        await asyncio.wait_for(one.wait(), 20)  # the first went out; the next waits a second
        batch.cancel()
        with pytest.raises(asyncio.CancelledError):
            await batch

    asyncio.run(cancelled_after_one())
    assert states(engine) == {"sent": 1, "pending": 9}
    report = asyncio.run(deliver(engine, relay, lambda: START))
    assert report.sent == 9
    handler.wait_for(lambda got: len(got) == 10)
    assert len({r.message_id for r in handler.received}) == 10


@pytest.mark.parametrize(
    ("mail", "seconds"),
    [
        ({"rate_per_minute": 120, "batch_size": 50, "lease_seconds": 10}, "25"),
        ({"rate_per_minute": 10, "batch_size": 50}, "300"),  # the default lease
    ],
)
def test_settings_whose_batch_outlasts_the_lease_are_refused(
    tmp_path: Path, mail: dict[str, int], seconds: str
) -> None:
    settings = write_settings(tmp_path, "sqlite:///unused.sqlite3", free_port(), mail=mail)
    result = subprocess.run(
        [sys.executable, "-m", "scheduler", "check-config"],
        env={**os.environ, "HANBAO_CONFIG": str(settings)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2, result.stdout
    assert "mail.lease_seconds" in result.stderr and f"= {seconds} s" in result.stderr
