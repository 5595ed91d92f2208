"""``hanbao status`` on a SQLite file through Python's own ``sqlite3``: importing SQLAlchemy and
SQLModel takes longer (0.4 s) than a person should wait for a list.

The statement is the store's own (``scheduler.store.listing``). The file is opened read-only and
only when all is as usual: a plain ``sqlite:///FILE`` URL, the file there, its schema at the
head, the unit asked for known. Anything else (PostgreSQL included) answers None, and the
caller asks the store, which reads it, or says what is wrong, as every command does.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from scheduler.deadlines.vntime import VN_TZ
from scheduler.records import Obligation
from scheduler.store.listing import MOMENTS, obligation_listing
from scheduler.store.revisions import quick_head

STORED = "%Y-%m-%d %H:%M:%S.%f"  # a moment as SQLAlchemy stores it in SQLite (UTC, here)
_MOMENT_COLUMNS = frozenset(
    i for i, f in enumerate(fields(Obligation)) if str(f.type).startswith("datetime")
)


def sqlite_path(url: str) -> Path | None:
    """The file of a plain ``sqlite:///FILE`` URL; None for anything else (a database in memory,
    URI options, escapes, another backend), which only SQLAlchemy reads."""
    scheme, separator, file = url.partition(":///")
    if scheme not in ("sqlite", "sqlite+pysqlite") or not separator or not file:
        return None
    if any(mark in file for mark in "?%") or file.startswith((":memory:", "file:")):
        return None
    return Path(file)


def obligations(
    url: str,
    *,
    unit: str | None = None,
    open_only: bool = False,
    due_before: datetime | None = None,
    moved_out: bool = False,
) -> list[Obligation] | None:
    """What ``Store.obligations`` answers with the same arguments, or None (see above)."""
    path, head = sqlite_path(url), quick_head()
    if path is None or head is None or not path.is_file():
        return None
    sql, parameters = obligation_listing(
        unit=unit, open_only=open_only, due_before=due_before, moved_out=moved_out
    )
    bound = {k: _stored(v) if k in MOMENTS else v for k, v in parameters.items()}
    try:
        with closing(sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)) as db:
            if db.execute("SELECT version_num FROM alembic_version").fetchall() != [(head,)]:
                return None
            if unit is not None and not _known(db, unit):
                return None
            rows = db.execute(sql, bound).fetchall()
    except sqlite3.Error:
        return None
    return [_obligation(row) for row in rows]


def _known(db: sqlite3.Connection, unit: str) -> bool:
    return db.execute("SELECT 1 FROM unit WHERE code = ?", (unit,)).fetchone() is not None


def _obligation(row: tuple[Any, ...]) -> Obligation:
    values: list[Any] = [_read(v) if i in _MOMENT_COLUMNS else v for i, v in enumerate(row)]
    return Obligation(*values)


def _stored(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(STORED)


def _read(stored: Any) -> datetime | None:
    if stored is None:
        return None
    return datetime.fromisoformat(stored).replace(tzinfo=UTC).astimezone(VN_TZ)
