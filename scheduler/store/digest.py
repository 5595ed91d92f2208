"""What the district's daily digest asks of the database. A digest composed at ``as_of`` covers
the moments since the previous one (``since``): obligations late then, reports received since,
reminders that reached the units, mail that could not be delivered, mail the intake could not
match."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from scheduler.records import Obligation
from scheduler.store.base import Queries
from scheduler.store.intake import UNSETTLED
from scheduler.store.schema import (
    AuditRow,
    CaseRow,
    IntakeMailRow,
    MessageItemRow,
    MessageRow,
    ObligationRow,
    ReminderRow,
    UnitRow,
)


def _below_a_parent() -> Any:
    """Obligations (with their case code) of units that report to a parent: the only ones a
    digest lists."""
    return (
        select(ObligationRow, CaseRow.code)
        .join(UnitRow, col(UnitRow.code) == col(ObligationRow.unit))
        .where(col(UnitRow.parent).is_not(None))
    )


class DigestQueries(Queries):
    def digest_inputs(self) -> tuple[Any, ...]:
        """A mark of everything a digest is made of, in one query: the newest reminder (late
        flags), audit entry (submissions, confirmations, failed mail, units) and report mail
        seen. The same mark twice: nothing a digest would say has changed in between."""
        return tuple(
            self.session.execute(
                sa_select(
                    sa_select(func.max(ReminderRow.id)).scalar_subquery(),
                    sa_select(func.max(AuditRow.id)).scalar_subquery(),
                    sa_select(func.max(IntakeMailRow.id)).scalar_subquery(),
                )
            ).one()
        )

    def late(self, since: datetime, as_of: datetime) -> list[Obligation]:
        """Obligations late and not submitted at ``as_of``, and those flagged late since
        ``since`` but submitted by ``as_of`` (the district still hears of them)."""
        late_then = self._obligations(
            _below_a_parent()
            .where(
                or_(
                    col(ObligationRow.submitted_at).is_(None),
                    col(ObligationRow.submitted_at) > as_of,
                )
            )
            .where(col(ObligationRow.superseded_by).is_(None))
            .where(col(ObligationRow.due_at) < as_of)
        )
        flagged = (
            select(ReminderRow.obligation_id)
            .where(col(ReminderRow.late_flag))
            .where(col(ReminderRow.recorded_at) >= since)
            .where(col(ReminderRow.recorded_at) <= as_of)
        )
        flagged_then_submitted = self._obligations(
            _below_a_parent()
            .where(col(ObligationRow.id).in_(flagged))
            .where(col(ObligationRow.submitted_at) <= as_of)
        )
        return [*late_then, *flagged_then_submitted]

    def received(self, since: datetime, until: datetime, as_of: datetime) -> list[Obligation]:
        """Submissions recorded in [since, until) and not confirmed by ``as_of``: what the
        receiving unit is asked to confirm or dispute."""
        return self._obligations(
            _below_a_parent()
            .where(col(ObligationRow.submission_recorded_at) >= since)
            .where(col(ObligationRow.submission_recorded_at) < until)
            .where(
                or_(
                    col(ObligationRow.confirmed_at).is_(None),
                    col(ObligationRow.confirmed_at) > as_of,
                )
            )
        )

    def reminders_sent(self, obligation_ids: Sequence[int], until: datetime) -> dict[int, int]:
        """How many ladder steps of each obligation reached at least one person by ``until``."""
        if not obligation_ids:
            return {}
        counted = self.session.exec(
            select(
                MessageItemRow.obligation_id, func.count(func.distinct(MessageItemRow.reminder_id))
            )
            .join(MessageRow, col(MessageRow.id) == col(MessageItemRow.message_id))
            .where(col(MessageRow.state) == "sent")
            .where(col(MessageRow.finished_at) <= until)
            .where(col(MessageItemRow.obligation_id).in_(list(obligation_ids)))
            .group_by(col(MessageItemRow.obligation_id))
        ).all()
        return {obligation: int(n) for obligation, n in counted}

    def undelivered(
        self, since: datetime, until: datetime
    ) -> list[tuple[str, str, str | None, str]]:
        """(parent of the unit, recipient, the server's answer, subject) of the reminders that
        could not be delivered between ``since`` and ``until``."""
        failed = self.session.exec(
            select(UnitRow.parent, MessageRow.recipient, MessageRow.last_error, MessageRow.subject)
            .join(UnitRow, col(UnitRow.code) == col(MessageRow.unit))
            .where(col(MessageRow.state).in_(["failed", "refused"]))
            .where(col(MessageRow.finished_at) >= since)
            .where(col(MessageRow.finished_at) <= until)
            .where(col(UnitRow.parent).is_not(None))
            .order_by(col(MessageRow.id))
        ).all()
        return [(p, r, e, s) for p, r, e, s in failed if p is not None]

    def unsettled_units(self, since: datetime, until: datetime) -> set[str]:
        """The receiving units with mail recorded in [since, until) that matched nothing: each
        lists it as "thư chưa khớp" (``unmatched_between``)."""
        units = self.session.exec(
            select(IntakeMailRow.unit)
            .where(col(IntakeMailRow.outcome).in_(UNSETTLED))
            .where(col(IntakeMailRow.recorded_at) >= since)
            .where(col(IntakeMailRow.recorded_at) < until)
            .distinct()
        )
        return {unit for unit in units if unit is not None}

    def last_digest_before(self, moment: datetime) -> datetime | None:
        """When the latest digest composed before ``moment`` was composed, for any unit."""
        last: datetime | None = self.session.exec(
            select(func.max(MessageRow.created_at))
            .where(col(MessageRow.template) == "digest")
            .where(col(MessageRow.created_at) < moment)
        ).one()
        return last

    def composed(self, message_id: int) -> tuple[str | None, datetime]:
        """(the unit it is about, when it was composed) of a queued message."""
        row = self.session.get(MessageRow, message_id)
        assert row is not None
        return row.unit, row.created_at
