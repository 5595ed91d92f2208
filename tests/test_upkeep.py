"""Housekeeping on a busy SQLite file (issue 10): it waits for the writer of the moment, and a
file that stays locked is tried again within the run, not a day later."""

from __future__ import annotations

import asyncio
import logging
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import create_engine

from jobs import Context, housekeeping
from scheduler.clock import SystemClock
from scheduler.monitoring.health import Health
from scheduler.monitoring.metrics import Metrics
from scheduler.settings import Config
from scheduler.store.queries import transaction
from scheduler.store.schema import make_engine
from tests.conftest import vn


@pytest.fixture
def sqlite_file(sqlite_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "hanbao.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return path


@pytest.fixture
def writer(sqlite_file: Path) -> Iterator[sqlite3.Connection]:
    """Another process's connection, which will hold the write lock."""
    connection = sqlite3.connect(sqlite_file, isolation_level=None, check_same_thread=False)
    yield connection
    connection.close()


def start_writing(writer: sqlite3.Connection) -> None:
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO meta (key, value) VALUES ('busy', 'another job writes')")


def tidy(engine: Engine, config: Config) -> None:
    """One run of the housekeeping job, with the daemon's context; the query planner has been
    used (as in a running daemon), so ``PRAGMA optimize`` has statistics to write."""
    with transaction(engine) as store:
        store.due_for_action(vn("01/03/2027 10:00"), 10)
    clock = SystemClock()
    context = Context(engine, config, clock, Metrics(engine, clock), Health(60))
    asyncio.run(housekeeping.run(context))


def statistics(engine: Engine) -> bool:
    with engine.connect() as connection:
        found = connection.exec_driver_sql(
            "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'"
        ).first()
    return found is not None


def test_optimize_waits_for_a_writer_instead_of_failing(
    config: Config, sqlite_file: Path, writer: sqlite3.Connection
) -> None:
    """Another job starts writing just after the checkpoint and goes on for half a second: a
    bare ``PRAGMA optimize`` failed at once with "database is locked"."""
    engine = make_engine(f"sqlite:///{sqlite_file}")

    def write_after_checkpoint(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "wal_checkpoint" in statement:
            start_writing(writer)
            threading.Timer(0.5, writer.execute, ["COMMIT"]).start()  # the write takes 0.5 s

    event.listen(engine, "after_cursor_execute", write_after_checkpoint)
    tidy(engine, config)
    assert statistics(engine)  # optimize ran ANALYZE
    assert writer.execute("SELECT value FROM meta WHERE key = 'busy'").fetchone() is not None
    engine.dispose()


class _Said(logging.Handler):
    """Sets ``event`` when a log line says ``words``."""

    def __init__(self, words: str) -> None:
        super().__init__()
        self.words, self.event = words, threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.words in record.getMessage():
            self.event.set()


def test_a_file_locked_past_the_busy_timeout_is_tidied_again_soon(
    config: Config, sqlite_file: Path, writer: sqlite3.Connection
) -> None:
    """The writer holds the lock past the busy timeout (0.2 s here, 30 s in the daemon): the
    run says so and tries again a second later, once the writer is done; the job used to fail
    and wait a day for its next run."""
    engine = create_engine(f"sqlite:///{sqlite_file}", connect_args={"timeout": 0.2})
    said = _Said("action=housekeeping_busy")
    logger = logging.getLogger("jobs.housekeeping")
    logger.addHandler(said)
    start_writing(writer)
    # the writer commits as soon as the job has said it will try again
    done = threading.Thread(target=lambda: said.event.wait(20) and writer.execute("COMMIT"))
    done.start()
    try:
        tidy(engine, config)
    finally:
        logger.removeHandler(said)
        done.join(20)
    assert said.event.is_set() and statistics(engine)
    engine.dispose()
