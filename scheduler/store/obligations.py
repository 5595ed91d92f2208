"""Cases and obligations as the store keeps them: adding them once, reading them back as
``scheduler.records.Obligation`` values, and the sweep's compare-and-set of an obligation's
cursor."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, text
from sqlalchemy import func as sa_func
from sqlmodel import SQLModel, col, select, update

from scheduler.records import Obligation
from scheduler.store.base import Queries, obligation_columns, slices
from scheduler.store.listing import MOMENTS, obligation_listing
from scheduler.store.schema import AckRow, CaseRow, ObligationRow, UTCDateTime

_OBLIGATION = SQLModel.metadata.tables["obligation"]
_REMINDER = SQLModel.metadata.tables["reminder"]
_ACK = SQLModel.metadata.tables["ack_link"]


class ObligationQueries(Queries):
    def newest_obligation_id(self) -> int:
        """The highest obligation id (0 when none): one index lookup, how the daemon notices
        work recorded by another process."""
        return int(self.session.exec(select(sa_func.max(col(ObligationRow.id)))).one() or 0)

    def add_case(
        self, code: str, unit: str, category: str, verified_at: datetime, opened_at: datetime
    ) -> int | None:
        """The new case's id, or None when the code is taken."""
        result = self.session.exec(
            self.insert(CaseRow)
            .values(
                code=code,
                unit=unit,
                category=category,
                verified_at=verified_at,
                opened_at=opened_at,
            )
            .on_conflict_do_nothing(index_elements=["code"])
            .returning(col(CaseRow.id))
        )
        return result.scalar_one_or_none()  # type: ignore[no-any-return]

    def case_id(self, code: str) -> int | None:
        return self.session.exec(select(CaseRow.id).where(CaseRow.code == code)).first()

    def case_unit(self, code: str) -> tuple[int, str] | None:
        """The case's id and the unit (commune) it was opened for."""
        found = self.session.exec(
            select(CaseRow.id, CaseRow.unit).where(CaseRow.code == code)
        ).first()
        return None if found is None or found[0] is None else (found[0], found[1])

    def add_obligations(self, rows: Sequence[dict[str, Any]]) -> int:
        """Insert obligations; a key already present is left alone. Returns how many were new.

        Rows go in slices: a national year would exceed the limit on bound parameters.
        """
        created = 0
        for some in slices(rows):
            result = self.session.exec(
                self.insert(ObligationRow)
                .values(list(some))
                .on_conflict_do_nothing(index_elements=["key"])
                .returning(col(ObligationRow.id))
            )
            created += len(result.all())
        return created

    def obligation(self, obligation_id: int) -> Obligation | None:
        return self._one(ObligationRow.id == obligation_id)

    def obligation_by_key(self, key: str) -> Obligation | None:
        return self._one(ObligationRow.key == key)

    def _one(self, condition: Any) -> Obligation | None:
        found = self._obligations(select(ObligationRow, CaseRow.code).where(condition))
        return found[0] if found else None

    def obligations_with_ids(self, ids: Sequence[int]) -> list[Obligation]:
        return self._obligations(
            select(ObligationRow, CaseRow.code)
            .where(col(ObligationRow.id).in_(list(ids)))
            .order_by(col(ObligationRow.id))
        )

    def obligations(
        self,
        *,
        unit: str | None = None,
        open_only: bool = False,
        due_before: datetime | None = None,
        moved_out: bool = False,
        submitted_since: datetime | None = None,
    ) -> list[Obligation]:
        """Obligations, earliest due first (``scheduler.store.listing`` says which)."""
        sql, parameters = obligation_listing(
            unit=unit,
            open_only=open_only,
            due_before=due_before,
            moved_out=moved_out,
            submitted_since=submitted_since,
        )
        moments = (bindparam(name, type_=UTCDateTime) for name in parameters if name in MOMENTS)
        statement = text(sql).columns(*obligation_columns()).bindparams(*moments)
        rows = self.session.connection().execute(statement, parameters)
        return [Obligation(*row) for row in rows]

    def earliest_action(self) -> datetime | None:
        """When the sweep next has something to do (a held item counts from its hold)."""
        held = col(ObligationRow.hold_until) > col(ObligationRow.next_action_at)
        moment = case(
            (held, col(ObligationRow.hold_until)), else_=col(ObligationRow.next_action_at)
        )
        earliest: datetime | None = self.session.exec(select(sa_func.min(moment))).one()
        return earliest

    def use_link(self, link_hash: str, obligation_id: int, recipient: str, at: datetime) -> bool:
        """Record that a link was used; False when it had been used already."""
        result = self.session.connection().execute(  # RETURNING: an INSERT's rowcount is -1
            self.insert(_ACK)  # on psycopg
            .values(
                link_hash=link_hash, obligation_id=obligation_id, recipient=recipient, used_at=at
            )
            .on_conflict_do_nothing(index_elements=["link_hash"])
            .returning(_ACK.c.link_hash)
        )
        return result.first() is not None

    def link_used(self, link_hash: str) -> bool:
        return self.session.get(AckRow, link_hash) is not None

    def hold(self, obligation_id: int, until: datetime) -> None:
        """Set a poison item aside until ``until`` without moving its cursor: once the cause is
        fixed, every occurrence since the cursor is still handled (late flags included)."""
        self.session.connection().execute(
            update(_OBLIGATION).where(_OBLIGATION.c.id == obligation_id).values(hold_until=until)
        )

    def advance(self, obligation_id: int, expected: datetime | None, new: datetime | None) -> bool:
        """Compare-and-set of ``next_action_at``: False when another sweep moved it first."""
        result = self.session.connection().execute(
            update(_OBLIGATION)
            .where(_OBLIGATION.c.id == obligation_id)
            .where(_OBLIGATION.c.next_action_at == expected)
            .values(next_action_at=new, hold_until=None)
        )
        return result.rowcount == 1

    def settle_reminders(self, until: datetime) -> None:
        """Count every reminder recorded by ``until`` as composed when it was recorded: the
        demo's replayed year, whose mail belonged to that year, is not sent at its start."""
        self.session.connection().execute(
            update(_REMINDER)
            .where(_REMINDER.c.composed_at.is_(None), _REMINDER.c.recorded_at <= until)
            .values(composed_at=_REMINDER.c.recorded_at)
        )
