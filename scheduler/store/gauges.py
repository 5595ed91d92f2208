"""What ``/metrics`` reads of the database: open obligations counted per kind and unit (or per
kind and parent unit), and the outbox by state. Counted by the database (``GROUP BY``), so a
national deployment's 300,000 open obligations come back as one row per series, not per row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import DateTime, case, func, literal, select, type_coerce
from sqlmodel import col

from scheduler.records import UnitLabels
from scheduler.store.base import Queries
from scheduler.store.schema import MessageRow, ObligationRow, UnitRow


@dataclass(frozen=True)
class OpenCount:
    """Open obligations of one series: ``unit`` is empty when counted per parent."""

    kind: str
    unit: str
    parent: str
    open: int
    overdue: int
    oldest_due: datetime | None  # the earliest deadline already passed, if any


@dataclass(frozen=True)
class Outbox:
    states: dict[str, int]
    oldest_waiting: datetime | None  # when the oldest pending or sending message was created


def _utc(value: datetime | None) -> datetime | None:
    """A moment as the driver gives it (SQLite: naive UTC), aware. Not converted to Vietnam
    time as rows are: only a difference is taken, and that costs a second per 100,000."""
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


class GaugeQueries(Queries):
    def open_counts(self, now: datetime, by: UnitLabels) -> list[OpenCount]:
        """Obligations neither submitted nor superseded, per kind and ``by`` (unit or parent),
        with how many are past their deadline at ``now`` and the earliest such deadline."""
        due = col(ObligationRow.due_at)
        late = due < now
        parent = func.coalesce(col(UnitRow.parent), "")
        unit = literal("") if by == "parent" else col(ObligationRow.unit)
        group = [col(ObligationRow.kind), parent] + ([] if by == "parent" else [unit])
        query = (
            select(
                col(ObligationRow.kind),
                unit,
                parent,
                func.count(),
                func.sum(case((late, 1), else_=0)),
                type_coerce(func.min(case((late, due))), DateTime(timezone=True)),
            )
            .join(UnitRow, col(UnitRow.code) == col(ObligationRow.unit))
            .where(col(ObligationRow.submitted_at).is_(None))
            .where(col(ObligationRow.superseded_by).is_(None))
            .group_by(*group)
            .order_by(*group)
        )
        return [
            OpenCount(kind, code, up, n, int(n_late or 0), _utc(oldest))
            for kind, code, up, n, n_late, oldest in self.session.connection().execute(query)
        ]

    def outbox(self) -> Outbox:
        states = (
            self.session.connection()
            .execute(select(col(MessageRow.state), func.count()).group_by(col(MessageRow.state)))
            .all()
        )
        first = (
            self.session.connection()
            .execute(
                select(func.min(col(MessageRow.created_at))).where(
                    col(MessageRow.state).in_(["pending", "sending"])
                )
            )
            .scalar_one()
        )
        return Outbox({state: n for state, n in states}, first)
