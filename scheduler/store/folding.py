"""Folding SQLite's write-ahead log into the file beside a wave's writes, not inside them.

SQLite folds the log back into the database file (a checkpoint) at the commit that finds it
over ``wal_autocheckpoint`` pages (1,000 by default): each slice of a wave's mail is tens of
megabytes, so each slice's commit copied its pages into the file and waited for the disk, some
80 ms, while nothing else went on. Here the wave's transactions run on a connection that leaves
the log alone, and a thread of its own folds it after each commit (``PRAGMA
wal_checkpoint(PASSIVE)``: it takes no lock that a writer or a reader waits for), while the next
slice is taken and rendered. What is left when the wave is over is folded at the next commit,
as always.

The next slice begins writing before the fold is through, so the log does not start again from
its beginning during the wave: it grows to the wave's size, and is cut back to
``schema.JOURNAL_SIZE_LIMIT`` when it next starts again. PostgreSQL writes its own log apart,
and a database in memory has none: nothing to do there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.engine import Connection

from scheduler.store.connection import sqlite_file

log = logging.getLogger("scheduler.compose")


@contextmanager
def folded_aside(engine: Engine) -> Iterator[tuple[Engine | Connection, Callable[[], None]]]:
    """What to open the wave's transactions on (``transaction(bind)``), and ``fold``, to call
    after each commit: for a SQLite file a connection that does not fold the log at its commits,
    and ``fold`` starts folding it on a thread of its own unless a fold is still going;
    elsewhere the engine, and ``fold`` does nothing. A fold that fails is logged: the wave's
    slices are committed all the same, and the next commit folds the log as always."""
    if sqlite_file(engine) is None:
        yield engine, lambda: None
        return
    with ThreadPoolExecutor(1, thread_name_prefix="wal-fold") as folder:
        folding: Future[None] | None = None

        def fold() -> None:
            nonlocal folding
            if folding is None or folding.done():
                folding = folder.submit(_checkpoint, engine)

        with engine.connect() as connection:
            pages = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one()
            connection.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
            connection.commit()  # the session then begins and commits each transaction itself
            try:
                yield connection, fold
            finally:
                connection.exec_driver_sql(f"PRAGMA wal_autocheckpoint={int(pages)}")
                connection.commit()


def _checkpoint(engine: Engine) -> None:
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
    except Exception as error:  # the folding is housekeeping: the slices are committed
        log.warning("action=wal_fold_failed error=%s", error)
