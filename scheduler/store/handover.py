"""Handing obligations over when a unit closes: move, supersede, and re-address unsent steps."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

from sqlalchemy import func
from sqlmodel import col, select, update

from scheduler.store.base import Queries
from scheduler.store.schema import ObligationRow, ReminderRow


class HandoverQueries(Queries):
    def move(self, obligation_id: int, to_unit: str) -> bool:
        """Hand an open obligation to another unit; ``moved_from`` keeps the first one that owed
        it. False when it was submitted or superseded meanwhile."""
        result = self.session.exec(
            update(ObligationRow)
            .where(col(ObligationRow.id) == obligation_id)
            .where(col(ObligationRow.submitted_at).is_(None))
            .where(col(ObligationRow.superseded_by).is_(None))
            .values(
                unit=to_unit,
                moved_from=func.coalesce(col(ObligationRow.moved_from), col(ObligationRow.unit)),
            )
        )
        return bool(result.rowcount == 1)

    def supersede(self, obligation_id: int, by: int) -> bool:
        """The obligation is answered by another (the successor's for the same period)."""
        result = self.session.exec(
            update(ObligationRow)
            .where(col(ObligationRow.id) == obligation_id)
            .where(col(ObligationRow.submitted_at).is_(None))
            .where(col(ObligationRow.superseded_by).is_(None))
            .values(superseded_by=by, next_action_at=None)
        )
        return bool(result.rowcount == 1)

    def same_period(self, unit: str, kind: str, period: str) -> int | None:
        """The id of ``unit``'s obligation of this kind and period, if it has one."""
        return self.session.exec(
            select(ObligationRow.id)
            .where(ObligationRow.unit == unit)
            .where(ObligationRow.kind == kind)
            .where(ObligationRow.period == period)
            .where(col(ObligationRow.superseded_by).is_(None))
            .order_by(col(ObligationRow.id))
        ).first()

    def moved_in(self, periods: Iterable[str]) -> set[tuple[str, str, str | None]]:
        """(unit, kind, period) of the obligations of these periods that a unit took over."""
        rows = self.session.exec(
            select(ObligationRow.unit, ObligationRow.kind, ObligationRow.period)
            .where(col(ObligationRow.moved_from).is_not(None))
            .where(col(ObligationRow.period).in_(sorted(set(periods))))
        )
        return {(unit, kind, period) for unit, kind, period in rows}

    def keys_in_periods(self, periods: Iterable[str | None]) -> set[str]:
        """The keys of every obligation stored for these periods, in one query: what the
        periodic job need not create again."""
        rows = self.session.exec(
            select(ObligationRow.key).where(
                col(ObligationRow.period).in_(sorted({p for p in periods if p is not None}))
            )
        )
        return set(rows)

    def unsent_steps(self, obligation_id: int) -> list[tuple[int, str]]:
        """(reminder id, step) of the steps recorded but not yet turned into mail, late flags
        aside: a late flag stays addressed where it was raised."""
        rows = self.session.exec(
            select(ReminderRow.id, ReminderRow.step)
            .where(ReminderRow.obligation_id == obligation_id)
            .where(ReminderRow.state == "due")
            .where(col(ReminderRow.composed_at).is_(None))
            .where(col(ReminderRow.late_flag).is_(False))
        )
        return [(int(reminder_id), step) for reminder_id, step in rows if reminder_id is not None]

    def readdress(self, reminder_id: int, recipients: Sequence[str]) -> None:
        self.session.exec(
            update(ReminderRow)
            .where(col(ReminderRow.id) == reminder_id)
            .values(recipients=json.dumps(list(recipients)))
        )
