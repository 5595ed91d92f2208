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
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Literal, Protocol

from scheduler.calendar import WorkCalendar
from scheduler.hierarchy.life import answering
from scheduler.hierarchy.units import Unit
from scheduler.vntime import at, end_of_day, vn_date

Level = Literal["unit", "rollup"]


@dataclass(frozen=True, slots=True)
class Expected:
    """One report that was owed, as stored: who owed it, and when it was due and sent."""

    unit: str
    kind: str
    period: str | None  # the periodic report's period, or the ad-hoc request's reference
    case_verified_at: datetime | None  # a case report: when its case was verified
    due_at: datetime
    submitted_at: datetime | None


@dataclass(frozen=True, slots=True)
class Fact:
    """An expected report attributed: the unit that answers for it, and that unit's parents
    (nearest first) on the deadline's day; ``days_late`` 0 when on time, None when missing."""

    unit: str
    chain: tuple[str, ...]
    kind: str
    period: str
    due_day: date
    days_late: int | None


@dataclass(frozen=True, slots=True)
class Row:
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

    def units(self) -> dict[str, Unit]: ...

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
    units = source.units()
    items = source.expected_reports(at(first, time.min), min(end_of_day(last), now), kind)
    return attribute(items, units, source.earlier_parents(), calendar), units


def months(last: date, count: int = 12) -> list[str]:
    """The ``count`` months (``YYYY-MM``) ending with ``last``'s, oldest first."""
    index = last.year * 12 + last.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - count + 1, index + 1)]


def period_of(item: Expected) -> str:
    """Case reports by the month of their case, periodic and ad-hoc by their period/request."""
    if item.case_verified_at is not None:
        return f"{vn_date(item.case_verified_at):%Y-%m}"
    return item.period or f"{vn_date(item.due_at):%Y-%m}"


def parents_on(
    earlier_parents: Iterable[tuple[str, str | None, date]],
) -> Callable[[Mapping[str, Unit], str, date], str | None]:
    """A function giving a unit's parent on a day, from (unit, parent, until) history rows."""
    history: dict[str, list[tuple[date, str | None]]] = {}
    for code, parent, until in earlier_parents:
        history.setdefault(code, []).append((until, parent))
    for entries in history.values():
        entries.sort(key=lambda entry: entry[0])

    def parent_on(units: Mapping[str, Unit], code: str, day: date) -> str | None:
        for until, earlier in history.get(code, ()):
            if day <= until:
                return earlier
        unit = units.get(code)
        return unit.parent if unit else None

    return parent_on


def attribute(
    items: Iterable[Expected],
    units: Mapping[str, Unit],
    earlier_parents: Iterable[tuple[str, str | None, date]],
    calendar: WorkCalendar,
) -> list[Fact]:
    """Each expected report with the unit that answers for it and its parents then."""
    parent = parents_on(earlier_parents)
    chains: dict[tuple[str, date], tuple[str, ...]] = {}
    lateness: dict[tuple[date, date], int] = {}
    facts = []
    for item in items:
        due_day = vn_date(item.due_at)
        owner = answering(item.unit, units, due_day) or item.unit
        chain = chains.get((owner, due_day))
        if chain is None:
            chain = chains[(owner, due_day)] = _chain(units, parent, owner, due_day)
        if item.submitted_at is None:
            late: int | None = None
        elif item.submitted_at <= item.due_at:
            late = 0
        else:
            sent = vn_date(item.submitted_at)
            if (due_day, sent) not in lateness:
                lateness[(due_day, sent)] = max(1, calendar.working_days_between(due_day, sent))
            late = lateness[(due_day, sent)]
        facts.append(Fact(owner, chain, item.kind, period_of(item), due_day, late))
    return facts


def _chain(
    units: Mapping[str, Unit],
    parent: Callable[[Mapping[str, Unit], str, date], str | None],
    code: str,
    day: date,
) -> tuple[str, ...]:
    chain: list[str] = []
    current = parent(units, code, day)
    while current is not None and current not in chain and current != code:
        chain.append(current)
        current = parent(units, current, day)
    return tuple(chain)


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

    def rolled(fact: Fact) -> tuple[str, ...]:
        if top is None or top not in fact.chain:
            return () if fact.unit == top else fact.chain
        return fact.chain[: fact.chain.index(top) + 1]

    parents = {code for fact in facts for code in rolled(fact)}
    tallies: dict[tuple[str, Level, str, str], _Tally] = {}
    for fact in facts:
        key = (kind(fact), period(fact))
        above = (*fact.chain, None)
        targets: list[tuple[str, Level, str | None]] = [(fact.unit, "unit", above[0])]
        if fact.unit in parents:
            targets.append((fact.unit, "rollup", above[0]))
        targets.extend((code, "rollup", above[i + 1]) for i, code in enumerate(rolled(fact)))
        for code, level, parent in targets:
            tally = tallies.get((code, level, *key))
            if tally is None:
                tally = tallies[(code, level, *key)] = _Tally(parent)
            tally.add(fact.days_late)
    rows = [
        Row(code, t.parent, level, k, p, t.expected, t.submitted, t.on_time, t.late_days, t.worst)
        for (code, level, k, p), t in tallies.items()
    ]
    rows.sort(key=lambda r: (r.kind, r.period, r.level != "rollup", r.parent or "", r.unit))
    return rows


class _Tally:
    __slots__ = ("expected", "late_days", "on_time", "parent", "submitted", "worst")

    def __init__(self, parent: str | None) -> None:
        self.parent = parent
        self.expected = self.submitted = self.on_time = self.late_days = 0
        self.worst: int | None = None

    def add(self, days_late: int | None) -> None:
        self.expected += 1
        if days_late is None:
            return
        self.submitted += 1
        if days_late == 0:
            self.on_time += 1
        else:
            self.late_days += days_late
            self.worst = max(self.worst or 0, days_late)
