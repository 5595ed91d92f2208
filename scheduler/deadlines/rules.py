"""Obligation kinds as data: what triggers each, its deadline rule, who owes it, and its ladder.

``config/rules.yaml`` is read once and validated as a whole into the frozen values below; every
error names the file, the kind, the key and what to write instead. After that the code trusts it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal, get_args

import yaml

from scheduler import yamlfile
from scheduler.deadlines.calendar import WorkCalendar
from scheduler.deadlines.vntime import end_of_day, parse_date
from scheduler.errors import ConfigError, InvalidInput

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


class _Reader:
    """Walks the YAML document and collects every problem before failing, so one run shows all."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def recipients(self, where: str, value: Any) -> tuple[Recipient, ...]:
        if not isinstance(value, list) or not value:
            self.problem(
                where,
                "cần một danh sách vai trò / a list of roles, ví dụ / e.g. "
                "[officer, parent.supervisor]",
            )
            return ()
        result = []
        for item in value:
            text = str(item)
            of_parent = text.startswith("parent.")
            role = text.removeprefix("parent.")
            if role not in ROLES:
                self.problem(
                    where,
                    f"vai trò không có / unknown role {text!r}; dùng / use {', '.join(ROLES)} "
                    "hoặc / or parent.<role>",
                )
                continue
            result.append(Recipient(role, of_parent))
        return tuple(result)

    def clock(self, where: str, value: Any) -> time | None:
        try:
            hour, minute = (int(part) for part in str(value).split(":"))
            return time(hour, minute)
        except ValueError:
            self.problem(
                where, f"giờ không hợp lệ / invalid time {value!r}: viết / write HH:MM, e.g. 08:00"
            )
            return None

    def positive(self, where: str, value: Any) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            self.problem(where, f"cần một số nguyên dương / a positive whole number, not {value!r}")
            return None
        return value

    def deadline(self, where: str, value: Any) -> Deadline:
        if not isinstance(value, dict) or (
            len(value) != 1 and set(value) != {"before", "year_offset"}
        ):
            self.problem(
                where,
                "cần đúng một trong / exactly one of: working_days, calendar_days, hours, "
                "before, requested",
            )
            return Deadline(requested=True)
        key, raw = next(iter(value.items()))
        if key in ("working_days", "calendar_days", "hours"):
            count = self.positive(f"{where}.{key}", raw)
            return Deadline(
                working_days=count if key == "working_days" else None,
                calendar_days=count if key == "calendar_days" else None,
                hours=count if key == "hours" else None,
            )
        if key == "requested":
            return Deadline(requested=True)
        if key == "before":
            text = str(raw)
            offset = value.get("year_offset", 0)
            try:
                if text.count("/") == 2:
                    return Deadline(before_date=parse_date(text))
                day, month = (int(part) for part in text.split("/"))
                date(2023, month, day)  # a day-month every year has: 29/02 is refused
                return Deadline(before_day_month=(day, month), year_offset=int(offset))
            except (ValueError, InvalidInput):
                self.problem(
                    f"{where}.before",
                    "viết dd/mm (hằng năm) hoặc dd/mm/yyyy / write dd/mm (every year) or "
                    f"dd/mm/yyyy, không phải / not {raw!r}",
                )
                return Deadline(requested=True)
        self.problem(where, f"khoá không có / unknown key {key!r}")
        return Deadline(requested=True)

    def step(self, where: str, value: Any) -> Step | None:
        if not isinstance(value, dict) or "step" not in value:
            self.problem(
                where,
                "mỗi bậc cần step, at (hoặc at_hours) và notify / each step needs step, at "
                "(or at_hours) and notify",
            )
            return None
        known = {"step", "at", "at_hours", "time", "notify", "repeat", "flag_late"}
        for extra in sorted(set(value) - known):
            self.problem(where, f"khoá không có / unknown key {extra!r}")
        notify = self.recipients(f"{where}.notify", value.get("notify"))
        at = value.get("at")
        step = Step(
            name=str(value["step"]), notify=notify, flag_late=bool(value.get("flag_late", False))
        )
        if "at_hours" in value:
            hours = value["at_hours"]
            if not isinstance(hours, int) or isinstance(hours, bool):
                self.problem(
                    f"{where}.at_hours",
                    f"cần số giờ nguyên / whole hours, không phải / not {hours!r}",
                )
            step = replace(step, hours=hours)
        elif at == "immediate":
            step = replace(step, immediate=True)
        elif isinstance(at, int) and not isinstance(at, bool):
            step = replace(step, working_days=at)
        else:
            self.problem(
                f"{where}.at",
                "viết immediate hoặc số ngày làm việc so với hạn / write immediate or working "
                f"days from the deadline (-2, 0, 1), không phải / not {at!r}",
            )
        if "time" in value:
            step = replace(step, time=self.clock(f"{where}.time", value["time"]))
        repeat = value.get("repeat")
        if repeat is not None:
            if not isinstance(repeat, dict):
                self.problem(f"{where}.repeat", "viết / write {every_working_days: N, times: K}")
            else:
                every = self.positive(
                    f"{where}.repeat.every_working_days", repeat.get("every_working_days")
                )
                times = self.positive(f"{where}.repeat.times", repeat.get("times"))
                if step.immediate or step.hours is not None:
                    self.problem(
                        f"{where}.repeat",
                        "chỉ bậc tính theo ngày làm việc mới lặp lại được / only a step counted "
                        "in working days repeats",
                    )
                step = replace(step, every_working_days=every or 1, times=times or 1)
        return step

    def kind(self, kind_id: str, value: Any) -> Kind | None:
        where = f"{self.path}: kinds.{kind_id}"
        if not isinstance(value, dict):
            self.problem(where, "cần / needs name, trigger, deadline, ladder")
            return None
        known = {
            "name",
            "trigger",
            "after",
            "deadline",
            "owed_by",
            "submit_to",
            "ladder",
            "how",
            "period",
            "owed_by_successor",
            "subject_phrases",
            "event",
            "role",
        }
        for extra in sorted(set(value) - known):
            self.problem(where, f"khoá không có / unknown key {extra!r}")
        trigger = value.get("trigger")
        if trigger not in TRIGGERS:
            self.problem(
                f"{where}.trigger",
                f"dùng một trong / use one of {', '.join(TRIGGERS)}, không phải / not {trigger!r}",
            )
            return None
        deadline = self.deadline(f"{where}.deadline", value.get("deadline"))
        fixed = deadline.before_day_month is not None or deadline.before_date is not None
        if trigger in ("yearly", "once") and not fixed:
            self.problem(
                f"{where}.deadline",
                f"trigger {trigger} cần before: dd/mm hoặc dd/mm/yyyy / needs before: dd/mm or "
                "dd/mm/yyyy",
            )
        if trigger == "request" and not deadline.requested:
            self.problem(
                f"{where}.deadline",
                "trigger request cần deadline: {requested: true} / needs deadline: "
                "{requested: true}",
            )
        event = value.get("event")
        if (trigger == "case_event") != (event is not None):
            self.problem(
                f"{where}.event",
                "event chỉ dùng và bắt buộc với trigger case_event / event goes with trigger "
                "case_event, and only with it, e.g. event: emergency_received",
            )
        elif event is not None and not (isinstance(event, str) and event.isidentifier()):
            self.problem(f"{where}.event", f"một tên như / a name like child_removed: {event!r}")
        if trigger in ("case_verified", "case_event", "after") and (fixed or deadline.requested):
            self.problem(
                f"{where}.deadline",
                "cần working_days, calendar_days hoặc hours / needs working_days, "
                "calendar_days or hours",
            )
        if trigger == "yearly" and deadline.before_date is not None:
            self.problem(
                f"{where}.deadline",
                "trigger yearly cần before: dd/mm (không có năm) / needs before: dd/mm (no year)",
            )
        if trigger == "once" and deadline.before_day_month is not None:
            self.problem(
                f"{where}.deadline",
                "trigger once cần before: dd/mm/yyyy / needs before: dd/mm/yyyy",
            )
        owed_by = tuple(str(u) for u in value.get("owed_by", ()))
        for unit_kind in owed_by:
            if unit_kind not in UNIT_KINDS:
                self.problem(
                    f"{where}.owed_by",
                    f"loại đơn vị không có {unit_kind!r} / unknown unit kind; dùng / use "
                    f"{', '.join(UNIT_KINDS)}",
                )
        if trigger in ("yearly", "once") and not owed_by:
            self.problem(
                f"{where}.owed_by",
                "cần danh sách loại đơn vị phải báo cáo / needs the unit kinds that owe it, "
                "ví dụ / e.g. [commune, agency]",
            )
        ladder_raw = value.get("ladder")
        if not isinstance(ladder_raw, list) or not ladder_raw:
            self.problem(f"{where}.ladder", "cần ít nhất một bậc nhắc / at least one step")
            ladder_raw = []
        steps = [self.step(f"{where}.ladder[{i}]", s) for i, s in enumerate(ladder_raw, 1)]
        ladder = tuple(s for s in steps if s is not None)
        names = [s.name for s in ladder]
        for name in sorted({n for n in names if names.count(n) > 1}):
            self.problem(
                f"{where}.ladder", f"tên bậc {name!r} bị trùng / step names must be unique"
            )
        after = value.get("after")
        if (trigger == "after") != (after is not None):
            self.problem(
                f"{where}.after",
                "after chỉ dùng và bắt buộc với trigger after / after goes with trigger after, "
                "and only with it",
            )
        period = str(value.get("period", "{year}"))
        if trigger == "yearly" and "{year}" not in period:
            self.problem(
                f"{where}.period", "cần chứa {year} / must contain {year}, e.g. '{year}-H1'"
            )
        owed_by_successor = value.get("owed_by_successor", True)
        if not isinstance(owed_by_successor, bool):
            self.problem(f"{where}.owed_by_successor", "cần true hoặc false / true or false")
        phrases = value.get("subject_phrases", [])
        if not isinstance(phrases, list) or not all(
            isinstance(p, str) and p.strip() for p in phrases
        ):
            self.problem(
                f"{where}.subject_phrases",
                "cần danh sách cụm từ / a list of phrases, e.g. ['báo cáo 6 tháng']",
            )
            phrases = []
        role = value.get("role")
        if role is not None and ROLE_TRIGGERS.get(role) != trigger:
            self.problem(
                f"{where}.role",
                "vai trò cần trigger / a role needs its trigger: "
                + ", ".join(f"{r} ({t})" for r, t in ROLE_TRIGGERS.items())
                + f", không phải / not {role!r} with trigger {trigger}",
            )
            role = None
        return Kind(
            id=kind_id,
            name=str(value.get("name", kind_id)),
            trigger=trigger,
            deadline=deadline,
            ladder=ladder,
            owed_by=owed_by,
            submit_to=self.recipients(
                f"{where}.submit_to", value.get("submit_to", ["parent.leader"])
            ),
            after=None if after is None else str(after),
            how=str(value.get("how", "")),
            period=period,
            owed_by_successor=owed_by_successor is not False,
            subject_phrases=tuple(p.strip() for p in phrases),
            event=None if event is None else str(event),
            role=role,
        )


