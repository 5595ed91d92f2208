"""The reports that fell due in a span, for the leaders' reporting rates: one set-based query
(a national year is some 50,000 rows), whatever the number of units."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import SQLModel

from scheduler.store.base import Queries
from scheduler.timeliness import Expected

_OBLIGATION = SQLModel.metadata.tables["obligation"]
_CASE = SQLModel.metadata.tables["case_file"]


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
        return [Expected(*row) for row in self.session.connection().execute(query)]
