"""Batches whose writing overlaps the next batch's reading: the sweep records a batch, the mail
job writes a composed slice, on a thread of its own, while the next is read on another
connection. Only where the database takes writes from several connections
(``waves.overlapping``), and the reading skips the rows a batch being written holds (``FOR UPDATE
SKIP LOCKED``): the next batch never takes those."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from typing import TypeVar

from scheduler.store.connection import Engine
from scheduler.store.queries import Store, transaction

B = TypeVar("B")
R = TypeVar("R")


def pipelined(
    engine: Engine,
    prepare: Callable[[Store], B | None],
    write: Callable[[Store, B], R],
    name: str,
) -> list[R]:
    """Batch after batch, each its own transaction, until ``prepare`` (the reading, in the
    batch's transaction) finds none: ``write`` writes the batch and its transaction is committed
    on the thread ``name`` while the next batch is prepared; what each ``write`` returned, in
    order. A write that fails undoes its batch and the one prepared meanwhile, and is raised."""
    written: list[R] = []
    with ThreadPoolExecutor(1, thread_name_prefix=name) as writer:
        writing: Future[R] | None = None
        while True:
            with ExitStack() as held:  # this batch's transaction, until the writer takes it
                store = held.enter_context(transaction(engine))
                batch = prepare(store)
                if writing is not None:
                    previous, writing = writing, None
                    written.append(previous.result())
                if batch is None:
                    return written
                handed = held.pop_all()
            try:
                writing = writer.submit(_committed, handed, write, store, batch)
            except BaseException:  # not taken (shutting down, no thread): end it here
                handed.close()
                raise


def _committed(held: ExitStack, write: Callable[[Store, B], R], store: Store, batch: B) -> R:
    """Write a batch and end its transaction (committed, or rolled back on error)."""
    with held:
        return write(store, batch)