def load_rules(path: Path) -> Rules:
    try:
        document = yamlfile.load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: không có tệp quy tắc / rules file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: YAML không hợp lệ / invalid YAML: {exc}") from None
    return parse_rules(document, path)


def parse_rules(document: Any, path: Path) -> Rules:
    reader = _Reader(path)
    if not isinstance(document, dict) or not isinstance(document.get("kinds"), dict):
        raise ConfigError(
            f"{path}: cần khoá 'kinds' chứa các loại nghĩa vụ / 'kinds' mapping missing"
        )
    reminder_time = reader.clock(f"{path}: reminder_time", document.get("reminder_time", "08:00"))
    kinds = {}
    for kind_id, value in document["kinds"].items():
        kind = reader.kind(str(kind_id), value)
        if kind is not None:
            kinds[kind.id] = kind
    for kind in kinds.values():
        if kind.after is not None and kind.after not in kinds:
            reader.problem(
                f"{path}: kinds.{kind.id}.after",
                f"không có loại {kind.after!r} / no such kind; có / known: {', '.join(kinds)}",
            )
    for role in ROLE_TRIGGERS:
        playing = [k.id for k in kinds.values() if k.role == role]
        if len(playing) > 1:
            reader.problem(
                f"{path}: kinds.{playing[1]}.role",
                f"chỉ một loại giữ vai trò {role} / only one kind plays {role}: "
                f"{', '.join(playing)}",
            )
    for loop in _after_loops(kinds):
        reader.problem(
            f"{path}: kinds.{loop[0]}.after",
            f"vòng lặp / a loop of after: {' -> '.join([*loop, loop[0]])}; mỗi chuỗi after phải "
            "bắt đầu từ một loại có trigger khác / every chain must start at a kind with "
            "another trigger (case_verified, request, yearly, once)",
        )
    if reader.problems:
        raise ConfigError(
            "quy tắc không hợp lệ / invalid rules:\n"
            + "\n".join(f"  - {p}" for p in reader.problems)
        )
    return Rules(kinds=_with_roles(kinds), reminder_time=reminder_time or time(8, 0))


