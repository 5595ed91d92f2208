"""Obligation kinds as data: what triggers each, its deadline rule, who owes it, its ladder, and
the part it plays (``role``) where the code must find a kind without naming it.

``config/rules.yaml`` is read once and validated as a whole (``rules_file``) into the frozen
values below. After that the code trusts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal, get_args

from scheduler.deadlines.calendar import WorkCalendar
from scheduler.deadlines.vntime import end_of_day
from scheduler.errors import InvalidInput

UNIT_KINDS = ("province", "district", "commune", "agency")
ROLES = ("officer", "leader", "supervisor", "admin")  # admin: the operator, on the top unit
Trigger = Literal["case_verified", "case_event", "after", "request", "yearly", "once"]
TRIGGERS: tuple[Trigger, ...] = get_args(Trigger)
# The part a kind plays where the code must find it without naming it, with the trigger it needs.
Role = Literal["urgent_notice", "written_follow_up", "adhoc_request"]
ROLE_TRIGGERS: dict[Role, Trigger] = {
    "urgent_notice": "case_verified",  # a case's urgent report, `case report --stage urgent`
    "written_follow_up": "after",  # its written follow-up, `--stage written`
    "adhoc_request": "request",  # what `adhoc request` asks for when no --kind is given
}


@dataclass(frozen=True)
class Recipient:
    """A role relative to the unit that owes: its own ``officer``, or ``parent.supervisor``."""

    role: str
    of_parent: bool

    def __str__(self) -> str:
        return f"parent.{self.role}" if self.of_parent else self.role


@dataclass(frozen=True)
class Deadline:
    """How the deadline follows from the triggering moment, or from the period's year.

    Exactly one way: ``working_days``, ``calendar_days`` or ``hours`` after the event; ``before``
    a day-month every year (``year_offset`` for "before 1 January of the next year"); ``before``
    a one-off date; or ``requested`` (the requester gives it).
    """

    working_days: int | None = None
    calendar_days: int | None = None
    hours: int | None = None
    before_day_month: tuple[int, int] | None = None
    year_offset: int = 0
    before_date: date | None = None
    requested: bool = False

    @property
    def counted_in_days(self) -> bool:
        """Counted on the calendar of days off (not in hours, not a fixed date)."""
        return self.working_days is not None or self.calendar_days is not None

    def due_after(self, event_at: datetime, calendar: WorkCalendar) -> datetime:
        """The deadline of a period that starts at ``event_at``."""
        if self.working_days is not None:
            return calendar.working_days_deadline(event_at, self.working_days)
        if self.calendar_days is not None:
            return calendar.calendar_days_deadline(event_at, self.calendar_days)
        if self.hours is not None:
            return event_at + timedelta(hours=self.hours)
        raise InvalidInput("hạn này không tính từ một sự kiện / this deadline is not a period")

    def due_in_year(self, year: int) -> datetime:
        """A fixed date is not a period: the deadline is the end of the day before it."""
        if self.before_day_month is not None:
            day, month = self.before_day_month
            return end_of_day(date(year + self.year_offset, month, day) - timedelta(days=1))
        if self.before_date is not None:
            return end_of_day(self.before_date - timedelta(days=1))
        raise InvalidInput("hạn này không phải ngày cố định / this deadline is not a fixed date")

    def describe(self) -> str:
        if self.working_days is not None:
            return f"{self.working_days} ngày làm việc"
        if self.calendar_days is not None:
            return f"{self.calendar_days} ngày"
        if self.hours is not None:
            return f"{self.hours} giờ"
        if self.before_day_month is not None:
            day, month = self.before_day_month
            return f"trước ngày {day:02d}/{month:02d}"
        if self.before_date is not None:
            return f"trước ngày {self.before_date:%d/%m/%Y}"
        return "theo yêu cầu"


@dataclass(frozen=True)
class Step:
    """One rung of the escalation ladder.

    ``at`` is ``"immediate"`` (when the obligation is created, any hour) or an offset in working
    days from the deadline's day (negative before, 0 the deadline day or the last working day
    before it, positive after), sent at ``time`` on that working day. ``at_hours`` instead is an
    offset in calendar hours from the deadline instant. A step repeats ``times`` times in all,
    every ``every_working_days``.
    """

    name: str
    notify: tuple[Recipient, ...]
    immediate: bool = False
    working_days: int | None = None
    hours: int | None = None
    time: time | None = None
    every_working_days: int = 1
    times: int = 1
    flag_late: bool = False


@dataclass(frozen=True)
class Kind:
    id: str
    name: str
    trigger: Trigger
    deadline: Deadline
    ladder: tuple[Step, ...]
    owed_by: tuple[str, ...] = ()
    submit_to: tuple[Recipient, ...] = ()
    after: str | None = None
    how: str = ""
    period: str = "{year}"
    owed_by_successor: bool = True  # a unit that closes mid-period: its successor reports
    subject_phrases: tuple[str, ...] = ()  # how a report mail's subject names it (intake)
    event: str | None = None  # case_event: the event on a case that starts it
    role: Role | None = None  # the part it plays that the code asks for (ROLE_TRIGGERS)

    @property
    def reported_upward(self) -> bool:
        """Its report goes to the parent unit, which can see the report mail and confirm it."""
        return any(recipient.of_parent for recipient in self.submit_to)

    def step(self, name: str) -> Step | None:
        return next((s for s in self.ladder if s.name == name), None)

    def over(self, now: datetime) -> bool:
        """A one-off kind whose date has passed: it can create nothing any more."""
        return self.deadline.before_date is not None and self.deadline.due_in_year(now.year) < now


@dataclass(frozen=True)
class Rules:
    kinds: dict[str, Kind]
    reminder_time: time

    def kind(self, kind_id: str) -> Kind:
        try:
            return self.kinds[kind_id]
        except KeyError:
            known = ", ".join(sorted(self.kinds))
            raise InvalidInput(
                f"loại nghĩa vụ không có / unknown kind {kind_id!r}; có: {known}"
            ) from None

    def playing(self, role: Role) -> Kind | None:
        """The kind that plays ``role`` in these rules, if one does."""
        return next((k for k in self.kinds.values() if k.role == role), None)

    def kind_for(self, role: Role) -> Kind:
        """The kind that plays ``role``; an input error if none does."""
        kind = self.playing(role)
        if kind is None:
            raise InvalidInput(
                f"quy tắc không có loại nào giữ vai trò / no kind in the rules has role {role!r}"
            )
        return kind

    def triggered_by(
        self, trigger: Trigger, after: str | None = None, event: str | None = None
    ) -> list[Kind]:
        return [
            k
            for k in self.kinds.values()
            if k.trigger == trigger and k.after == after and k.event == event
        ]

    @property
    def case_events(self) -> tuple[str, ...]:
        """The events on a case that the rules give a meaning (``case event --kind``)."""
        return tuple(sorted({k.event for k in self.kinds.values() if k.event is not None}))

    def roles_needed(self, unit_kind: str) -> set[Recipient]:
        """Every role a unit of this kind must have contacts for, own or its parent's."""
        needed: set[Recipient] = set()
        for kind in self.kinds.values():
            if kind.owed_by and unit_kind not in kind.owed_by:
                continue
            needed.update(kind.submit_to)
            for step in kind.ladder:
                needed.update(step.notify)
        return needed
