"""A wave's reads and writes in a few statements per batch: the due obligations, the sweep's
compare-and-set of many obligations at once, the occurrences it recorded, and audit entries.

The statements go to the driver as they are, written once for SQLite and PostgreSQL: a wave's
batch is thousands of values, which cost more to compile, cache and convert one by one through
the ORM than to run. What the schema's types would do to each value is still done, by those
types (``_Moments``), once per distinct moment: a wave's rows share a handful of them.

The compare-and-set is one ``UPDATE … FROM (VALUES …) AS v … RETURNING`` (SQLite 3.35 or
later and PostgreSQL both name a VALUES list's columns column1, column2, …): each row moves only
if its cursor is still where the sweep read it, and the ids that come back are the rows this
sweep took. A concurrent sweep that moved a row first keeps it (on PostgreSQL the UPDATE waits
for that sweep's transaction and re-reads the row, so it finds the cursor moved and returns
nothing for it).

It must begin with ``UPDATE``: Python's sqlite3 opens its implicit transaction only before a
statement that starts with INSERT, UPDATE, DELETE or REPLACE, and a ``WITH … UPDATE`` committed
on its own, before the reminders it goes with (tests/test_storage.py proves it is undone with
them).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Dialect, Engine
from sqlmodel import SQLModel

from scheduler.records import Obligation
from scheduler.store import bulk
from scheduler.store.base import Queries, slices
from scheduler.store.schema import UTCDateTime

_OBLIGATION = SQLModel.metadata.tables["obligation"]
_MOMENTS = {c.name for c in _OBLIGATION.c if isinstance(c.type, UTCDateTime)}
# Obligation's fields in order, as columns of obligation LEFT JOIN case_file
_READ = [
    "case_file.code" if f.name == "case_code" else f"obligation.{f.name}"
    for f in fields(Obligation)
]
_READ_MOMENTS = [i for i, f in enumerate(fields(Obligation)) if f.name in _MOMENTS]
_DETAIL = json.JSONEncoder(ensure_ascii=False, default=str)
_ROWS = json.JSONEncoder(ensure_ascii=False)  # PostgreSQL reads it; moments come as text

Move = tuple[int, datetime | None, datetime | None]


class _Values(NamedTuple):
    """Rows as a table named ``v`` (columns column1, column2, …) in a statement."""

    sql: str
    parameters: tuple[object, ...]  # obligation, cursor as read, cursor to set


class Occurrence(NamedTuple):
    """A ladder occurrence to record (a row of ``reminder``); one already recorded is kept."""

    obligation_id: int
    step: str
    repeat: int
    state: str  # due, skipped
    late_flag: bool
    recipients: tuple[str, ...]
    scheduled_at: datetime
    recorded_at: datetime


class _Moments:
    """Moments as the schema's ``UTCDateTime`` turns them into stored values (``stored``) and
    back (``read``), and as a batch's rows carry them (``row``: on PostgreSQL the stored value's
    ISO text, since the rows travel as JSON), each distinct value converted once."""

    def __init__(self, dialect: Dialect) -> None:
        impl = UTCDateTime().dialect_impl(dialect)
        self._as_text = dialect.name == "postgresql"
        self._row: dict[datetime, object] = {}
        self._to: Callable[[Any], Any] = impl.bind_processor(dialect) or (lambda value: value)
        self._from: Callable[[Any], Any] = impl.result_processor(dialect, None) or (
            lambda value: value
        )
        self._stored: dict[datetime, object] = {}
        self._read: dict[object, datetime] = {}

    def stored(self, value: datetime | None) -> object:
        if value is None:
            return None
        found = self._stored.get(value)
        if found is None:
            found = self._stored[value] = self._to(value)
        return found

    def row(self, value: datetime | None) -> object:
        if value is None or not self._as_text:
            return self.stored(value)
        found = self._row.get(value)
        if found is None:
            stored = self.stored(value)
            assert isinstance(stored, datetime)
            found = self._row[value] = stored.isoformat()
        return found

    def read(self, value: object) -> datetime | None:
        if value is None:
            return None
        found = self._read.get(value)
        if found is None:
            found = self._read[value] = self._from(value)
        return found


def overlapping(engine: Engine) -> bool:
    """Whether a wave's batch can be recorded on one connection while the next is read on
    another: on PostgreSQL the reading locks its rows and skips those another transaction holds
    (``due_for_action``); SQLite takes one writer at a time."""
    return engine.dialect.name == "postgresql"


class WaveQueries(Queries):
    def _dialect(self) -> tuple[Dialect, _Moments]:
        """The session's dialect, and its moments."""
        dialect = self.session.get_bind().dialect
        return dialect, _Moments(dialect)

    def due_for_action(self, now: datetime, limit: int) -> list[Obligation]:
        """Open obligations whose next moment has come, oldest first: the only sweep query.

        On PostgreSQL the rows are locked and rows another sweep holds are skipped, so replicas
        sweep different obligations (the compare-and-set of ``advance_many`` still decides)."""
        dialect, moments = self._dialect()
        postgresql = dialect.name == "postgresql"
        mark = "%s" if postgresql else "?"
        rows = self.session.connection().exec_driver_sql(
            f"SELECT {', '.join(_READ)} FROM obligation "
            "LEFT OUTER JOIN case_file ON case_file.id = obligation.case_id "
            f"WHERE obligation.next_action_at <= {mark} "
            f"AND (obligation.hold_until IS NULL OR obligation.hold_until <= {mark}) "
            f"ORDER BY obligation.next_action_at, obligation.id LIMIT {mark}"
            + (" FOR UPDATE OF obligation SKIP LOCKED" if postgresql else ""),
            (moments.stored(now), moments.stored(now), limit),
        )
        found = []
        for row in rows:
            values = list(row)
            for i in _READ_MOMENTS:
                values[i] = moments.read(values[i])
            found.append(Obligation(*values))
        return found

    def advance_many(self, moves: Sequence[Move]) -> set[int]:
        """Compare-and-set of ``next_action_at`` (and clear ``hold_until``) for many obligations
        in one statement (per slice, on SQLite); the ids whose cursor this call moved."""
        dialect, moments = self._dialect()
        rows = [(o, moments.row(expected), moments.row(new)) for o, expected, new in moves]
        taken: set[int] = set()
        for values in self._values(
            dialect, "obligation", ("id", "next_action_at", "next_action_at"), rows
        ):
            result = self.session.connection().exec_driver_sql(
                "UPDATE obligation SET next_action_at = v.column3, hold_until = NULL "
                f"FROM {values.sql} "
                "WHERE obligation.id = v.column1 AND obligation.next_action_at = v.column2 "
                "RETURNING obligation.id",
                values.parameters,
            )
            taken.update(row[0] for row in result)
        return taken

    def add_reminders(self, occurrences: Sequence[Occurrence]) -> None:
        """Record occurrences, one statement per slice (on PostgreSQL one ``COPY``); one
        already recorded is left alone."""
        if not occurrences:
            return
        dialect, moments = self._dialect()
        rows = [
            (*o[:5], json.dumps(o.recipients), moments.row(o[6]), moments.row(o[7]))
            for o in occurrences
        ]
        if dialect.name == "postgresql" and bulk.copied(
            self.session.connection(), "reminder", Occurrence._fields, rows
        ):
            return
        conflict = " ON CONFLICT (obligation_id, step, repeat) DO NOTHING"
        self._insert(dialect, "reminder", Occurrence._fields, rows, conflict)

    def audit_many(self, entries: Sequence[dict[str, Any]]) -> None:
        """Audit entries, one statement per slice: each a dict of ``at``, ``actor``, ``action``,
        ``obligation_id``, ``case_code`` and ``detail`` (a dict, stored as JSON)."""
        dialect, moments = self._dialect()
        columns = ("at", "actor", "action", "obligation_id", "case_code", "detail")
        rows = [
            (
                moments.row(e["at"]),
                e["actor"],
                e["action"],
                e["obligation_id"],
                e["case_code"],
                _DETAIL.encode(e["detail"]),
            )
            for e in entries
        ]
        if dialect.name == "postgresql":
            bulk.copy(self.session.connection(), "audit", columns, rows)
        else:
            self._insert(dialect, "audit", columns, rows)

    def _insert(
        self,
        dialect: Dialect,
        table: str,
        columns: Sequence[str],
        rows: Iterable[Sequence[object]],
        suffix: str = "",
    ) -> None:
        for values in self._values(dialect, table, columns, list(rows)):
            self.session.connection().exec_driver_sql(
                # WHERE: SQLite would read an upsert's ON as a join's
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT * FROM {values.sql} "
                f"WHERE true{suffix}",
                values.parameters,
            )

    @staticmethod
    def _values(
        dialect: Dialect, table: str, columns: Sequence[str], rows: Sequence[Sequence[object]]
    ) -> Iterator[_Values]:
        """``rows`` as a table ``v`` (columns column1, column2, …) in a statement, typed as
        ``columns`` of ``table`` are. On PostgreSQL the rows are one JSON parameter, read by the
        server, whatever their number: a statement of thousands of ``%s``, or arrays of text,
        cost psycopg more in Python to parse or escape than the server to run. On SQLite, whose
        driver binds in C, a VALUES list per slice."""
        if not rows:
            return
        if dialect.name == "postgresql":
            stored = SQLModel.metadata.tables[table].c
            fields = ", ".join(
                f"(e->>{n})::{stored[c].type.compile(dialect=dialect)} AS column{n + 1}"
                for n, c in enumerate(columns)
            )
            yield _Values(
                f"(SELECT {fields} FROM json_array_elements(%s::json) AS e) AS v",
                (_ROWS.encode(rows),),
            )
            return
        one = f"({', '.join(['?'] * len(columns))})"
        for some in slices(rows):
            yield _Values(
                f"(VALUES {', '.join([one] * len(some))}) AS v",
                tuple(value for row in some for value in row),
            )
