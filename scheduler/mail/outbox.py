"""The durable outbox: one row per email to one address, and its states.

    pending --claim--> sending --sent--> sent
       ^                  |--transient--> pending (later, with backoff)
       |                  |--permanent--> failed    (server's answer kept)
       |                  |--guard------> refused   (recipient not allowed)
       |                  `--stale------> cancelled (all it reminds of has been submitted)
       `------ retry (operator) ------ failed | refused

A claim is a compare-and-set with a lease; on PostgreSQL the candidates are read ``FOR UPDATE
SKIP LOCKED``, so replicas claim different rows. The sender renews the lease as its batch goes
(``renew``) and never sends a message that is no longer its own. A sender that dies after
sending but before marking the row sent leaves it ``sending``; once the lease has passed it is
claimed again and sent again, with the same Message-ID. So delivery is at least once, and
exactly once in every other case. Queuing is ``INSERT … ON CONFLICT DO NOTHING`` on the key.

What a message says is checked again when it is claimed (``scheduler.mail.deliver``). A claimed
message can be rewritten (``rewrite``: same key, same Message-ID) or ``split``: the reminders it
must no longer carry move to a ``cancelled`` message of their own, kept as evidence.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, or_, tuple_
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from sqlmodel import SQLModel, col, select, update

from scheduler.errors import Conflict, InvalidInput, NotFound
from scheduler.mail.render import Draft, message_key_id
from scheduler.records import MESSAGE_STATES
from scheduler.store.base import slices
from scheduler.store.queries import Store
from scheduler.store.schema import MessageItemRow, MessageRow

STATES = MESSAGE_STATES
_ITEM = SQLModel.metadata.tables["message_item"]


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

    @classmethod
    def direct(cls, draft: Draft, domain: str, concerned: tuple[str, ...]) -> Outgoing:
        """A message sent straight away, without the outbox (the test mail, the benchmark)."""
        return cls(
            id=0,
            key=draft.key,
            message_id=message_key_id(draft.key, domain),
            template=draft.template,
            recipient=draft.recipient,
            subject=draft.subject,
            text=draft.text,
            html=draft.html,
            thread_ref=draft.thread_ref,
            concerned=concerned,
            attempts=1,
        )


@dataclass(frozen=True)
class Composed:
    """A rendered mail and what the outbox keeps beside it: the units whose contacts may receive
    it (the guard), its unit and obligation when it has only one, and the reminders it carries
    as (reminder, obligation) pairs."""

    draft: Draft
    concerned: tuple[str, ...]
    unit: str | None = None
    obligation_id: int | None = None
    items: tuple[tuple[int, int], ...] = ()


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


def backoff(attempts: int, base: int, cap: int, rng: random.Random) -> timedelta:
    """Exponential backoff with jitter: about base, 2 base, 4 base … never above cap."""
    delay = min(cap, base * 2 ** max(0, attempts - 1))
    return timedelta(seconds=delay * rng.uniform(0.5, 1.0))


def _content(composed: Composed) -> dict[str, Any]:
    """The columns that say what a message is and whom it concerns; its key stays apart."""
    draft = composed.draft
    return {
        "template": draft.template,
        "priority": draft.priority,
        "unit": composed.unit,
        "concerned": json.dumps(list(composed.concerned)),
        "obligation_id": composed.obligation_id,
        "thread_ref": draft.thread_ref,
        "recipient": draft.recipient,
        "subject": draft.subject,
        "body_text": draft.text,
        "body_html": draft.html,
    }


def _add(store: Store, composed: Composed, domain: str, now: datetime, **state: Any) -> int | None:
    """Insert a message; None when its key is in the outbox already. One statement, so two
    daemons composing the same mail at once never collide: the second inserts nothing."""
    key = composed.draft.key
    result = store.session.exec(
        store.insert(MessageRow)
        .values(
            key=key,
            message_id=message_key_id(key, domain),
            **_content(composed),
            attempts=0,
            next_attempt_at=now,
            created_at=now,
            **state,
        )
        .on_conflict_do_nothing()
        .returning(col(MessageRow.id))
    )
    return result.scalar_one_or_none()  # type: ignore[no-any-return]


def enqueue(store: Store, composed: Composed, *, domain: str, now: datetime) -> bool:
    """Add a message (with the reminders it carries); False when its key is already queued."""
    message = _add(store, composed, domain, now, state="pending")
    if message is None:
        return False
    store.session.add_all(
        MessageItemRow(message_id=message, reminder_id=reminder, obligation_id=obligation)
        for reminder, obligation in composed.items
    )
    return True


_MESSAGE = SQLModel.metadata.tables[
    "message"
]  # Core statements: no ORM bookkeeping on the hot path
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


def enqueue_many(store: Store, composed: Sequence[Composed], *, domain: str, now: datetime) -> int:
    """Add many messages (with the reminders they carry) in two statements per slice; how many
    were new. A key already queued is left alone, as ``enqueue`` does, and so are its items."""
    connection, queued = store.session.connection(), 0
    for some in slices(composed):
        added = connection.execute(
            store.insert(_MESSAGE)
            .on_conflict_do_nothing()
            .returning(_MESSAGE.c.id, _MESSAGE.c.key),
            [
                {
                    "key": c.draft.key,
                    "message_id": message_key_id(c.draft.key, domain),
                    **_content(c),
                    "state": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for c in some
            ],
        )
        ids = {key: message for message, key in added}
        items = [
            {"message_id": ids[c.draft.key], "reminder_id": reminder, "obligation_id": obligation}
            for c in some
            if c.draft.key in ids
            for reminder, obligation in c.items
        ]
        if items:
            connection.execute(_ITEM.insert(), items)
        queued += len(ids)
    return queued


def claim(store: Store, now: datetime, limit: int, lease: timedelta) -> list[Outgoing]:
    """Take up to ``limit`` messages that are due, most urgent first (``priority``: a new case's
    notice, then overdue, then reminders, then digests), oldest first within one urgency.

    Two reads, each walking ``ix_message_claim`` in that order and stopping at ``limit`` (the
    due ones, and those whose sender's lease ran out), then one compare-and-set ``UPDATE`` for
    the batch: a row is taken only if it is still due and still at the attempt that was read,
    so two senders never take the same one. On PostgreSQL the rows are read ``FOR UPDATE SKIP
    LOCKED``, so replicas claim different rows."""
    queries = (
        (_MESSAGE.c.state == "pending") & (_MESSAGE.c.next_attempt_at <= now),
        (_MESSAGE.c.state == "sending") & (_MESSAGE.c.lease_until < now),
    )
    order = (_MESSAGE.c.priority, _MESSAGE.c.created_at, _MESSAGE.c.id)
    rows = sorted(
        (
            row
            for where in queries
            for row in store.session.execute(
                sa_select(*_CLAIMED)
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
        store.session.execute(
            sa_update(_MESSAGE)
            .where(
                tuple_(_MESSAGE.c.id, _MESSAGE.c.attempts).in_([(r.id, r.attempts) for r in rows])
            )
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


def finish(connection: Connection, outcomes: Sequence[tuple[Outgoing, dict[str, Any]]]) -> set[int]:
    """Record what became of claimed messages, in one statement per kind of change; the ids of
    those changed (a message whose claim is no longer ours, same attempt, is left alone). Core
    on a bare connection: the sender records each message sent before the next goes out, and
    an ORM session would cost ten times the statement."""
    changed: set[int] = set()
    groups: dict[tuple[tuple[str, Any], ...], tuple[dict[str, Any], list[Outgoing]]] = {}
    for message, values in outcomes:
        groups.setdefault(tuple(sorted(values.items())), (values, []))[1].append(message)
    for values, messages in groups.values():
        changed.update(
            connection.execute(
                sa_update(_MESSAGE)
                .where(_MESSAGE.c.state == "sending")
                .where(
                    tuple_(_MESSAGE.c.id, _MESSAGE.c.attempts).in_(
                        [(m.id, m.attempts) for m in messages]
                    )
                )
                .values(**values)
                .returning(_MESSAGE.c.id)
            ).scalars()
        )
    return changed


def sent(now: datetime) -> dict[str, Any]:
    """The change that says a message went out at ``now`` (for ``finish``)."""
    return {"state": "sent", "finished_at": now, "lease_until": None, "last_error": None}


def pending_again(at: datetime, error: str) -> dict[str, Any]:
    """Back to the queue, due at ``at`` (for ``finish``)."""
    return {
        "state": "pending",
        "next_attempt_at": at,
        "lease_until": None,
        "last_error": error[:500],
    }


def ended(now: datetime, error: str, state: str) -> dict[str, Any]:
    """Failed, refused or cancelled, for good (for ``finish``)."""
    return {"state": state, "finished_at": now, "lease_until": None, "last_error": error[:500]}


def _update_claimed(store: Store, message: Outgoing, values: dict[str, Any]) -> bool:
    """Change a claimed row only if the claim is still ours (same attempt), else change nothing."""
    result = store.session.exec(
        update(MessageRow)
        .where(col(MessageRow.id) == message.id)
        .where(col(MessageRow.state) == "sending")
        .where(col(MessageRow.attempts) == message.attempts)
        .values(**values)
    )
    return bool(result.rowcount == 1)


def renew(store: Store, messages: Sequence[Outgoing], until: datetime) -> set[int]:
    """Extend the lease of claimed messages to ``until``; the ids of those still ours (a message
    whose lease ran out may have been claimed again since, by another sender)."""
    if not messages:
        return set()
    result = store.session.exec(
        update(MessageRow)
        .where(col(MessageRow.state) == "sending")
        .where(
            tuple_(col(MessageRow.id), col(MessageRow.attempts)).in_(
                [(m.id, m.attempts) for m in messages]
            )
        )
        .values(lease_until=until)
        .returning(col(MessageRow.id))
    )
    return set(result.scalars())


def mark_sent(store: Store, message: Outgoing, now: datetime) -> bool:
    return _update_claimed(store, message, sent(now))


def mark_retry(store: Store, message: Outgoing, at: datetime, error: str) -> bool:
    return _update_claimed(store, message, pending_again(at, error))


def mark_failed(
    store: Store, message: Outgoing, now: datetime, error: str, state: str = "failed"
) -> bool:
    return _update_claimed(store, message, ended(now, error, state))


def rewrite(store: Store, message: Outgoing, composed: Composed) -> Outgoing:
    """Replace what a claimed message says; its key and Message-ID stay."""
    if not _update_claimed(store, message, _content(composed)):
        raise Conflict(f"thư {message.id} không còn được giữ / message {message.id} claim lost")
    draft = composed.draft
    return replace(
        message,
        template=draft.template,
        subject=draft.subject,
        text=draft.text,
        html=draft.html,
        thread_ref=draft.thread_ref,
        concerned=composed.concerned,
    )


def split(
    store: Store,
    message: Outgoing,
    kept: Composed,
    withdrawn: Composed,
    *,
    domain: str,
    now: datetime,
    reason: str,
) -> tuple[Outgoing, int]:
    """A claimed bundle goes on saying only ``kept``; ``withdrawn`` becomes a cancelled message
    of its own, with ``reason``, and the reminders it carries move to it. Returns the message to
    send and the cancelled one's id."""
    rewritten = rewrite(store, message, kept)
    # its key names reminders that no other message to this person carries: each is composed
    # once, and only this bundle held them
    cancelled = _add(
        store, withdrawn, domain, now, state="cancelled", finished_at=now, last_error=reason[:500]
    )
    assert cancelled is not None
    store.session.exec(
        update(MessageItemRow)
        .where(col(MessageItemRow.message_id) == message.id)
        .where(col(MessageItemRow.reminder_id).in_([r for r, _ in withdrawn.items]))
        .values(message_id=cancelled)
    )
    return rewritten, cancelled


def retry(store: Store, message_id: int, now: datetime) -> None:
    """An operator sends a failed or refused message again (after fixing the address)."""
    row = store.session.get(MessageRow, message_id)
    if row is None:
        raise NotFound(f"không có thư / unknown message {message_id}")
    if row.state not in ("failed", "refused"):
        raise InvalidInput(
            f"thư {message_id} đang ở trạng thái {row.state}; chỉ gửi lại thư "
            "failed hoặc refused / only failed or refused messages are retried"
        )
    row.state, row.next_attempt_at, row.finished_at = "pending", now, None
    store.session.add(row)


def listing(store: Store, state: str | None = None, limit: int = 200) -> list[Listed]:
    if state is not None and state not in STATES:
        raise InvalidInput(
            f"--state: trạng thái không có / unknown state {state!r}; dùng / use "
            f"{', '.join(STATES)}"
        )
    query = select(MessageRow).order_by(col(MessageRow.id).desc()).limit(limit)
    if state is not None:
        query = query.where(MessageRow.state == state)
    return [
        Listed(
            id=r.id or 0,
            state=r.state,
            template=r.template,
            recipient=r.recipient,
            subject=r.subject,
            attempts=r.attempts,
            created_at=r.created_at,
            next_attempt_at=r.next_attempt_at,
            finished_at=r.finished_at,
            last_error=r.last_error,
        )
        for r in store.session.exec(query)
    ]


def counts(store: Store) -> dict[str, int]:
    rows = store.session.exec(
        select(MessageRow.state, func.count()).group_by(col(MessageRow.state))
    ).all()
    return {state: int(n) for state, n in rows}


def drain_seconds(counts: dict[str, int], rate_per_minute: int) -> float:
    """How long the messages waiting (pending or being sent) take at the relay's rate."""
    return (counts.get("pending", 0) + counts.get("sending", 0)) * 60 / rate_per_minute
