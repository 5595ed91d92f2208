"""The district's daily digest: one mail per working day to each supervising unit, listing every
late unit below it (obligation, due, days late, reminders already sent), the units flagged late
since the last digest that have submitted meanwhile, and any reminder that could not be
delivered since then, instead of one mail per late flag.

It is keyed by unit, day and address, so calling it on every tick after ``mail.digest_time``
queues it once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select

from scheduler import outbox
from scheduler.render import LateRow, Renderer
from scheduler.settings import Config
from scheduler.store.queries import Store
from scheduler.store.schema import (
    CaseRow,
    MessageItemRow,
    MessageRow,
    ObligationRow,
    ReminderRow,
    UnitRow,
)
from scheduler.vntime import at, days_late, fmt_datetime


def digest(store: Store, config: Config, renderer: Renderer, now: datetime) -> int:
    """Queue today's digests if it is a working day past the digest time; how many were new."""
    if not config.calendar.is_working_day(now.date()) or now.time() < config.mail.digest_time:
        return 0
    # since the previous working day's digest: a weekend or Tết hides nothing
    since = at(config.calendar.shift(now.date(), -1), config.mail.digest_time)
    base = (
        select(ObligationRow, UnitRow, CaseRow.code)
        .join(UnitRow, col(UnitRow.code) == col(ObligationRow.unit))
        .outerjoin(CaseRow, col(CaseRow.id) == col(ObligationRow.case_id))
        .where(col(UnitRow.parent).is_not(None))
    )
    still_late = store.session.exec(
        base.where(col(ObligationRow.submitted_at).is_(None)).where(col(ObligationRow.due_at) < now)
    ).all()
    # flagged late since the last digest but submitted meanwhile: the district still hears of it
    flagged_then_submitted = store.session.exec(
        base.join(ReminderRow, col(ReminderRow.obligation_id) == col(ObligationRow.id))
        .where(col(ReminderRow.late_flag))
        .where(col(ReminderRow.recorded_at) >= since)
        .where(col(ObligationRow.submitted_at).is_not(None))
        .distinct()
    ).all()
    late = sorted([*still_late, *flagged_then_submitted], key=lambda r: (r[1].code, r[0].due_at))
    sent = _reminders_sent(store, [o.id for o, _, _ in late if o.id is not None])
    rows: dict[str, list[LateRow]] = defaultdict(list)
    for obligation, unit, case_code in late:
        kind = config.rules.kinds.get(obligation.kind)
        name = kind.name if kind else obligation.kind
        title = f"{case_code} - {name}" if case_code else f"{name} {obligation.period or ''}"
        assert unit.parent is not None
        rows[unit.parent].append(
            LateRow(
                unit.code,
                unit.name,
                title.strip(),
                obligation.due_at,
                days_late(obligation.due_at, obligation.submitted_at or now),
                sent.get(obligation.id or 0, 0),
                fmt_datetime(obligation.submitted_at) if obligation.submitted_at else None,
            )
        )
    failures = _failures(store, since)
    queued = 0
    parents = store.units(set(rows) | set(failures))
    for code, parent in parents.items():
        for address in parent.addresses("supervisor"):
            draft = renderer.digest(
                address, code, parent.name, rows.get(code, []), failures.get(code, []), now
            )
            queued += outbox.enqueue(
                store,
                outbox.Composed(draft, concerned=(code,), unit=code),
                domain=config.mail.domain,
                now=now,
            )
    return queued


def _reminders_sent(store: Store, obligation_ids: list[int]) -> dict[int, int]:
    """How many ladder steps of each obligation reached at least one person."""
    if not obligation_ids:
        return {}
    counted = store.session.exec(
        select(MessageItemRow.obligation_id, func.count(func.distinct(MessageItemRow.reminder_id)))
        .join(MessageRow, col(MessageRow.id) == col(MessageItemRow.message_id))
        .where(col(MessageRow.state) == "sent")
        .where(col(MessageItemRow.obligation_id).in_(obligation_ids))
        .group_by(col(MessageItemRow.obligation_id))
    ).all()
    return {obligation: int(n) for obligation, n in counted}


def _failures(store: Store, since: datetime) -> dict[str, list[str]]:
    """Reminders that could not be delivered since ``since``, by the parent of their unit."""
    failed = store.session.exec(
        select(MessageRow, UnitRow.parent)
        .join(UnitRow, col(UnitRow.code) == col(MessageRow.unit))
        .where(col(MessageRow.state).in_(["failed", "refused"]))
        .where(col(MessageRow.finished_at) >= since)
        .where(col(UnitRow.parent).is_not(None))
    ).all()
    result: dict[str, list[str]] = defaultdict(list)
    for message, parent in failed:
        if parent is not None:
            result[parent].append(f"{message.recipient}: {message.last_error} ({message.subject})")
    return result
