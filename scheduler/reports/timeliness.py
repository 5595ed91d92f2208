"""Reporting rates for leaders: for each unit, kind and period, the reports expected, submitted,
on time, late and missing, rolled up to every parent. Pure: it takes the expected reports, the
units with their life and earlier parents, the calendar and ``now``.

What counts (README, "Timeliness"):
- a report is *expected* when its deadline falls in the span and has passed by ``now``; a period
  not yet due is not judged;
- it is counted for the unit that answers for it on the deadline's day (``life.answering``): a
  commune counts only while it exists, and what a merged commune still owed on that day counts
  for the unit that took it over; a report that the successor's own report answers for
  (superseded) is not expected at all;
- *on time* is submitted at or before the deadline (computed by law, in working days); *late*
  is submitted after it, by the working days from the deadline's day to the submission's day
  (at least one); *missing* is not submitted by ``now``. A disputed submission has no
  submission time until confirmed or sent again, so it is missing;
- case reports are grouped by the month their case was verified, periodic reports by their
  period, ad-hoc reports by their request;
- a parent's row (level ``rollup``) counts its subtree, itself included, with the parents the
  units had on each deadline's day.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime, time
from typing import Any, Literal, NamedTuple, Protocol

from scheduler.deadlines.calendar import WorkCalendar
from scheduler.deadlines.vntime import at, end_of_day, vn_date
from scheduler.hierarchy.life import answering
from scheduler.hierarchy.units import Unit

Level = Literal["unit", "rollup"]


class Expected(NamedTuple):
    """One report that was owed, as stored: who owed it, and when it was due and sent."""

    unit: str
    kind: str
    period: str | None  # the periodic report's period, or the ad-hoc request's reference
    case_verified_at: datetime | None  # a case report: when its case was verified
    due_at: datetime
    submitted_at: datetime | None


class Fact(NamedTuple):
    """An expected report attributed: the unit that answers for it, and that unit's parents
    (nearest first) on the deadline's day; ``days_late`` 0 when on time, None when missing."""

    unit: str
    chain: tuple[str, ...]
    kind: str
    period: str
    due_day: date
    days_late: int | None


class Row(NamedTuple):
    unit: str
    parent: str | None
    level: Level
    kind: str
    period: str
    expected: int
    submitted: int
    on_time: int
    late_days: int  # the sum of the late reports' working days late
    max_days_late: int | None

    @property
    def late(self) -> int:
        return self.submitted - self.on_time

    @property
    def missing(self) -> int:
        return self.expected - self.submitted

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.expected if self.expected else None

    @property
    def mean_days_late(self) -> float | None:
        return round(self.late_days / self.late, 2) if self.late else None

    def as_json(self) -> dict[str, Any]:
        """The row as ``hanbao report timeliness`` and ``GET /api/timeliness`` give it."""
        rate = self.on_time_rate
        return {
            "unit": self.unit,
            "parent": self.parent,
            "level": self.level,
            "kind": self.kind,
            "period": self.period,
            "expected": self.expected,
            "submitted": self.submitted,
            "on_time": self.on_time,
            "late": self.late,
            "missing": self.missing,
            "on_time_rate": None if rate is None else round(rate, 4),
            "mean_days_late": self.mean_days_late,
            "max_days_late": self.max_days_late,
        }


class Source(Protocol):
    """Where the facts come from: the store's queries (``scheduler.store.timeliness``)."""

    def expected_reports(
        self, start: datetime, end: datetime, kind: str | None = None
    ) -> list[Expected]: ...

    def unit_lives(self) -> dict[str, Unit]: ...

    def earlier_parents(self) -> list[tuple[str, str | None, date]]: ...


def read(
    source: Source,
    calendar: WorkCalendar,
    first: date,
    last: date,
    now: datetime,
    kind: str | None = None,
) -> tuple[list[Fact], dict[str, Unit]]:
    """The attributed reports due from ``first`` to ``last`` (days, both included) whose
    deadline has passed by ``now``, and the units."""
    units = source.unit_lives()
    items = source.expected_reports(at(first, time.min), min(end_of_day(last), now), kind)
    return attribute(items, units, source.earlier_parents(), calendar, now), units


def months(last: date, count: int = 12) -> list[str]:
    """The ``count`` months (``YYYY-MM``) ending with ``last``'s, oldest first."""
    index = last.year * 12 + last.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)]


def period_of(item: Expected) -> str:
    """Case reports by the month of their case, periodic and ad-hoc by their period/request."""
    if item.case_verified_at is not None:
        return f"{vn_date(item.case_verified_at):%Y-%m}"
    return item.period or f"{vn_date(item.due_at):%Y-%m}"


