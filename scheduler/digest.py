"""The district's daily digest: one mail per working day to each supervising unit, listing every
late unit below it (obligation, due, days late, reminders already sent), the units flagged late
since the last digest that have submitted meanwhile, and any reminder that could not be
delivered since then, instead of one mail per late flag.

It is keyed by unit, day and address, so calling it on every tick after ``mail.digest_time``
queues it once. A digest still queued when a unit it lists submits is re-rendered before it is
sent (``refreshed``): the late flag stays, and its line says when the report came in.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import col, select

from scheduler import outbox
from scheduler.hierarchy.units import Unit
from scheduler.outbox import Outgoing
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
from scheduler.vntime import at, days_late


def _since(config: Config, now: datetime) -> datetime:
    """The previous working day's digest time: a weekend or Tết hides nothing."""
    return at(config.calendar.shift(now.date(), -1), config.mail.digest_time)


def _late(
    store: Store, config: Config, since: datetime, as_of: datetime
) -> dict[str, list[LateRow]]:
    """By supervising unit, what a digest composed at ``as_of`` lists: every obligation below it
    late and not submitted then, and every one flagged late since ``since`` but submitted
    before ``as_of`` (the district still hears of it); each with its submission, if any."""
    base = (
        select(ObligationRow, UnitRow, CaseRow.code)
        .join(UnitRow, col(UnitRow.code) == col(ObligationRow.unit))
        .outerjoin(CaseRow, col(CaseRow.id) == col(ObligationRow.case_id))
        .where(col(UnitRow.parent).is_not(None))
    )
    late_then = store.session.exec(
        base.where(
            or_(col(ObligationRow.submitted_at).is_(None), col(ObligationRow.submitted_at) > as_of)
        )
        .where(col(ObligationRow.superseded_by).is_(None))
        .where(col(ObligationRow.due_at) < as_of)
    ).all()
    flagged_then_submitted = store.session.exec(
        base.join(ReminderRow, col(ReminderRow.obligation_id) == col(ObligationRow.id))
        .where(col(ReminderRow.late_flag))
        .where(col(ReminderRow.recorded_at) >= since)
        .where(col(ReminderRow.recorded_at) <= as_of)
        .where(col(ObligationRow.submitted_at) <= as_of)
        .distinct()
    ).all()
    late = sorted([*late_then, *flagged_then_submitted], key=lambda r: (r[1].code, r[0].due_at))
    sent = _reminders_sent(store, [o.id for o, _, _ in late if o.id is not None], as_of)
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
                days_late(obligation.due_at, obligation.submitted_at or as_of),
                sent.get(obligation.id or 0, 0),
                obligation.submitted_at,
            )
        )
    return rows


def _composed(
    renderer: Renderer,
    address: str,
    parent: Unit,
    rows: dict[str, list[LateRow]],
    failures: dict[str, list[str]],
    now: datetime,
) -> outbox.Composed:
    code = parent.code
    draft = renderer.digest(
        address, code, parent.name, rows.get(code, []), failures.get(code, []), now
    )
    return outbox.Composed(draft, concerned=(code,), unit=code)


def digest(store: Store, config: Config, renderer: Renderer, now: datetime) -> int:
    """Queue today's digests if it is a working day past the digest time; how many were new."""
    if not config.calendar.is_working_day(now.date()) or now.time() < config.mail.digest_time:
        return 0
    since = _since(config, now)
    rows, failures = _late(store, config, since, now), _failures(store, since, now)
    queued = 0
    for parent in store.units(set(rows) | set(failures)).values():
        for address in parent.addresses("supervisor"):
            queued += outbox.enqueue(
                store,
                _composed(renderer, address, parent, rows, failures, now),
                domain=config.mail.domain,
                now=now,
            )
    return queued


def refreshed(
    store: Store, config: Config, renderer: Renderer, message: Outgoing
) -> outbox.Composed | None:
    """A queued digest re-rendered as it was composed, when an obligation it lists as late has
    been submitted since: its line then says when. None when what it says still holds."""
    row = store.session.get(MessageRow, message.id)
    assert row is not None and row.unit is not None  # a digest is about its supervising unit
    composed_at = row.created_at
    since = _since(config, composed_at)
    rows = _late(store, config, since, composed_at)
    if not any(r.submitted_at and r.submitted_at > composed_at for r in rows.get(row.unit, [])):
        return None
    parent = store.units([row.unit])[row.unit]
    failures = _failures(store, since, composed_at)
    return _composed(renderer, message.recipient, parent, rows, failures, composed_at)


def _reminders_sent(store: Store, obligation_ids: list[int], until: datetime) -> dict[int, int]:
    """How many ladder steps of each obligation reached at least one person by ``until``."""
    if not obligation_ids:
        return {}
    counted = store.session.exec(
        select(MessageItemRow.obligation_id, func.count(func.distinct(MessageItemRow.reminder_id)))
        .join(MessageRow, col(MessageRow.id) == col(MessageItemRow.message_id))
        .where(col(MessageRow.state) == "sent")
        .where(col(MessageRow.finished_at) <= until)
        .where(col(MessageItemRow.obligation_id).in_(obligation_ids))
        .group_by(col(MessageItemRow.obligation_id))
    ).all()
    return {obligation: int(n) for obligation, n in counted}


def _failures(store: Store, since: datetime, until: datetime) -> dict[str, list[str]]:
    """Reminders that could not be delivered between ``since`` and ``until``, by the parent of
    their unit."""
    failed = store.session.exec(
        select(MessageRow, UnitRow.parent)
        .join(UnitRow, col(UnitRow.code) == col(MessageRow.unit))
        .where(col(MessageRow.state).in_(["failed", "refused"]))
        .where(col(MessageRow.finished_at) >= since)
        .where(col(MessageRow.finished_at) <= until)
        .where(col(UnitRow.parent).is_not(None))
    ).all()
    result: dict[str, list[str]] = defaultdict(list)
    for message, parent in failed:
        if parent is not None:
            result[parent].append(f"{message.recipient}: {message.last_error} ({message.subject})")
    return result
