"""SQLite's write-ahead log folded beside a wave's writes (``scheduler.store.folding``): the
wave's commits leave the log alone, ``fold`` folds it on a thread of its own, and the connection
is given back as it was."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Connection

from scheduler.store import schema
from scheduler.store.connection import Engine
from scheduler.store.folding import folded_aside
from scheduler.store.queries import transaction
from scheduler.store.schema import make_engine

ROWS = 3000  # 3,000 rows of 4 kB: three times the 1,000 pages that SQLite folds at a commit


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[tuple[Path, Engine]]:
    path = tmp_path / "fold.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE blob (id INTEGER PRIMARY KEY, body BLOB)")
    yield path, engine
    engine.dispose()


def _write(bind: Engine | Connection, start: int) -> None:
    with transaction(bind) as store:
        store.session.connection().exec_driver_sql(
            "INSERT INTO blob (id, body) VALUES (?, randomblob(4000))",
            [(start + n,) for n in range(ROWS)],
        )


def test_a_commit_folds_the_log_itself_by_default(sqlite_file: tuple[Path, Engine]) -> None:
    path, engine = sqlite_file
    before = os.path.getsize(path)
    _write(engine, 0)
    assert os.path.getsize(path) > before + ROWS * 4000


def test_the_wave_commits_leave_the_log_to_the_folding_thread(
    sqlite_file: tuple[Path, Engine],
) -> None:
    path, engine = sqlite_file
    before = os.path.getsize(path)
    with folded_aside(engine) as (bind, fold):
        assert isinstance(bind, Connection)
        raw = bind.connection.dbapi_connection
        assert raw is not None
        _write(bind, 0)
        assert os.path.getsize(path) == before  # committed, still in the log only
        fold()
        _write(bind, ROWS)  # a second slice while the first is folded
        fold()
    # every fold has ended with the block, and the first slice at least is in the file
    assert os.path.getsize(path) > before + ROWS * 4000
    assert raw.execute("PRAGMA wal_autocheckpoint").fetchone() == (1000,)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT count(*) FROM blob").scalar_one() == 2 * ROWS


def test_the_log_grown_by_a_wave_is_cut_back_when_it_starts_again(
    sqlite_file: tuple[Path, Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The slices outrun the folding, so the log grows to the wave's size; once folded and
    started again it is cut back to the limit, not kept at its largest."""
    limit = 8 * 1024 * 1024
    monkeypatch.setattr(schema, "JOURNAL_SIZE_LIMIT", limit)  # read as each connection opens
    path, engine = sqlite_file
    engine.dispose()  # the fixture's connection was opened with the default limit
    log = path.with_name(path.name + "-wal")
    with folded_aside(engine) as (bind, fold):
        for start in range(0, 4 * ROWS, ROWS):
            _write(bind, start)
            fold()
    assert os.path.getsize(log) > 2 * limit
    _write(engine, 4 * ROWS)  # folds all at its commit
    _write(engine, 5 * ROWS)  # starts the log again
    assert os.path.getsize(log) <= limit + ROWS * 4096 * 2


def test_a_database_in_memory_has_no_log_to_fold() -> None:
    engine = make_engine("sqlite://")
    for _ in range(10):  # each fold would open a connection, and a database, of its own
        with folded_aside(engine) as (bind, fold):
            assert bind is engine
            fold()
    engine.dispose()


def test_a_transaction_is_not_opened_on_a_connection_in_one(
    sqlite_file: tuple[Path, Engine],
) -> None:
    """The session would only join it, and its commit would commit nothing."""
    _, engine = sqlite_file
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
        with (
            pytest.raises(RuntimeError, match="in a transaction already"),
            transaction(connection),
        ):
            pass
