"""A wave's writes in a few statements per batch: the sweep's compare-and-set of many
obligations at once, and audit entries in bulk.

The compare-and-set is one ``WITH v(…) AS (VALUES …) UPDATE … FROM v … RETURNING``, written once
for SQLite (3.35 or later) and PostgreSQL: each row moves only if its cursor is still where the
sweep read it, and the ids that come back are the rows this sweep took. A concurrent sweep that
moved a row first keeps it (on PostgreSQL the UPDATE waits for that sweep's transaction and
re-reads the row, so it finds the cursor moved and returns nothing for it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, Integer, bindparam, text
from sqlmodel import SQLModel

from scheduler.store.base import Queries, slices
from scheduler.store.schema import UTCDateTime

_AUDIT = SQLModel.metadata.tables["audit"]

Move = tuple[int, datetime | None, datetime | None]  # obligation, cursor as read, cursor to set


class WaveQueries(Queries):
    def advance_many(self, moves: Sequence[Move]) -> set[int]:
        """Compare-and-set of ``next_action_at`` (and clear ``hold_until``) for many obligations
        in one statement per slice; the ids whose cursor this call moved."""
        taken: set[int] = set()
        postgres = self.session.get_bind().dialect.name == "postgresql"
        connection = self.session.connection()
        for some in slices(moves):
            rows: list[str] = []
            binds: list[BindParameter[Any]] = []
            values: dict[str, object] = {}
            for n, (obligation, expected, new) in enumerate(some):
                names = (f"o{n}", f"e{n}", f"n{n}")
                if postgres:  # NULL cursors need a type in VALUES
                    rows.append(
                        f"(CAST(:{names[0]} AS INTEGER), CAST(:{names[1]} AS TIMESTAMPTZ), "
                        f"CAST(:{names[2]} AS TIMESTAMPTZ))"
                    )
                else:
                    rows.append(f"(:{names[0]}, :{names[1]}, :{names[2]})")
                binds += [
                    bindparam(names[0], type_=Integer),
                    bindparam(names[1], type_=UTCDateTime),
                    bindparam(names[2], type_=UTCDateTime),
                ]
                values.update(zip(names, (obligation, expected, new), strict=True))
            statement = text(
                f"WITH v(oid, expected, new) AS (VALUES {', '.join(rows)}) "
                "UPDATE obligation SET next_action_at = v.new, hold_until = NULL FROM v "
                "WHERE obligation.id = v.oid AND obligation.next_action_at = v.expected "
                "RETURNING id"
            ).bindparams(*binds)
            taken.update(row[0] for row in connection.execute(statement, values))
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
