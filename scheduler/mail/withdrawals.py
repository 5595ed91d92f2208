"""What becomes of a queued mail that outlives what it reminds of: when the mail is claimed,
``withdrawals`` says which of its reminders belong to obligations submitted since, and
re-composes the rest as it was composed (``scheduler.mail.compose``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from scheduler.deadlines.vntime import fmt_datetime
from scheduler.mail import outbox
from scheduler.mail.compose import pending, rendered
from scheduler.mail.outbox import Outgoing
from scheduler.mail.render import Renderer
from scheduler.settings import Config
from scheduler.store.queries import Store


@dataclass(frozen=True)
class Withdrawal:
    """Reminders that a queued message carries for obligations submitted meanwhile, and what
    becomes of the message: re-composed without them (``kept``, with them alone in
    ``withdrawn``), or cancelled when nothing is left (``kept`` is None)."""

    reason: str
    obligations: tuple[int, ...]
    kept: outbox.Composed | None = None
    withdrawn: outbox.Composed | None = None
    waiting: bool = False  # what is left cannot be re-composed now (a kind or unit is gone)


def withdrawals(
    store: Store, config: Config, renderer: Renderer, messages: Sequence[Outgoing]
) -> dict[int, Withdrawal]:
    """For each message that carries a reminder whose obligation has been submitted, what must
    change. Late flags are evidence: they never go stale. What is kept is re-composed as it was
    composed (same moment, same links), only without the stale reminders."""
    stale: dict[int, set[int]] = defaultdict(set)
    composed_at: dict[int, datetime] = {}
    for message_id, reminder_id, created_at in store.submitted_since_queued(
        [m.id for m in messages]
    ):
        stale[message_id].add(reminder_id)
        composed_at[message_id] = created_at
    found: dict[int, Withdrawal] = {}
    for message in messages:
        if message.id not in stale:
            continue
        rows = store.carried(message.id)
        left_out = [row for row in rows if row.reminder_id in stale[message.id]]
        fresh = [row for row in rows if row.reminder_id not in stale[message.id]]
        submitted = {r.obligation_id: r.submitted_at for r in left_out if r.submitted_at}
        reason = (
            "; ".join(f"nghĩa vụ {o} đã nộp lúc {fmt_datetime(at)}" for o, at in submitted.items())
            + " - không gửi nhắc / already submitted: reminder not sent"
        )
        if not fresh:
            found[message.id] = Withdrawal(reason, tuple(submitted))
            continue
        now = composed_at[message.id]
        units = store.units_owing({}, {r.unit for r in rows})
        kept, gone = pending(config, fresh, now, units), pending(config, left_out, now, units)
        if len(kept) < len(fresh) or len(gone) < len(left_out):
            found[message.id] = Withdrawal(reason, tuple(submitted), waiting=True)
            continue
        found[message.id] = Withdrawal(
            reason,
            tuple(submitted),
            kept=rendered(config, renderer, [(message.recipient, kept)], now)[0],
            withdrawn=rendered(config, renderer, [(message.recipient, gone)], now)[0],
        )
    return found
