"""Keeping a SQLite file healthy for years: fold the write-ahead log back into the file and
refresh the query planner's statistics. Nothing is ever deleted: every row is evidence.
PostgreSQL needs none of it (autovacuum and autoanalyze do this).
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from scheduler.errors import DatabaseBusy


def tidy(engine: Engine) -> None:
    """Checkpoint the log, then ``PRAGMA optimize`` inside ``BEGIN IMMEDIATE``: the write lock is
    taken first, waiting (busy timeout) for the writer of the moment. Bare, ``optimize`` reads,
    then asks for the lock to write its statistics, and SQLite answers at once "database is
    locked" when another connection writes meanwhile. Raises ``DatabaseBusy`` when the wait ran
    out."""
    if engine.dialect.name != "sqlite":
        return
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            connection.exec_driver_sql("PRAGMA optimize")
            connection.commit()
    except OperationalError as error:
        if "locked" not in str(error.orig) and "busy" not in str(error.orig):
            raise
        raise DatabaseBusy(f"SQLite đang bận / database is locked: {error.orig}") from None
