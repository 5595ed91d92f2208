"""The outbox's queries: queuing messages with the reminders they carry, the urgency-ordered
claim, leases, outcomes, and what an operator lists and counts. Core statements throughout: the
hot path (queuing a wave, claiming a batch, recording each outcome) pays no ORM bookkeeping.

The states and what moves a message between them are ``scheduler.mail.outbox``'s; this module
only says how each change is written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, or_, select, text, tuple_, update
from sqlmodel import SQLModel

from scheduler.store import bulk
from scheduler.store.base import Queries
from scheduler.store.schema import UTCDateTime

_MESSAGE = SQLModel.metadata.tables["message"]
_ITEM = SQLModel.metadata.tables["message_item"]
_ITEM_COLUMNS = ("message_id", "reminder_id", "obligation_id")
_CLAIMED = (
    _MESSAGE.c.id,
    _MESSAGE.c.key,
    _MESSAGE.c.message_id,
    _MESSAGE.c.template,
    _MESSAGE.c.recipient,
    _MESSAGE.c.subject,
    _MESSAGE.c.body_text,
    _MESSAGE.c.body_html,
    _MESSAGE.c.thread_ref,
    _MESSAGE.c.concerned,
    _MESSAGE.c.attempts,
    _MESSAGE.c.priority,
    _MESSAGE.c.created_at,
)

# a new message's columns, as ``add_messages`` takes them: all but the id and what only a claim
# or an outcome sets
NEW = tuple(
    c.name for c in _MESSAGE.c if c.name not in ("id", "lease_until", "finished_at", "last_error")
)
Items = Sequence[tuple[int, int]]  # the (reminder, obligation) pairs a message carries
_NEXT_IDS = text(  # PostgreSQL: ids for n new messages
    "SELECT nextval(pg_get_serial_sequence('message', 'id')) FROM generate_series(1, :n)"
)


@dataclass(frozen=True)
class Outgoing:
    """A claimed message, ready to be turned into MIME and sent."""

    id: int
    key: str
    message_id: str
    template: str
    recipient: str
    subject: str
    text: str
    html: str
    thread_ref: str | None
    concerned: tuple[str, ...]
    attempts: int


@dataclass(frozen=True)
class Listed:
    id: int
    state: str
    template: str
    recipient: str
    subject: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    finished_at: datetime | None
    last_error: str | None


_LISTED = tuple(_MESSAGE.c[name] for name in Listed.__dataclass_fields__)


def _these(rows: Sequence[tuple[int, int]]) -> Any:
    """The rows at these (id, attempts). The ids alone too: SQLite finds the rows by their key
    for an ``IN`` of ids, but walks every row of a state for an ``IN`` of pairs."""
    return _MESSAGE.c.id.in_([id for id, _ in rows]) & tuple_(
        _MESSAGE.c.id, _MESSAGE.c.attempts
    ).in_(rows)


def _ours(messages: Sequence[Outgoing]) -> Any:
    """Rows still claimed by the sender that holds ``messages`` (same attempt, still sending)."""
    return (_MESSAGE.c.state == "sending") & _these([(m.id, m.attempts) for m in messages])


def finish(connection: Connection, outcomes: Sequence[tuple[Outgoing, dict[str, Any]]]) -> set[int]:
    """Record what became of claimed messages, in one statement per kind of change; the ids of
    those changed (a message whose claim is no longer ours, same attempt, is left alone). The
    sender's own outcomes take a cheaper way (``scheduler.store.outcomes``)."""
    changed: set[int] = set()
    groups: dict[tuple[tuple[str, Any], ...], tuple[dict[str, Any], list[Outgoing]]] = {}
    for message, values in outcomes:
        groups.setdefault(tuple(sorted(values.items())), (values, []))[1].append(message)
    for values, messages in groups.values():
        changed.update(
            connection.execute(
                update(_MESSAGE).where(_ours(messages)).values(**values).returning(_MESSAGE.c.id)
            ).scalars()
        )
    return changed


