"""The reports that fell due in a span, for the leaders' reporting rates: one set-based query
(a national year is some 50,000 rows), whatever the number of units."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import SQLModel

from scheduler.hierarchy.units import Unit
from scheduler.reports.timeliness import Expected
from scheduler.store.base import Queries

_OBLIGATION = SQLModel.metadata.tables["obligation"]
_CASE = SQLModel.metadata.tables["case_file"]
_UNIT = SQLModel.metadata.tables["unit"]


class TimelinessQueries(Queries):
    def expected_reports(
        self, start: datetime, end: datetime, kind: str | None = None
    ) -> list[Expected]:
        """Every report due from ``start`` to ``end`` (both included) that its unit owes: a
        report the successor's own report answers for (superseded) is left out."""
        o = _OBLIGATION.c
        query = (
            select(o.unit, o.kind, o.period, _CASE.c.verified_at, o.due_at, o.submitted_at)
            .select_from(_OBLIGATION.outerjoin(_CASE, _CASE.c.id == o.case_id))
            .where(o.due_at >= start, o.due_at <= end, o.superseded_by.is_(None))
        )
        if kind is not None:
            query = query.where(o.kind == kind)
        return [Expected(*row) for row in self.session.connection().execute(query).all()]

    def unit_lives(self) -> dict[str, Unit]:
        """Every unit with its parent and its life, without contacts (the national file's
        contacts are twice as many rows, and reporting rates do not need them)."""
        u = _UNIT.c
        query = select(u.code, u.name, u.kind, u.parent, u.email, u.valid_from, u.valid_to)
        rows = self.session.connection().execute(query.add_columns(u.successor)).all()
        return {
            code: Unit(code, name, kind, parent, email, {}, start, end, successor)
            for code, name, kind, parent, email, start, end, successor in rows
        }
