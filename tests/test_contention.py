"""Two daemons at work on one database at once: the defects the crash and concurrency trials
found (issue 10), each on SQLite and PostgreSQL. The two sides run in threads or tasks of their
own, on the real database and a real relay; where the order matters, a barrier makes both reach
the same statement before either goes on."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy import Engine, event
from sqlmodel import col, select

from scheduler.compose import compose
from scheduler.digest import digest
from scheduler.render import Renderer
from scheduler.settings import Config
from scheduler.store.queries import transaction
from scheduler.store.schema import MessageItemRow, MessageRow, ReminderRow
from scheduler.sweep import sweep
from tests.conftest import open_case, run_until, vn

T = TypeVar("T")
START = vn("03/03/2027 10:00")


@contextmanager
def meeting(engine: Engine, marker: str, *, before: bool) -> Iterator[None]:
    """Two threads working on ``engine`` wait for each other at the first statement that
    contains ``marker`` (``before`` it runs, or just after), then both go on."""
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


def at_once(work: Callable[[], T]) -> list[T]:
    """``work`` in two threads at the same time; both results, or the first error raised."""
    with ThreadPoolExecutor(2) as pool:
        return [f.result(timeout=60) for f in [pool.submit(work), pool.submit(work)]]


def test_two_daemons_composing_at_once_queue_each_reminder_once(
    engine: Engine, config: Config
) -> None:
    """Both read the same uncomposed reminders: the one that takes them composes them, the
    other composes nothing, and neither fails (it used to: UniqueViolation, or "another
    process composed the same reminders", and the whole mail job was lost until its next run)."""
    for n in range(3):
        open_case(engine, config, f"VV-C{n}", "03/03/2027 10:00", "03/03/2027 10:05")
    sweep(engine, config, vn("03/03/2027 10:05"))
    renderer = Renderer(config.mail.domain)

    def compose_now() -> int:
        with transaction(engine) as store:
            return compose(store, config, renderer, vn("03/03/2027 10:05"))

    with meeting(engine, "reminder.composed_at IS NULL", before=False):
        queued = at_once(compose_now)
    with transaction(engine) as store:
        carried = store.session.exec(select(MessageItemRow.reminder_id)).all()
        due = store.session.exec(select(ReminderRow).where(col(ReminderRow.state) == "due")).all()
        messages = store.session.exec(select(MessageRow)).all()
    assert sorted(queued) == [0, 2]  # the officer's and the leader's bundle of three notices
    assert len(messages) == 2 and len(due) == 3
    # each notice in the officer's mail and in the leader's, in no other
    assert Counter(carried) == {r.id: 2 for r in due}
    assert all(r.composed_at is not None for r in due)


def test_two_daemons_queue_the_district_digest_once(engine: Engine, config: Config) -> None:
    """The digest's key is the same in both: the second insert is a no-op, not an error."""
    open_case(engine, config, "VV-LATE", "03/03/2027 10:00", "03/03/2027 10:05")
    run_until(engine, config, vn("05/03/2027 08:00"))
    renderer = Renderer(config.mail.domain)

    def queue_digest() -> int:
        with transaction(engine) as store:
            return digest(store, config, renderer, vn("05/03/2027 09:00"))

    with meeting(engine, "INSERT INTO message (", before=True):
        queued = at_once(queue_digest)
    assert sorted(queued) == [0, 1]
    with transaction(engine) as store:
        digests = store.session.exec(select(MessageRow).where(MessageRow.template == "digest"))
        assert len(digests.all()) == 1
