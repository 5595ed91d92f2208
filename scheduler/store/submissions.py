"""Submissions and the receiving unit's word on them: record, confirm, dispute, list for a digest.

Each write is a compare-and-set whose row count says whether it happened, so a link clicked
twice, or two daemons seeing the same report mail, change the obligation once.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, update

from scheduler.store.base import Queries
from scheduler.store.schema import ObligationRow


class SubmissionQueries(Queries):
    def mark_submitted(self, obligation_id: int, at: datetime, via: str, now: datetime) -> bool:
        """Record the submission once; False when it was already recorded. A dispute of an
        earlier submission is answered by this one, so its mark goes."""
        result = self.session.exec(
            update(ObligationRow)
            .where(col(ObligationRow.id) == obligation_id)
            .where(col(ObligationRow.submitted_at).is_(None))
            .values(
                submitted_at=at,
                next_action_at=None,
                submitted_via=via,
                submission_recorded_at=now,
                disputed_at=None,
            )
        )
        return bool(result.rowcount == 1)

    def confirm(self, obligation_id: int, now: datetime, actor: str) -> bool:
        """The receiving unit confirms a recorded submission; False unless one awaits it."""
        result = self.session.exec(
            update(ObligationRow)
            .where(col(ObligationRow.id) == obligation_id)
            .where(col(ObligationRow.submitted_at).is_not(None))
            .where(col(ObligationRow.confirmed_at).is_(None))
            .values(confirmed_at=now, confirmed_by=actor)
        )
        return bool(result.rowcount == 1)

    def reopen(
        self, obligation_id: int, submitted_at: datetime, resume_at: datetime, now: datetime
    ) -> bool:
        """A disputed submission is undone: the obligation is open again, marked disputed, and
        its reminders resume from ``resume_at``. False when the submission changed meanwhile."""
        result = self.session.exec(
            update(ObligationRow)
            .where(col(ObligationRow.id) == obligation_id)
            .where(col(ObligationRow.submitted_at) == submitted_at)
            .values(
                submitted_at=None,
                submitted_via=None,
                submission_recorded_at=None,
                confirmed_at=None,
                confirmed_by=None,
                next_action_at=resume_at,
                disputed_at=now,
            )
        )
        return bool(result.rowcount == 1)
