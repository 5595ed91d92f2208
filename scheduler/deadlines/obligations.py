"""Which obligations an event creates, with their keys and deadlines. Pure.

Keys make creation idempotent: the same case, follow-up, request or period always yields the
same key, and the database refuses a second row with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from scheduler.deadlines.calendar import WorkCalendar
from scheduler.deadlines.rules import Kind, Rules
from scheduler.deadlines.vntime import VN_TZ, at
from scheduler.hierarchy.life import answering, owes_period
from scheduler.hierarchy.units import Unit


@dataclass(frozen=True)
class NewObligation:
    key: str
    kind: Kind
    unit: str
    event_at: datetime
    due_at: datetime
    period: str | None = None
    requested_by: str | None = None
    moved_from: str | None = None  # owed by a unit that has closed: its successor holds it


def applies(kind: Kind, unit: Unit) -> bool:
    return not kind.owed_by or unit.kind in kind.owed_by


def for_case(
    rules: Rules, calendar: WorkCalendar, unit: Unit, case_code: str, verified_at: datetime
) -> list[NewObligation]:
    """The obligations a verified case creates for its commune (the urgent report first)."""
    return [
        NewObligation(
            f"case:{case_code}:{kind.id}",
            kind,
            unit.code,
            verified_at,
            kind.deadline.due_after(verified_at, calendar),
        )
        for kind in rules.triggered_by("case_verified")
        if applies(kind, unit)
    ]


def for_event(
    rules: Rules,
    calendar: WorkCalendar,
    unit: Unit,
    case_code: str,
    event: str,
    event_at: datetime,
) -> list[NewObligation]:
    """The obligations an event on a case starts (the information of a child in danger
    received, a child removed from the family). The moment is in the key: the same event
    recorded twice is one obligation, a second removal on another day is another."""
    return [
        NewObligation(
            f"case:{case_code}:{kind.id}:{event_at.astimezone(VN_TZ):%Y%m%dT%H%M}",
            kind,
            unit.code,
            event_at,
            kind.deadline.due_after(event_at, calendar),
        )
        for kind in rules.triggered_by("case_event", event=event)
        if applies(kind, unit)
    ]


def follow_ups(
    rules: Rules,
    calendar: WorkCalendar,
    unit: Unit,
    done_key: str,
    done_kind: str,
    submitted_at: datetime,
) -> list[NewObligation]:
    """The obligations whose clock starts when ``done_kind`` is submitted (the written report)."""
    prefix = done_key.rsplit(":", 1)[0]
    return [
        NewObligation(
            f"{prefix}:{kind.id}",
            kind,
            unit.code,
            submitted_at,
            kind.deadline.due_after(submitted_at, calendar),
        )
        for kind in rules.triggered_by("after", after=done_kind)
        if applies(kind, unit)
    ]


def adhoc(
    kind: Kind,
    unit: Unit,
    reference: str,
    due_at: datetime,
    requested_by: str,
    requested_at: datetime,
) -> NewObligation:
    return NewObligation(
        f"adhoc:{unit.code}:{reference}",
        kind,
        unit.code,
        requested_at,
        due_at,
        period=reference,
        requested_by=requested_by,
    )


def periodic(rules: Rules, units: list[Unit], year: int) -> list[NewObligation]:
    """Every yearly obligation of ``year``, and every one-off whose date falls in it, per unit.

    The period runs from 1 January to the deadline's day; a unit owes it if it exists for part
    of it, unless its successor does (``scheduler.hierarchy.life.owes_period``).
    """
    created: list[NewObligation] = []
    by_code = {unit.code: unit for unit in units}
    start = at(date(year, 1, 1), time(0, 0))
    for kind in rules.kinds.values():
        if kind.trigger == "yearly":
            due_at, period = kind.deadline.due_in_year(year), kind.period.format(year=year)
        elif kind.trigger == "once" and kind.deadline.before_date is not None:
            if kind.deadline.due_in_year(year).year != year:
                continue
            due_at, period = kind.deadline.due_in_year(year), kind.deadline.before_date.isoformat()
        else:
            continue
        for unit in units:
            if not applies(kind, unit) or not owes_period(
                unit, start.date(), due_at.date(), by_code, kind.owed_by_successor
            ):
                continue
            holder = answering(unit.code, by_code, due_at.date()) or unit.code
            created.append(
                NewObligation(
                    f"periodic:{kind.id}:{period}:{unit.code}",
                    kind,
                    holder,
                    start,
                    due_at,
                    period=period,
                    moved_from=unit.code if holder != unit.code else None,
                )
            )
    return created