def _with_roles(kinds: dict[str, Kind]) -> dict[str, Kind]:
    """A rules file written before roles existed says none: each role undeclared goes to the
    kind that has always played it, by its place in the file, never by its id: the first
    ``case_verified`` kind is the urgent notice, the first ``after`` it is its written follow-up,
    the first ``request`` kind is what an ad-hoc request asks for."""
    roles = {k.role for k in kinds.values()}
    inferred: dict[str, Role] = {}
    if "urgent_notice" not in roles:
        urgent = next((k.id for k in kinds.values() if k.trigger == "case_verified"), None)
        if urgent is not None:
            inferred[urgent] = "urgent_notice"
    else:
        urgent = next(k.id for k in kinds.values() if k.role == "urgent_notice")
    if "written_follow_up" not in roles and urgent is not None:
        written = next((k.id for k in kinds.values() if k.after == urgent), None)
        if written is not None:
            inferred[written] = "written_follow_up"
    if "adhoc_request" not in roles:
        adhoc = next((k.id for k in kinds.values() if k.trigger == "request"), None)
        if adhoc is not None:
            inferred[adhoc] = "adhoc_request"
    return {
        kind_id: replace(kind, role=inferred[kind_id]) if kind_id in inferred else kind
        for kind_id, kind in kinds.items()
    }


def _after_loops(kinds: dict[str, Kind]) -> list[list[str]]:
    """Each loop of ``after:`` links once: kinds that could only ever start one another."""
    loops: dict[frozenset[str], list[str]] = {}
    for start in kinds:
        chain: list[str] = []
        current: str | None = start
        while current is not None and current in kinds and current not in chain:
            chain.append(current)
            current = kinds[current].after
        if current == start:
            loops.setdefault(frozenset(chain), chain)
    return list(loops.values())
