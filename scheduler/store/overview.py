"""The leaders' overview at national scale: the unit tree without contacts, and what is overdue,
due soon, recently submitted and flagged late, each read in one statement for the units a
leader reaches (``units=None``: every unit), as plain rows.

``ix_obligation_open_due`` (submitted_at, due_at) serves the open and the submitted; a unit's
obligations come by ``ix_obligation_unit``; late flags by their obligation."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlmodel import SQLModel

from scheduler.records import Obligation
from scheduler.store.base import Queries

_UNIT = SQLModel.metadata.tables["unit"]
_OBLIGATION = SQLModel.metadata.tables["obligation"]
_CASE = SQLModel.metadata.tables["case_file"]
_REMINDER = SQLModel.metadata.tables["reminder"]
_FIELDS = frozenset(Obligation.__dataclass_fields__)
WIDE = 5_000  # more units than this are filtered after reading, not bound into an IN list


class Branch(NamedTuple):
    """A unit as the tree and the pages need it: its code, name and present parent."""

    code: str
    name: str
    parent: str | None


class OverviewQueries(Queries):
    def unit_tree(self) -> dict[str, Branch]:
        """Every unit's code, name and parent (no contacts: a national tree reads in
        milliseconds), by code."""
        rows = self.session.connection().execute(
            select(_UNIT.c.code, _UNIT.c.name, _UNIT.c.parent).order_by(_UNIT.c.code)
        )
        return {code: Branch(code, name, parent) for code, name, parent in rows}

    def open_due_by(
        self, moment: datetime, units: Collection[str] | None, kind: str | None = None
    ) -> list[Obligation]:
        """Open obligations of ``units`` due by ``moment`` (overdue ones included), of ``kind``
        if given, earliest due first."""
        query = self._of(units, kind).where(
            _OBLIGATION.c.submitted_at.is_(None),
            _OBLIGATION.c.superseded_by.is_(None),
            _OBLIGATION.c.due_at <= moment,
        )
        return self._read(query, units)

    def submitted_since(
        self, since: datetime, units: Collection[str] | None, kind: str | None = None
    ) -> list[Obligation]:
        """Obligations of ``units`` submitted since ``since``, of ``kind`` if given, earliest
        due first."""
        query = self._of(units, kind).where(_OBLIGATION.c.submitted_at >= since)
        return self._read(query, units)

    def late_flag_times(self, since: datetime, units: Collection[str] | None) -> list[datetime]:
        """When each late flag recorded since ``since`` against ``units`` was recorded."""
        query = (
            select(_OBLIGATION.c.unit, _REMINDER.c.recorded_at)
            .select_from(_REMINDER.join(_OBLIGATION, _OBLIGATION.c.id == _REMINDER.c.obligation_id))
            .where(_REMINDER.c.late_flag, _REMINDER.c.recorded_at >= since)
        )
        rows = self.session.connection().execute(_within(query, units))
        return [at for unit, at in rows if units is None or unit in units]

    def _of(self, units: Collection[str] | None, kind: str | None) -> Any:
        query = select(*_OBLIGATION.c, _CASE.c.code.label("case_code")).select_from(
            _OBLIGATION.outerjoin(_CASE, _CASE.c.id == _OBLIGATION.c.case_id)
        )
        if kind is not None:
            query = query.where(_OBLIGATION.c.kind == kind)
        return _within(query, units).order_by(_OBLIGATION.c.due_at, _OBLIGATION.c.id)

    def _read(self, query: Any, units: Collection[str] | None) -> list[Obligation]:
        return [
            Obligation(**{k: v for k, v in row.items() if k in _FIELDS})
            for row in self.session.connection().execute(query).mappings()
            if units is None or row["unit"] in units
        ]


def _within(query: Any, units: Collection[str] | None) -> Any:
    """``query`` for ``units`` when they are few enough to name; the caller keeps only their
    rows when they are not (``WIDE``)."""
    if units is None or len(units) > WIDE:
        return query
    return query.where(_OBLIGATION.c.unit.in_(sorted(units)))
