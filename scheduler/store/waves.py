"""A wave's writes in a few statements per batch: the sweep's compare-and-set of many
obligations at once, and audit entries in bulk.

The compare-and-set is one ``UPDATE … FROM (VALUES …) AS v … RETURNING``, written once for SQLite
(3.35 or later) and PostgreSQL (both name a VALUES list's columns column1, column2, …): each row
moves only if its cursor is still where the sweep read it, and the ids that come back are the
rows this sweep took. A concurrent sweep that moved a row first keeps it (on PostgreSQL the
UPDATE waits for that sweep's transaction and re-reads the row, so it finds the cursor moved and
returns nothing for it).

It must begin with ``UPDATE``: Python's sqlite3 opens its implicit transaction only before a
statement that starts with INSERT, UPDATE, DELETE or REPLACE, and a ``WITH … UPDATE`` committed
on its own, before the reminders it goes with (tests/test_storage.py proves it is undone with
them).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import SQLModel

from scheduler.store.base import Queries, slices
from scheduler.store.schema import UTCDateTime

_AUDIT = SQLModel.metadata.tables["audit"]

Move = tuple[int, datetime | None, datetime | None]  # obligation, cursor as read, cursor to set


class WaveQueries(Queries):
    def advance_many(self, moves: Sequence[Move]) -> set[int]:
        """Compare-and-set of ``next_action_at`` (and clear ``hold_until``) for many obligations
        in one statement per slice; the ids whose cursor this call moved.

        The statement goes to the driver as it is (thousands of bound values would cost more
        to compile and cache than to run); the cursors are converted as the schema stores them."""
        taken: set[int] = set()
        dialect = self.session.get_bind().dialect
        convert = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)

        def stored(value: datetime | None) -> object:
            return convert(value) if convert else value

        if dialect.name == "postgresql":  # psycopg's placeholders; NULL needs a type in VALUES
            placeholders = "(%s::integer, %s::timestamptz, %s::timestamptz)"
        else:
            placeholders = "(?, ?, ?)"
        connection = self.session.connection()
        for some in slices(moves):
            values: list[object] = []
            for obligation, expected, new in some:
                values += [obligation, stored(expected), stored(new)]
            result = connection.exec_driver_sql(
                "UPDATE obligation SET next_action_at = v.column3, hold_until = NULL "
                f"FROM (VALUES {', '.join([placeholders] * len(some))}) AS v "
                "WHERE obligation.id = v.column1 AND obligation.next_action_at = v.column2 "
                "RETURNING obligation.id",
                tuple(values),
            )
            taken.update(row[0] for row in result)
        return taken

    def audit_many(self, entries: Sequence[dict[str, Any]]) -> None:
        """Audit entries in one statement: each a dict of ``at``, ``actor``, ``action``,
        ``obligation_id``, ``case_code`` and ``detail`` (a dict, stored as JSON)."""
        if entries:
            self.session.connection().execute(
                _AUDIT.insert(),
                [
                    {**e, "detail": json.dumps(e["detail"], ensure_ascii=False, default=str)}
                    for e in entries
                ],
            )