def _copied(connection: Connection, rows: dict[str, list[Any]]) -> dict[str, int] | None:
    """PostgreSQL: queue the messages of ``rows`` (by key) by ``COPY``, their ids drawn from
    the table's sequence first; their ids by key, or None when a key is queued already.

    ``COPY`` takes a wave's 70 MB in half the time of an ``INSERT`` (the rows as one JSON
    parameter, unpacked by the server), but it cannot skip a row whose key is there: one that
    is fails it, undone to its savepoint, and the caller takes the ``INSERT`` way."""
    drawn = connection.execute(_NEXT_IDS, {"n": len(rows)}).scalars()
    ids = dict(zip(rows, sorted(drawn), strict=True))  # in their order: the claim's, by id
    copied = [[i, *rows[key]] for key, i in ids.items()]
    return ids if bulk.copied(connection, "message", ("id", *NEW), copied, binary=True) else None


class OutboxQueries(Queries):
    def add_message(self, values: dict[str, Any], items: Items = ()) -> int | None:
        """Insert a message (``values``: its columns) and the reminders it carries; None when
        its key is in the outbox already. One statement, so two daemons composing the same mail
        at once never collide: the second inserts nothing."""
        connection = self.session.connection()
        message: int | None = connection.execute(
            self.insert(_MESSAGE).values(**values).on_conflict_do_nothing().returning(_MESSAGE.c.id)
        ).scalar_one_or_none()
        if message is not None and items:
            connection.execute(
                _ITEM.insert(),
                [
                    {"message_id": message, "reminder_id": reminder, "obligation_id": obligation}
                    for reminder, obligation in items
                ],
            )
        return message

    def add_messages(
        self, messages: Sequence[tuple[dict[str, Any], Items]], *, new: bool = False
    ) -> int:
        """Insert many new messages (``values``: the columns of ``NEW``) with the reminders they
        carry; how many were new. A key already queued is left alone, and so are its items.

        A wave is tens of thousands of mails: the rows go to the driver as written, their
        moments converted as the schema stores them, each distinct one once (a wave's share
        one). Where the keys are ``new`` (a composed slice's: they name the reminders taken for
        it), on PostgreSQL by ``COPY`` (``_copied``); else, and where ``COPY`` meets a key
        queued all the same, ``bulk.inserts``: ``INSERT … ON CONFLICT DO NOTHING RETURNING``,
        then the same for their items (a digest queued again the same day goes that way at
        once, and fails no ``COPY``)."""
        if not messages:
            return 0
        connection = self.session.connection()
        backend, dialect = connection.dialect.name, connection.dialect
        convert = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
        stored: dict[datetime, Any] = {}

        def column(value: Any) -> Any:
            if isinstance(value, datetime):
                if value not in stored:
                    stored[value] = convert(value) if convert else value
                return stored[value]
            return value

        rows: dict[str, list[Any]] = {}  # by key: of two with one key, the first is queued
        for values, _ in messages:
            rows.setdefault(values["key"], [column(values[name]) for name in NEW])
        ids = _copied(connection, rows) if new and backend == "postgresql" else None
        if ids is None:
            ids = {}
            for sql, parameters in bulk.inserts(backend, "message", NEW, list(rows.values())):
                ids.update(
                    connection.exec_driver_sql(
                        f"{sql} ON CONFLICT DO NOTHING RETURNING key, id", parameters
                    ).all()
                )
        items = [
            (ids[values["key"]], reminder, obligation)
            for values, carried in messages
            if values["key"] in ids
            for reminder, obligation in carried
        ]
        if backend == "postgresql":  # new messages' items: none can be there already
            bulk.copy(connection, "message_item", _ITEM_COLUMNS, items, binary=True)
        else:
            for statement in bulk.inserts(backend, "message_item", _ITEM_COLUMNS, items):
                connection.exec_driver_sql(*statement)
        return len(ids)

    def claim_messages(self, now: datetime, limit: int, lease: timedelta) -> list[Outgoing]:
        """Take up to ``limit`` due messages, most urgent first (``priority``), oldest first
        within one urgency.

        Two reads, each walking ``ix_message_claim`` in that order and stopping at ``limit`` (the
        due ones, and those whose sender's lease ran out), then one compare-and-set ``UPDATE``
        for the batch: a row is taken only if it is still due and still at the attempt that was
        read, so two senders never take the same one. On PostgreSQL the rows are read ``FOR
        UPDATE SKIP LOCKED``, so replicas claim different rows."""
        queries = (
            (_MESSAGE.c.state == "pending") & (_MESSAGE.c.next_attempt_at <= now),
            (_MESSAGE.c.state == "sending") & (_MESSAGE.c.lease_until < now),
        )
        order = (_MESSAGE.c.priority, _MESSAGE.c.created_at, _MESSAGE.c.id)
        rows = sorted(
            (
                row
                for where in queries
                for row in self.session.execute(
                    select(*_CLAIMED)
                    .where(where)
                    .order_by(*order)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            ),
            key=lambda row: (row.priority, row.created_at, row.id),
        )[:limit]
        if not rows:
            return []
        taken = set(
            self.session.execute(
                update(_MESSAGE)
                .where(_these([(r.id, r.attempts) for r in rows]))
                .where(or_(*queries))
                .values(state="sending", lease_until=now + lease, attempts=_MESSAGE.c.attempts + 1)
                .returning(_MESSAGE.c.id)
            ).scalars()
        )
        return [
            Outgoing(
                id=row.id,
                key=row.key,
                message_id=row.message_id,
                template=row.template,
                recipient=row.recipient,
                subject=row.subject,
                text=row.body_text,
                html=row.body_html,
                thread_ref=row.thread_ref,
                concerned=tuple(json.loads(row.concerned)),
                attempts=row.attempts + 1,
            )
            for row in rows
            if row.id in taken
        ]

    def finish_claimed(self, outcomes: Sequence[tuple[Outgoing, dict[str, Any]]]) -> set[int]:
        """``finish`` in this store's transaction."""
        return finish(self.session.connection(), outcomes)

    def change_claimed(self, message: Outgoing, values: dict[str, Any]) -> bool:
        """Change a claimed row only if the claim is still ours (same attempt), else nothing."""
        return self.finish_claimed([(message, values)]) == {message.id}

    def renew_claims(self, messages: Sequence[Outgoing], until: datetime) -> set[int]:
        """Extend the lease of claimed messages to ``until``; the ids of those still ours."""
        if not messages:
            return set()
        return set(
            self.session.connection()
            .execute(
                update(_MESSAGE)
                .where(_ours(messages))
                .values(lease_until=until)
                .returning(_MESSAGE.c.id)
            )
            .scalars()
        )

    def move_items(self, message_id: int, reminders: Sequence[int], to: int) -> None:
        """The reminders ``message_id`` carried, of ``reminders``, are carried by ``to`` now."""
        self.session.connection().execute(
            update(_ITEM)
            .where(_ITEM.c.message_id == message_id)
            .where(_ITEM.c.reminder_id.in_(list(reminders)))
            .values(message_id=to)
        )

    def message_state(self, message_id: int) -> str | None:
        """A message's state; None when there is no such message."""
        state: str | None = (
            self.session.connection()
            .execute(select(_MESSAGE.c.state).where(_MESSAGE.c.id == message_id))
            .scalar_one_or_none()
        )
        return state

    def requeue(self, message_id: int, now: datetime) -> None:
        """Due again at ``now``, as if never tried to an end."""
        self.session.connection().execute(
            update(_MESSAGE)
            .where(_MESSAGE.c.id == message_id)
            .values(state="pending", next_attempt_at=now, finished_at=None)
        )

    def messages(self, state: str | None, limit: int) -> list[Listed]:
        """The newest ``limit`` messages (of ``state``, if given), newest first."""
        query = select(*_LISTED).order_by(_MESSAGE.c.id.desc()).limit(limit)
        if state is not None:
            query = query.where(_MESSAGE.c.state == state)
        return [Listed(**row) for row in self.session.connection().execute(query).mappings()]

    def message_counts(self) -> dict[str, int]:
        """How many messages are in each state (a state with none is absent)."""
        rows = self.session.connection().execute(
            select(_MESSAGE.c.state, func.count()).group_by(_MESSAGE.c.state)
        )
        return {state: int(n) for state, n in rows}
