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
from contextlib import ExitStack
from datetime import datetime

from scheduler.mail import outbox
from scheduler.mail.compose import SLICE, Run, compose_slice, rendered, taken
from scheduler.mail.render import Renderer
from scheduler.settings import Config
from scheduler.store import waves
from scheduler.store.connection import Connection, Engine
from scheduler.store.folding import folded_aside
from scheduler.store.pipelined import pipelined
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
    run = Run()
    if not waves.overlapping(engine):
        return _one_after_another(
            engine, lambda store: compose_slice(store, config, renderer, now, limit, run), stopping
        )

    def prepare(store: Store) -> list[outbox.Composed] | None:
        groups = None if stopping() else taken(store, config, now, limit, run)
        return None if groups is None else rendered(config, renderer, groups, now)

    def write(store: Store, mail: list[outbox.Composed]) -> int:
        return outbox.enqueue_many(store, mail, domain=config.mail.domain, now=now, new=True)

    return sum(pipelined(engine, prepare, write, "compose-write"))


def _one_after_another(
    engine: Engine, compose: Callable[[Store], int | None], stopping: Callable[[], bool]
) -> int:
    """SQLite: slice after slice, each its own transaction, until ``compose`` takes none; from
    the second slice on (a wave), SQLite's log is folded beside the slices, not at their commits
    (``scheduler.store.folding``). How many messages were queued."""
    queued = 0
    with ExitStack() as wave:
        bind: Engine | Connection = engine
        fold: Callable[[], None] | None = None
        while not stopping():
            with transaction(bind) as store:
                done = compose(store)
            if done is None:
                break
            queued += done
            if fold is None:
                bind, fold = wave.enter_context(folded_aside(engine))
            else:
                fold()
    return queued
