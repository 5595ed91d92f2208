"""The district's daily digest: one mail per working day to each supervising unit, listing every
late unit below it (obligation, due, days late, reminders already sent) and any reminder that
could not be delivered, instead of one mail per late flag.

It is keyed by unit, day and address, so calling it on every tick after ``mail.digest_time``
queues it once.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select

from scheduler import outbox
from scheduler.render import LateRow, Renderer
from scheduler.settings import Config
from scheduler.storage import (
    CaseRow,
    MessageItemRow,
    MessageRow,
    ObligationRow,
    Store,
    UnitRow,
)
from scheduler.vntime import days_late


def digest(store: Store, config: Config, renderer: Renderer, now: datetime) -> int:
    """Queue today's digests if it is a working day past the digest time; how many were new."""
    if not config.calendar.is_working_day(now.date()) or now.time() < config.mail.digest_time:
        return 0
    late = store.session.exec(
        select(ObligationRow, UnitRow, CaseRow.code)
        .join(UnitRow, col(UnitRow.code) == col(ObligationRow.unit))
        .outerjoin(CaseRow, col(CaseRow.id) == col(ObligationRow.case_id))
        .where(col(ObligationRow.submitted_at).is_(None))
        .where(col(ObligationRow.due_at) < now)
        .where(col(UnitRow.parent).is_not(None))
        .order_by(col(UnitRow.code), col(ObligationRow.due_at))
    ).all()
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
                days_late(obligation.due_at, now),
                sent.get(obligation.id or 0, 0),
            )
        )
    failures = _failures(store, now)
    queued = 0
    parents = store.units(set(rows) | set(failures))
    for code, parent in parents.items():
        for address in parent.addresses("supervisor"):
            draft = renderer.digest(
                address, code, parent.name, rows.get(code, []), failures.get(code, []), now
            )
            queued += outbox.enqueue(
                store,
                draft,
                domain=config.mail.domain,
                now=now,
                concerned=[code],
                unit=code,
                obligation_id=None,
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


def _failures(store: Store, now: datetime) -> dict[str, list[str]]:
    """Reminders that could not be delivered in the last day, by the parent of their unit."""
    failed = store.session.exec(
        select(MessageRow, UnitRow.parent)
        .join(UnitRow, col(UnitRow.code) == col(MessageRow.unit))
        .where(col(MessageRow.state).in_(["failed", "refused"]))
        .where(col(MessageRow.finished_at) >= now - timedelta(days=1))
        .where(col(UnitRow.parent).is_not(None))
    ).all()
    result: dict[str, list[str]] = defaultdict(list)
    for message, parent in failed:
        if parent is not None:
            result[parent].append(f"{message.recipient}: {message.last_error} ({message.subject})")
    return result
