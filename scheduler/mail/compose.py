"""Turning recorded reminders into mail in the outbox, once.

Each reminder recorded by the sweep is composed exactly once (``composed_at``, set in the same
transaction as the messages it becomes). Reminders for the same person are grouped into one
mail when ``mail.group_by_recipient`` is on; late flags go into the district's daily digest
(``scheduler.mail.digest``) when ``mail.digest_late_flags`` is on, instead of one mail each.

A queued mail can outlive what it reminds of: ``withdrawals`` says, when the mail is claimed,
which of its reminders belong to obligations submitted since, and re-composes the rest as it
was composed.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import case, not_
from sqlmodel import col, select, update
from sqlmodel.sql.expression import Select

from scheduler import links
from scheduler.deadlines.rules import Kind, Recipient
from scheduler.deadlines.vntime import days_late, fmt_datetime, vn_date
from scheduler.hierarchy.units import Unit
from scheduler.mail import outbox
from scheduler.mail.outbox import Outgoing
from scheduler.mail.render import PRIORITY, Item, Renderer, template_for
from scheduler.settings import Config
from scheduler.store.queries import Store
from scheduler.store.schema import CaseRow, MessageItemRow, MessageRow, ObligationRow, ReminderRow

log = logging.getLogger("scheduler.compose")
ROLE_VI = {"officer": "cán bộ phụ trách", "leader": "lãnh đạo", "supervisor": "bộ phận theo dõi"}


@dataclass(frozen=True)
class _Pending:
    item: Item
    recipients: tuple[str, ...]
    unit: str
    parent: str | None
    late_flag: bool


def _submit_to(
    recipients: tuple[Recipient, ...], unit: Unit, parent: Unit | None
) -> tuple[str, ...]:
    labels: list[str] = []
    for recipient in recipients:
        holder = parent if recipient.of_parent else unit
        if holder is not None:
            labels.extend(
                f"{holder.name} - {ROLE_VI[recipient.role]} <{address}>"
                for address in holder.addresses(recipient.role)
            )
    return tuple(labels)


def _item(
    kind: Kind,
    reminder: ReminderRow,
    obligation: ObligationRow,
    case_code: str | None,
    unit: Unit,
    parent: Unit | None,
    now: datetime,
) -> Item:
    step = next((s for s in kind.ladder if s.name == reminder.step), None)
    template = (
        template_for(kind, step) if step else ("late_flag" if reminder.late_flag else "overdue")
    )
    assert reminder.id is not None and obligation.id is not None
    return Item(
        reminder_id=reminder.id,
        obligation_id=obligation.id,
        obligation_key=obligation.key,
        template=template,
        kind_name=kind.name,
        how=kind.how,
        case_code=case_code,
        period=obligation.period,
        requested_by=obligation.requested_by,
        unit_code=unit.code,
        unit_name=unit.name,
        due_at=obligation.due_at,
        days_late=days_late(obligation.due_at, now),
        submit_to=_submit_to(kind.submit_to, unit, parent),
    )


def _reminders() -> Select[ReminderRow, ObligationRow, str]:
    """Recorded reminders with their obligation and case code."""
    return (
        select(ReminderRow, ObligationRow, CaseRow.code)
        .join(ObligationRow, col(ObligationRow.id) == col(ReminderRow.obligation_id))
        .outerjoin(CaseRow, col(CaseRow.id) == col(ObligationRow.case_id))
    )


def _pending(
    store: Store,
    config: Config,
    rows: Sequence[tuple[ReminderRow, ObligationRow, str | None]],
    now: datetime,
) -> list[_Pending]:
    """What each reminder says as of ``now``; one whose kind or unit is unknown is left out."""
    units = store.units({o.unit for _, o, _ in rows})
    units.update(store.units({u.parent for u in units.values() if u.parent} - set(units)))
    pending: list[_Pending] = []
    for reminder, obligation, case_code in rows:
        kind, unit = config.rules.kinds.get(obligation.kind), units.get(obligation.unit)
        if kind is None or unit is None:
            log.error(
                "action=compose_waiting reminder=%s kind=%s unit=%s",
                reminder.id,
                obligation.kind,
                obligation.unit,
            )
            continue
        parent = units.get(unit.parent) if unit.parent else None
        item = _item(kind, reminder, obligation, case_code, unit, parent, now)
        if kind.deadline.counted_in_days and config.calendar.provisional(vn_date(item.due_at)):
            item = replace(item, provisional=True)  # its days off are not confirmed yet
        pending.append(
            _Pending(
                item,
                tuple(json.loads(reminder.recipients)),
                unit.code,
                unit.parent,
                reminder.late_flag,
            )
        )
    return pending


def _urgency(config: Config) -> Any:
    """A reminder's urgency as SQL, from what its step sends (``PRIORITY``): a new case's notice
    is composed before the 1-July wave recorded ahead of it."""
    return case(
        *(
            ((col(ObligationRow.kind) == kind.id) & (col(ReminderRow.step) == step.name), urgency)
            for kind in config.rules.kinds.values()
            for step in kind.ladder
            if (urgency := PRIORITY[template_for(kind, step)]) != PRIORITY["overdue"]
        ),
        else_=PRIORITY["overdue"],
    )


def compose(
    store: Store, config: Config, renderer: Renderer, now: datetime, limit: int = 2000
) -> int:
    """Compose up to ``limit`` recorded reminders into outbox messages; how many were queued.

    The reminders are taken first (``composed_at``, a compare-and-set whose rows come back), and
    only those taken are composed: another daemon composing at the same moment gets the others
    (on PostgreSQL it skips the rows taken) or none, never the same ones."""
    rows = store.session.exec(
        _reminders()
        .where(col(ReminderRow.state) == "due")
        .where(col(ReminderRow.composed_at).is_(None))
        .where(col(ReminderRow.recorded_at) <= now)
        .order_by(_urgency(config), col(ReminderRow.id))
        .limit(limit)
        .with_for_update(of=ReminderRow, skip_locked=True)
    ).all()
    if not rows:
        return 0
    # a reminder left out waits uncomposed: it goes out once the rules are fixed
    pending = _pending(store, config, rows, now)
    taken = set(
        store.session.exec(
            update(ReminderRow)
            .where(col(ReminderRow.id).in_([entry.item.reminder_id for entry in pending]))
            .where(col(ReminderRow.composed_at).is_(None))
            .values(composed_at=now)
            .returning(col(ReminderRow.id))
        ).scalars()
    )
    if len(taken) < len(pending):
        log.info("action=compose_taken_elsewhere reminders=%s", len(pending) - len(taken))
    return outbox.enqueue_many(
        store,
        [
            _composed(config, renderer, address, entries, now)
            for address, entries in _groups(
                [entry for entry in pending if entry.item.reminder_id in taken],
                config.mail.group_by_recipient,
                config.mail.digest_late_flags,
            )
        ],
        domain=config.mail.domain,
        now=now,
    )


def _groups(
    pending: list[_Pending], by_recipient: bool, flags_to_digest: bool
) -> list[tuple[str, list[_Pending]]]:
    """(recipient, what that person gets in one mail), in a stable order."""
    groups: dict[tuple[str, int], list[_Pending]] = defaultdict(list)
    for entry in pending:
        if entry.late_flag and flags_to_digest:
            continue
        for address in entry.recipients:
            group = 0 if by_recipient else entry.item.reminder_id
            groups[(address, group)].append(entry)
    return [(address, entries) for (address, _), entries in groups.items()]


def _composed(
    config: Config,
    renderer: Renderer,
    recipient: str,
    entries: Sequence[_Pending],
    now: datetime,
) -> outbox.Composed:
    web = config.web
    items = [
        replace(
            e.item,
            ack_url=f"{web.base_url}/ack/"
            + links.sign(web.signing_key, e.item.obligation_id, recipient, now, web.link_days),
        )
        if web.signing_key
        else e.item
        for e in entries
    ]
    obligations = {e.item.obligation_id for e in entries}
    return outbox.Composed(
        renderer.items(recipient, items, now),
        concerned=tuple(sorted({c for e in entries for c in (e.unit, e.parent) if c})),
        unit=entries[0].unit if len({e.unit for e in entries}) == 1 else None,
        obligation_id=next(iter(obligations)) if len(obligations) == 1 else None,
        items=tuple((e.item.reminder_id, e.item.obligation_id) for e in entries),
    )


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
    for message_id, reminder_id, created_at in store.session.exec(
        select(MessageItemRow.message_id, MessageItemRow.reminder_id, MessageRow.created_at)
        .join(MessageRow, col(MessageRow.id) == col(MessageItemRow.message_id))
        .join(ReminderRow, col(ReminderRow.id) == col(MessageItemRow.reminder_id))
        .join(ObligationRow, col(ObligationRow.id) == col(MessageItemRow.obligation_id))
        .where(col(MessageItemRow.message_id).in_([m.id for m in messages]))
        .where(col(ObligationRow.submitted_at).is_not(None))
        .where(not_(col(ReminderRow.late_flag)))
    ):
        stale[message_id].add(reminder_id)
        composed_at[message_id] = created_at
    found: dict[int, Withdrawal] = {}
    for message in messages:
        if message.id not in stale:
            continue
        rows = store.session.exec(
            _reminders()
            .join(MessageItemRow, col(MessageItemRow.reminder_id) == col(ReminderRow.id))
            .where(col(MessageItemRow.message_id) == message.id)
            .order_by(col(ReminderRow.id))
        ).all()
        left_out = [row for row in rows if row[0].id in stale[message.id]]
        fresh = [row for row in rows if row[0].id not in stale[message.id]]
        submitted = {o.id: o.submitted_at for _, o, _ in left_out if o.id and o.submitted_at}
        reason = (
            "; ".join(f"nghĩa vụ {o} đã nộp lúc {fmt_datetime(at)}" for o, at in submitted.items())
            + " - không gửi nhắc / already submitted: reminder not sent"
        )
        if not fresh:
            found[message.id] = Withdrawal(reason, tuple(submitted))
            continue
        now = composed_at[message.id]
        kept, gone = _pending(store, config, fresh, now), _pending(store, config, left_out, now)
        if len(kept) < len(fresh) or len(gone) < len(left_out):
            found[message.id] = Withdrawal(reason, tuple(submitted), waiting=True)
            continue
        found[message.id] = Withdrawal(
            reason,
            tuple(submitted),
            kept=_composed(config, renderer, message.recipient, kept, now),
            withdrawn=_composed(config, renderer, message.recipient, gone, now),
        )
    return found