class _Parents:
    """Each unit's parents (nearest first) on a day, from the units and the (unit, parent,
    until) history rows; a chain that no history touches is the same every day, kept once."""

    def __init__(
        self, units: Mapping[str, Unit], earlier_parents: Iterable[tuple[str, str | None, date]]
    ) -> None:
        self.units = units
        self.history: dict[str, list[tuple[date, str | None]]] = {}
        for code, parent, until in earlier_parents:
            self.history.setdefault(code, []).append((until, parent))
        for entries in self.history.values():
            entries.sort(key=lambda entry: entry[0])
        self.always: dict[str, tuple[str, ...]] = {}
        self.dated: dict[tuple[str, date], tuple[str, ...]] = {}

    def parent(self, code: str, day: date) -> str | None:
        for until, earlier in self.history.get(code, ()):
            if day <= until:
                return earlier
        unit = self.units.get(code)
        return unit.parent if unit else None

    def chain(self, code: str, day: date) -> tuple[str, ...]:
        found = self.always.get(code)
        if found is None:
            found = self.dated.get((code, day))
        if found is None:
            walked: list[str] = []
            current = self.parent(code, day)
            while current is not None and current not in walked and current != code:
                walked.append(current)
                current = self.parent(current, day)
            found = tuple(walked)
            if code in self.history or any(c in self.history for c in found):
                self.dated[(code, day)] = found
            else:
                self.always[code] = found
        return found


def attribute(
    items: Iterable[Expected],
    units: Mapping[str, Unit],
    earlier_parents: Iterable[tuple[str, str | None, date]],
    calendar: WorkCalendar,
    now: datetime | None = None,
) -> list[Fact]:
    """Each expected report with the unit that answers for it and its parents then; a report
    sent after ``now`` (a table read as of an earlier moment) was still missing then."""
    parents = _Parents(units, earlier_parents)
    days: dict[datetime, date] = {}
    lateness: dict[tuple[date, date], int] = {}
    facts = []
    for item in items:
        due_day = days.get(item.due_at)
        if due_day is None:
            due_day = days[item.due_at] = vn_date(item.due_at)
        unit = units.get(item.unit)
        if unit is not None and unit.valid_to is None:
            owner = item.unit  # a unit without an end answers for itself
        else:
            owner = answering(item.unit, units, due_day) or item.unit
        if item.submitted_at is None or (now is not None and item.submitted_at > now):
            late: int | None = None
        elif item.submitted_at <= item.due_at:
            late = 0
        else:
            sent = vn_date(item.submitted_at)
            if (due_day, sent) not in lateness:
                lateness[(due_day, sent)] = max(1, calendar.working_days_between(due_day, sent))
            late = lateness[(due_day, sent)]
        facts.append(
            Fact(owner, parents.chain(owner, due_day), item.kind, period_of(item), due_day, late)
        )
    return facts


def within(facts: Iterable[Fact], unit: str) -> list[Fact]:
    """The facts of ``unit``'s subtree, itself included (``table(…, top=unit)`` then leaves out
    the rows above it: a district's table has no province row counting that district alone)."""
    return [fact for fact in facts if fact.unit == unit or unit in fact.chain]


def table(
    facts: Sequence[Fact],
    *,
    period: Callable[[Fact], str] = lambda fact: fact.period,
    kind: Callable[[Fact], str] = lambda fact: fact.kind,
    top: str | None = None,
) -> list[Row]:
    """Unit rows and parent rollups, per kind and period (or whatever ``period`` and ``kind``
    group by: a whole span, a month of deadlines, every kind together), rollups first; with
    ``top``, no rollup above that unit."""

    def rolled(unit: str, chain: tuple[str, ...]) -> tuple[str, ...]:
        if top is None or top not in chain:
            return () if unit == top else chain
        return chain[: chain.index(top) + 1]

    parents = {code for fact in facts for code in rolled(fact.unit, fact.chain)}
    # the rows one fact counts in, the same for every fact of a unit with the same parents
    routes: dict[tuple[str, tuple[str, ...]], list[tuple[str, Level, str | None]]] = {}
    # per (unit, level, kind, period): [parent, expected, submitted, on time, days late, worst]
    tallies: dict[tuple[str, Level, str, str], list[Any]] = {}
    for fact in facts:
        route = routes.get((fact.unit, fact.chain))
        if route is None:
            chain = fact.chain
            above = (*chain, None)
            route = [(fact.unit, "unit", above[0])]
            if fact.unit in parents:
                route.append((fact.unit, "rollup", above[0]))
            route.extend(
                (code, "rollup", above[i + 1]) for i, code in enumerate(rolled(fact.unit, chain))
            )
            routes[(fact.unit, fact.chain)] = route
        grouped, when, late = kind(fact), period(fact), fact.days_late
        for code, level, parent in route:
            key = (code, level, grouped, when)
            tally = tallies.get(key)
            if tally is None:
                tally = tallies[key] = [parent, 0, 0, 0, 0, None]
            tally[1] += 1
            if late is not None:
                tally[2] += 1
                if late == 0:
                    tally[3] += 1
                else:
                    tally[4] += late
                    tally[5] = late if tally[5] is None else max(tally[5], late)
    rows = [
        Row(k[0], t[0], k[1], k[2], k[3], t[1], t[2], t[3], t[4], t[5]) for k, t in tallies.items()
    ]
    rows.sort(key=lambda r: (r.kind, r.period, r.level != "rollup", r.parent or "", r.unit))
    return rows
