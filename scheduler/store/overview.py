"""The leaders' overview at national scale: the unit tree without contacts, and what is overdue,
due soon, recently submitted and flagged late, each read in one statement for the units a
leader reaches (``units=None``: every unit), as plain rows, counted by the database where the
page shows only counts.

``ix_obligation_open_due`` (submitted_at, due_at) serves the open and the submitted reports; a
unit's obligations come by ``ix_obligation_unit``, its late flags by their obligation."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import case, func, or_, select
from sqlmodel import SQLModel

from scheduler.records import Obligation
from scheduler.store.base import Queries

_UNIT = SQLModel.metadata.tables["unit"]
_OBLIGATION = SQLModel.metadata.tables["obligation"]
_CASE = SQLModel.metadata.tables["case_file"]
_REMINDER = SQLModel.metadata.tables["reminder"]
_FIELDS = frozenset(Obligation.__dataclass_fields__)
WIDE = 5_000  # more units than this are kept after reading, not bound into an IN list


class Branch(NamedTuple):
    """A unit as the tree and the pages need it: its code, name and present parent."""

    code: str
    name: str
    parent: str | None


class OverviewQueries(Queries):
    def unit_tree(self) -> dict[str, Branch]:
        """Every unit's code, name and parent (no contacts), by code."""
        rows = self.session.connection().execute(
            select(_UNIT.c.code, _UNIT.c.name, _UNIT.c.parent).order_by(_UNIT.c.code)
        )
        return {code: Branch(code, name, parent) for code, name, parent in rows}

    def subtree(self, code: str) -> dict[str, Branch]:
        """``code``, every unit below it (by present parent), and its own parent, whose name
        heads ``code``'s own reports: a province's few hundred units, not the country's."""
        start = select(_UNIT.c.code).where(_UNIT.c.code == code).cte("below", recursive=True)
        below = start.union(select(_UNIT.c.code).where(_UNIT.c.parent == start.c.code))
        above = select(_UNIT.c.parent).where(_UNIT.c.code == code).scalar_subquery()
        rows = self.session.connection().execute(
            select(_UNIT.c.code, _UNIT.c.name, _UNIT.c.parent)
            .where(or_(_UNIT.c.code.in_(select(below.c.code)), _UNIT.c.code == above))
            .order_by(_UNIT.c.code)
        )
        return {code: Branch(code, name, parent) for code, name, parent in rows}

    def open_due_counts(
        self, now: datetime, by: datetime, units: Collection[str] | None, kind: str | None = None
    ) -> dict[str, tuple[int, int]]:
        """Per unit of ``units`` with open reports due by ``by`` (of ``kind`` if given): how
        many are overdue at ``now``, and how many are not yet."""
        overdue = func.sum(case((_OBLIGATION.c.due_at < now, 1), else_=0))
        query = (
            select(_OBLIGATION.c.unit, overdue, func.count())
            .where(*_open_due(by))
            .group_by(_OBLIGATION.c.unit)
        )
        if kind is not None:
            query = query.where(_OBLIGATION.c.kind == kind)
        rows = self.session.connection().execute(_within(query, units))
        return {
            unit: (int(late), count - int(late))
            for unit, late, count in rows
            if units is None or unit in units
        }

    def open_due_by(
        self, by: datetime, units: Collection[str] | None, kind: str | None = None
    ) -> list[Obligation]:
        """Open reports of ``units`` due by ``by`` (overdue ones included), of ``kind`` if
        given, earliest due first."""
        query = self._of(units, kind).where(*_open_due(by))
        return self._read(query.order_by(_OBLIGATION.c.due_at, _OBLIGATION.c.id), units)

    def submitted_since(
        self,
        since: datetime,
        units: Collection[str] | None,
        kind: str | None = None,
        limit: int | None = None,
    ) -> list[Obligation]:
        """Reports of ``units`` submitted since ``since`` (of ``kind`` if given), the latest
        submitted first (then the earliest due); at most ``limit``."""
        query = (
            self._of(units, kind)
            .where(_OBLIGATION.c.submitted_at >= since)
            .order_by(_OBLIGATION.c.submitted_at.desc(), _OBLIGATION.c.due_at, _OBLIGATION.c.id)
        )
        if limit is not None and (units is None or len(units) <= WIDE):
            query = query.limit(limit)
        return self._read(query, units)[:limit]

    def count_submitted_since(
        self, since: datetime, units: Collection[str] | None, kind: str | None = None
    ) -> int:
        """How many reports of ``units`` were submitted since ``since`` (of ``kind`` if given)."""
        recent = [_OBLIGATION.c.submitted_at >= since]
        if kind is not None:
            recent.append(_OBLIGATION.c.kind == kind)
        connection = self.session.connection()
        if units is not None and len(units) > WIDE:  # no GROUP BY: SQLite would scan by unit
            found = connection.execute(select(_OBLIGATION.c.unit).where(*recent)).scalars()
            return sum(unit in units for unit in found)
        query = _within(select(func.count()).select_from(_OBLIGATION).where(*recent), units)
        return int(connection.execute(query).scalar_one())

    def late_flag_times(self, since: datetime, units: Collection[str] | None) -> list[datetime]:
        """When each late flag recorded since ``since`` against ``units`` was recorded."""
        flags = _REMINDER.c.late_flag, _REMINDER.c.recorded_at >= since
        if units is None:
            query = select(_REMINDER.c.recorded_at).where(*flags)
            return list(self.session.connection().execute(query).scalars())
        query = (
            select(_OBLIGATION.c.unit, _REMINDER.c.recorded_at)
            .select_from(_REMINDER.join(_OBLIGATION, _OBLIGATION.c.id == _REMINDER.c.obligation_id))
            .where(*flags)
        )
        rows = self.session.connection().execute(_within(query, units))
        return [at for unit, at in rows if unit in units]

    def _of(self, units: Collection[str] | None, kind: str | None) -> Any:
        query = select(*_OBLIGATION.c, _CASE.c.code.label("case_code")).select_from(
            _OBLIGATION.outerjoin(_CASE, _CASE.c.id == _OBLIGATION.c.case_id)
        )
        if kind is not None:
            query = query.where(_OBLIGATION.c.kind == kind)
        return _within(query, units)

    def _read(self, query: Any, units: Collection[str] | None) -> list[Obligation]:
        return [
            Obligation(**{k: v for k, v in row.items() if k in _FIELDS})
            for row in self.session.connection().execute(query).mappings()
            if units is None or row["unit"] in units
        ]


def _open_due(by: datetime) -> tuple[Any, ...]:
    """Open (neither submitted nor answered for by a successor's report) and due by ``by``."""
    return (
        _OBLIGATION.c.submitted_at.is_(None),
        _OBLIGATION.c.superseded_by.is_(None),
        _OBLIGATION.c.due_at <= by,
    )


def _within(query: Any, units: Collection[str] | None) -> Any:
    """``query`` for ``units`` when they are few enough to name; the caller keeps only their
    rows when they are not (``WIDE``)."""
    if units is None or len(units) > WIDE:
        return query
    return query.where(_OBLIGATION.c.unit.in_(sorted(units)))
