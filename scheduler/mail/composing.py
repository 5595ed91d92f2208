"""Composing everything the sweep has recorded, slice after slice, each slice of reminders its
own transaction (``scheduler.mail.compose``): what the mail job does before each batch it sends.

Where the database takes writes from several connections (``waves.overlapping``: PostgreSQL), a
slice's mail is written and committed on a thread of its own while the next slice is taken and
rendered on another connection: the taking locks its reminders and skips those another
transaction holds, so the next slice never takes those still being written. SQLite takes one
writer at a time: one slice after the other, each written while it is rendered.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from datetime import datetime

from scheduler.mail import outbox
from scheduler.mail.compose import SLICE, compose_slice, rendered, taken
from scheduler.mail.render import Renderer
from scheduler.settings import Config
from scheduler.store import waves
from scheduler.store.connection import Engine
from scheduler.store.queries import Store, transaction


def compose_all(
    engine: Engine,
    config: Config,
    renderer: Renderer,
    now: datetime,
    limit: int = SLICE,
    stopping: Callable[[], bool] = lambda: False,
) -> int:
    """Compose every reminder recorded by ``now`` into the outbox, the most urgent first,
    ``limit`` a slice, until none is left or ``stopping()``; how many messages were queued. A
    slice that fails is undone (and on PostgreSQL the slice taken after it): its reminders wait,
    uncomposed, for the next run."""
    queued, waiting = 0, set[int]()
    if not waves.overlapping(engine):
        while not stopping():
            with transaction(engine) as store:
                done = compose_slice(store, config, renderer, now, limit, waiting)
            if done is None:
                break
            queued += done
        return queued
    with ThreadPoolExecutor(1, thread_name_prefix="compose-write") as writer:
        writing: Future[int] | None = None
        while True:
            with ExitStack() as held:  # this slice's transaction, until the writer takes it
                store = held.enter_context(transaction(engine))
                groups = None if stopping() else taken(store, config, now, limit, waiting)
                mail = rendered(config, renderer, groups, now) if groups else []
                if writing is not None:
                    previous, writing = writing, None
                    queued += previous.result()
                if groups is None:
                    return queued
                handed = held.pop_all()
            try:
                writing = writer.submit(_written, handed, store, config, mail, now)
            except BaseException:  # not taken (shutting down, no thread): end it here
                handed.close()
                raise


def _written(
    held: ExitStack, store: Store, config: Config, mail: list[outbox.Composed], now: datetime
) -> int:
    """Queue a slice's mail and end its transaction (committed, or rolled back on error)."""
    with held:
        return outbox.enqueue_many(store, mail, domain=config.mail.domain, now=now, new=True)
