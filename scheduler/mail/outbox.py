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

The statements themselves are ``scheduler.store.outbox``'s; this module says which change each
step of a message's life is.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from scheduler.errors import Conflict, InvalidInput, NotFound
from scheduler.mail.render import Draft, message_key_id
from scheduler.records import MESSAGE_STATES
from scheduler.store.outbox import Listed
from scheduler.store.outbox import Outgoing as Outgoing  # the outbox's message, as claimed
from scheduler.store.queries import Store

STATES = MESSAGE_STATES


def direct(draft: Draft, domain: str, concerned: tuple[str, ...]) -> Outgoing:
    """A message sent straight away, without the outbox (the test mail, the benchmark)."""
    return Outgoing(
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


def _new(composed: Composed, domain: str, now: datetime, state: str) -> dict[str, Any]:
    """A new message's columns: its key, the Message-ID the key fixes, what it says, ``state``."""
    key = composed.draft.key
    return {
        "key": key,
        "message_id": message_key_id(key, domain),
        **_content(composed),
        "state": state,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


def enqueue(store: Store, composed: Composed, *, domain: str, now: datetime) -> bool:
    """Add a message (with the reminders it carries); False when its key is already queued."""
    added = store.add_message(_new(composed, domain, now, "pending"), composed.items)
    return added is not None


def enqueue_many(
    store: Store, composed: Sequence[Composed], *, domain: str, now: datetime, new: bool = False
) -> int:
    """Add many messages (with the reminders they carry) in two statements per slice; how many
    were new. A key already queued is left alone, as ``enqueue`` does, and so are its items.
    ``new``: the keys cannot be queued yet (they name reminders just taken for them)."""
    return store.add_messages(
        [(_new(c, domain, now, "pending"), c.items) for c in composed], new=new
    )


def claim(store: Store, now: datetime, limit: int, lease: timedelta) -> list[Outgoing]:
    """Take up to ``limit`` messages that are due, most urgent first (``priority``: a new case's
    notice, then overdue, then reminders, then digests), oldest first within one urgency; a
    compare-and-set, so two senders never take the same one (``Store.claim_messages``)."""
    return store.claim_messages(now, limit, lease)


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


def renew(store: Store, messages: Sequence[Outgoing], until: datetime) -> set[int]:
    """Extend the lease of claimed messages to ``until``; the ids of those still ours (a message
    whose lease ran out may have been claimed again since, by another sender)."""
    return store.renew_claims(messages, until)


def mark_sent(store: Store, message: Outgoing, now: datetime) -> bool:
    return store.change_claimed(message, sent(now))


def mark_retry(store: Store, message: Outgoing, at: datetime, error: str) -> bool:
    return store.change_claimed(message, pending_again(at, error))


def mark_failed(
    store: Store, message: Outgoing, now: datetime, error: str, state: str = "failed"
) -> bool:
    return store.change_claimed(message, ended(now, error, state))


def rewrite(store: Store, message: Outgoing, composed: Composed) -> Outgoing:
    """Replace what a claimed message says; its key and Message-ID stay."""
    if not store.change_claimed(message, _content(composed)):
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
    cancelled = store.add_message(
        _new(withdrawn, domain, now, "cancelled") | {"finished_at": now, "last_error": reason[:500]}
    )
    assert cancelled is not None
    store.move_items(message.id, [r for r, _ in withdrawn.items], cancelled)
    return rewritten, cancelled


def retry(store: Store, message_id: int, now: datetime) -> None:
    """An operator sends a failed or refused message again (after fixing the address)."""
    state = store.message_state(message_id)
    if state is None:
        raise NotFound(f"không có thư / unknown message {message_id}")
    if state not in ("failed", "refused"):
        raise InvalidInput(
            f"thư {message_id} đang ở trạng thái {state}; chỉ gửi lại thư "
            "failed hoặc refused / only failed or refused messages are retried"
        )
    store.requeue(message_id, now)


def listing(store: Store, state: str | None = None, limit: int = 200) -> list[Listed]:
    if state is not None and state not in STATES:
        raise InvalidInput(
            f"--state: trạng thái không có / unknown state {state!r}; dùng / use "
            f"{', '.join(STATES)}"
        )
    return store.messages(state, limit)


def counts(store: Store) -> dict[str, int]:
    return store.message_counts()


def drain_seconds(counts: dict[str, int], rate_per_minute: int) -> float:
    """How long the messages waiting (pending or being sent) take at the relay's rate."""
    return (counts.get("pending", 0) + counts.get("sending", 0)) * 60 / rate_per_minute
