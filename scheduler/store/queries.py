"""Every query the engine runs, written once for SQLite and PostgreSQL.

Callers get the frozen values of ``scheduler.hierarchy.units`` and ``scheduler.records``, not
rows. Writes that must happen once rely on unique keys (``INSERT … ON CONFLICT DO NOTHING``) and
on compare-and-set updates whose row count is checked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, case, or_
from sqlalchemy import func as sa_func
from sqlalchemy.engine import Connection
from sqlmodel import Session, SQLModel, col, select, update

from scheduler.deadlines.vntime import iso
from scheduler.records import AuditEntry, Obligation
from scheduler.store.audit import AuditQueries
from scheduler.store.base import slices
from scheduler.store.compose import ComposeQueries
from scheduler.store.digest import DigestQueries
from scheduler.store.gauges import GaugeQueries
from scheduler.store.handover import HandoverQueries
from scheduler.store.intake import IntakeQueries
from scheduler.store.outbox import OutboxQueries
from scheduler.store.overview import OverviewQueries
from scheduler.store.schema import (
    AckRow,
    AuditRow,
    CaseRow,
    MessageItemRow,
    MessageRow,
    ObligationRow,
    ReminderRow,
)
from scheduler.store.submissions import SubmissionQueries
from scheduler.store.timeliness import TimelinessQueries
from scheduler.store.tokens import TokenQueries
from scheduler.store.units import UnitQueries
from scheduler.store.waves import WaveQueries

_OBLIGATION = SQLModel.metadata.tables["obligation"]
_REMINDER = SQLModel.metadata.tables["reminder"]
_ACK = SQLModel.metadata.tables["ack_link"]


class Store(
    UnitQueries,
    HandoverQueries,
    SubmissionQueries,
    IntakeQueries,
    DigestQueries,
    TimelinessQueries,
    WaveQueries,
    OutboxQueries,
    ComposeQueries,
    TokenQueries,
    OverviewQueries,
):
    """Every named query, over one session (units, hand-overs, submissions, the intake's, the
    digest's, the reporting rates', a wave's bulk writes, the outbox's and composing's, tokens
    and the leaders' overview, in their
    own modules).

    The caller owns the transaction (commit or roll back)."""

    # --- cases and obligations ---------------------------------------------------------------

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
        return next(
            iter(
                self._obligations(
                    select(ObligationRow, CaseRow.code).where(ObligationRow.id == obligation_id)
                )
            ),
            None,
        )

    def obligation_by_key(self, key: str) -> Obligation | None:
        return next(
            iter(
                self._obligations(
                    select(ObligationRow, CaseRow.code).where(ObligationRow.key == key)
                )
            ),
            None,
        )

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
        """Obligations, earliest due first; with ``moved_out``, a unit's list keeps those it
        owed before a reorganisation handed them over (its history); with ``submitted_since``,
        only those submitted since then."""
        query = select(ObligationRow, CaseRow.code)
        if unit is not None:
            query = query.where(
                or_(col(ObligationRow.unit) == unit, col(ObligationRow.moved_from) == unit)
                if moved_out
                else ObligationRow.unit == unit
            )
        if open_only:
            query = query.where(col(ObligationRow.submitted_at).is_(None)).where(
                col(ObligationRow.superseded_by).is_(None)
            )
        if due_before is not None:
            query = query.where(col(ObligationRow.due_at) < due_before)
        if submitted_since is not None:
            query = query.where(col(ObligationRow.submitted_at) >= submitted_since)
        return self._obligations(query.order_by(col(ObligationRow.due_at), col(ObligationRow.id)))

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

    # --- reminders and audit -------------------------------------------------------------------

    def settle_reminders(self, until: datetime) -> None:
        """Count every reminder recorded by ``until`` as composed when it was recorded: the
        demo's replayed year, whose mail belonged to that year, is not sent at its start."""
        self.session.connection().execute(
            update(_REMINDER)
            .where(_REMINDER.c.composed_at.is_(None), _REMINDER.c.recorded_at <= until)
            .values(composed_at=_REMINDER.c.recorded_at)
        )

    def history(self, obligation_id: int) -> dict[str, list[dict[str, Any]]]:
        """Everything that happened to one obligation: steps, mails, audit entries."""
        steps = self.session.exec(
            select(ReminderRow)
            .where(ReminderRow.obligation_id == obligation_id)
            .order_by(col(ReminderRow.scheduled_at), col(ReminderRow.id))
        ).all()
        mails = self.session.exec(
            select(MessageRow)
            .join(MessageItemRow, col(MessageItemRow.message_id) == col(MessageRow.id))
            .where(MessageItemRow.obligation_id == obligation_id)
            .order_by(col(MessageRow.id))
        ).all()
        return {
            "steps": [
                {
                    "step": r.step,
                    "repeat": r.repeat,
                    "state": r.state,
                    "late_flag": r.late_flag,
                    "recipients": json.loads(r.recipients),
                    "scheduled_at": iso(r.scheduled_at),
                }
                for r in steps
            ],
            "mails": [
                {
                    "id": m.id,
                    "recipient": m.recipient,
                    "subject": m.subject,
                    "state": m.state,
                    "attempts": m.attempts,
                    "sent_at": iso(m.finished_at) if m.finished_at else None,
                    "error": m.last_error,
                }
                for m in mails
            ],
            "audit": [
                {"at": iso(a.at), "actor": a.actor, "action": a.action, "detail": a.detail}
                for a in self.audit_trail(obligation_id)
            ],
        }

    def audit(
        self,
        at: datetime,
        actor: str,
        action: str,
        *,
        obligation_id: int | None = None,
        case_code: str | None = None,
        **detail: Any,
    ) -> None:
        self.session.add(
            AuditRow(
                at=at,
                actor=actor,
                action=action,
                obligation_id=obligation_id,
                case_code=case_code,
                detail=json.dumps(detail, ensure_ascii=False, default=str),
            )
        )

    def audit_trail(self, obligation_id: int | None = None) -> list[AuditEntry]:
        query = select(AuditRow).order_by(col(AuditRow.id))
        if obligation_id is not None:
            query = query.where(AuditRow.obligation_id == obligation_id)
        return [
            AuditEntry(
                at=r.at,
                actor=r.actor,
                action=r.action,
                obligation_id=r.obligation_id,
                case_code=r.case_code,
                detail=json.loads(r.detail),
            )
            for r in self.session.exec(query)
        ]

    # --- groups read on their own, over the same session -----------------------------------

    @property
    def audit_log(self) -> AuditQueries:
        """The audit trail as an admin reads it (``audit_log.latest``)."""
        return AuditQueries(self.session)

    @property
    def gauges(self) -> GaugeQueries:
        """What ``/metrics`` counts: open obligations per series, the outbox by state."""
        return GaugeQueries(self.session)


@contextmanager
def transaction(engine: Engine) -> Iterator[Store]:
    """A store whose writes commit together at the end, or not at all on an exception."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield Store(session)
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def rolled_back(engine: Engine) -> Iterator[Store]:
    """A store whose writes are all undone at the end: how ``simulate`` leaves the database."""
    connection: Connection = engine.connect()
    outer = connection.begin()
    if engine.dialect.name == "sqlite":
        # Python's sqlite3 opens its transaction only before a statement that starts with
        # INSERT, UPDATE, DELETE or REPLACE: the sweep's ``WITH … UPDATE`` compare-and-set ran
        # outside it, and a simulation's first batch of cursor moves stayed. Begun here, all
        # of it is inside, and undone.
        connection.exec_driver_sql("BEGIN")
    try:
        with Session(bind=connection) as session:
            yield Store(session)
    finally:
        outer.rollback()
        connection.close()
