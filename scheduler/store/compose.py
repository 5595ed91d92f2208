"""What composing mail asks of the database: the recorded reminders not yet turned into mail,
most urgent first, taken (locked on PostgreSQL, by compare-and-set on SQLite); and, for a
queued message, which of its reminders belong to obligations submitted since. Read as plain
values with Core: a wave reads thousands.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, not_, select, update
from sqlmodel import SQLModel

from scheduler.store import bulk
from scheduler.store.base import Queries

_REMINDER = SQLModel.metadata.tables["reminder"]
_OBLIGATION = SQLModel.metadata.tables["obligation"]
_CASE = SQLModel.metadata.tables["case_file"]
_MESSAGE = SQLModel.metadata.tables["message"]
_ITEM = SQLModel.metadata.tables["message_item"]

Urgency = Mapping[tuple[str, str], int]  # (kind, step) → how urgent its mail is, 0 the most


@dataclass(frozen=True, slots=True)
class Recorded:
    """A reminder the sweep recorded, with what its mail says of the obligation."""

    reminder_id: int
    step: str
    late_flag: bool
    recipients: tuple[str, ...]
    obligation_id: int
    obligation_key: str
    kind: str
    unit: str
    period: str | None
    requested_by: str | None
    due_at: datetime
    submitted_at: datetime | None
    case_code: str | None


def _recorded() -> Any:
    """Reminders with their obligation and case code."""
    return select(
        _REMINDER.c.id,
        _REMINDER.c.step,
        _REMINDER.c.late_flag,
        _REMINDER.c.recipients,
        _OBLIGATION.c.id,
        _OBLIGATION.c.key,
        _OBLIGATION.c.kind,
        _OBLIGATION.c.unit,
        _OBLIGATION.c.period,
        _OBLIGATION.c.requested_by,
        _OBLIGATION.c.due_at,
        _OBLIGATION.c.submitted_at,
        _CASE.c.code,
    ).select_from(
        _REMINDER.join(_OBLIGATION, _OBLIGATION.c.id == _REMINDER.c.obligation_id).outerjoin(
            _CASE, _CASE.c.id == _OBLIGATION.c.case_id
        )
    )


def _urgency(urgency: Urgency, otherwise: int, kind: Any) -> Any:
    """How urgent a reminder's mail is, by its step and its obligation's ``kind``."""
    return case(
        *(
            ((_REMINDER.c.step == step) & (kind == kind_id), value)
            for (kind_id, step), value in urgency.items()
        ),
        else_=otherwise,
    )


def _take(now: datetime) -> Any:
    """Mark reminders composed at ``now``; their ids come back."""
    return update(_REMINDER).values(composed_at=now).returning(_REMINDER.c.id)


def _values(rows: Any) -> list[Recorded]:
    decoded: dict[str, tuple[str, ...]] = {}  # a wave's reminders share a few recipient lists
    found = []
    for reminder, step, late_flag, recipients, *obligation in rows.all():  # one fetch
        if recipients not in decoded:
            decoded[recipients] = tuple(json.loads(recipients))
        found.append(Recorded(reminder, step, late_flag, decoded[recipients], *obligation))
    return found


class ComposeQueries(Queries):
    def take_uncomposed(
        self,
        now: datetime,
        urgency: Urgency,
        otherwise: int,
        limit: int,
        excluding: Collection[int] = (),
    ) -> list[Recorded]:
        """Take up to ``limit`` reminders recorded by ``now`` and not composed yet, the most
        urgent first (``urgency`` of their kind and step, ``otherwise`` for any other), then in
        the order recorded, none of ``excluding``: mark them composed at ``now``; those taken, in
        that order. Another composer at the same moment takes the others, never the same ones:
        on PostgreSQL the rows chosen are locked, and those another holds skipped; on SQLite the
        marking is a compare-and-set.

        The reminders are chosen first, alone, and only those taken are joined to their
        obligations: a wave leaves tens of thousands uncomposed, and joining them all to sort
        them, slice after slice, read the whole obligation table each time. A step's kind is
        looked up only for the steps ``urgency`` names. On PostgreSQL choosing, taking and
        reading are one statement."""
        kind = (
            select(_OBLIGATION.c.kind)
            .where(_OBLIGATION.c.id == _REMINDER.c.obligation_id)
            .scalar_subquery()
        )
        chosen = (
            select(_REMINDER.c.id)
            .where(_REMINDER.c.state == "due")
            .where(_REMINDER.c.composed_at.is_(None))
            .where(_REMINDER.c.recorded_at <= now)
            .order_by(_urgency(urgency, otherwise, kind), _REMINDER.c.id)
            .limit(limit)
            .with_for_update(of=_REMINDER, skip_locked=True)
        )
        connection = self.session.connection()
        if excluding:
            listed = bulk.listed(connection.dialect.name, excluding, int)
            chosen = chosen.where(_REMINDER.c.id.not_in(listed))
        if connection.dialect.name == "postgresql":
            # the rows chosen are locked, still uncomposed: the update goes from them to the
            # table by key, and only so. Checking composed_at again let the planner start from
            # the uncomposed ones instead, on statistics that lag behind a wave just recorded
            # (none uncomposed): 29,600 rows against 2,000, 8 s a slice.
            once = chosen.cte("chosen").prefix_with("MATERIALIZED")
            taken: Any = _take(now).where(_REMINDER.c.id == once.c.id).cte("taken")
            key = taken.c.id
        else:  # SQLite has no UPDATE in WITH; it runs the subquery once; no row is locked
            if connection.execute(chosen.order_by(None).limit(1)).first() is None:
                return []  # nothing to take: no write transaction for it
            take = _take(now).where(_REMINDER.c.composed_at.is_(None))
            take = take.where(_REMINDER.c.id.in_(chosen.scalar_subquery()))
            ids = list(connection.execute(take).scalars())
            taken = bulk.listed("sqlite", ids, int).subquery("taken")
            key = taken.c.value
        return _values(
            connection.execute(
                _recorded()
                .join(taken, key == _REMINDER.c.id)
                .order_by(_urgency(urgency, otherwise, _OBLIGATION.c.kind), _REMINDER.c.id)
            )
        )

    def leave_uncomposed(self, reminders: Collection[int]) -> None:
        """Undo the taking of ``reminders``, in this transaction: they wait uncomposed."""
        listed = bulk.listed(self.session.get_bind().dialect.name, reminders, int)
        self.session.connection().execute(
            update(_REMINDER).where(_REMINDER.c.id.in_(listed)).values(composed_at=None)
        )

    def submitted_since_queued(self, messages: Sequence[int]) -> list[tuple[int, int, datetime]]:
        """(message, reminder, message queued at) for each reminder, not a late flag, that these
        messages carry for an obligation submitted since."""
        rows = self.session.connection().execute(
            select(_ITEM.c.message_id, _ITEM.c.reminder_id, _MESSAGE.c.created_at)
            .select_from(
                _ITEM.join(_MESSAGE, _MESSAGE.c.id == _ITEM.c.message_id)
                .join(_REMINDER, _REMINDER.c.id == _ITEM.c.reminder_id)
                .join(_OBLIGATION, _OBLIGATION.c.id == _ITEM.c.obligation_id)
            )
            .where(_ITEM.c.message_id.in_(list(messages)))
            .where(_OBLIGATION.c.submitted_at.is_not(None))
            .where(not_(_REMINDER.c.late_flag))
        )
        return [(message, reminder, at) for message, reminder, at in rows]

    def carried(self, message: int) -> list[Recorded]:
        """The reminders a message carries, in the order recorded."""
        return _values(
            self.session.connection().execute(
                _recorded()
                .join(_ITEM, _ITEM.c.reminder_id == _REMINDER.c.id)
                .where(_ITEM.c.message_id == message)
                .order_by(_REMINDER.c.id)
            )
        )
