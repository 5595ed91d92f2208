"""The working-day calendar of Vietnamese state agencies, and deadline arithmetic on it.

Working days are Monday to Friday, less public holidays and compensatory days off, plus the
Saturdays the Government swaps into working days (làm bù). The ``holidays`` package knows the
national days; an override file (``config/calendar-overrides.yaml``) adds swaps announced after
the package was released and province-level days. Overrides win over the package.

The days off of a year are settled only by the Government's announcement for it, sometimes late
in the year before; until the operator has checked them and listed the year under ``confirmed``
in the override file, deadlines in that year are provisional (``provisional``), and from 1
November on the coming year is asked for (``awaiting_confirmation``).

Periods follow the Civil Code 2015, art. 147-148: the start day is not counted, the period ends
at the end of its last day, and a last day that is a day off moves to the next working day.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import holidays
import yaml

from scheduler import yamlfile
from scheduler.deadlines.vntime import ONE_DAY, end_of_day, fmt_date, parse_date, vn_date
from scheduler.errors import ConfigError, InvalidInput

_WEEKEND = (5, 6)  # Saturday, Sunday
_KINDS = ("day_off", "working_day")
_SEARCH_LIMIT = 366  # no run of days off is longer than a year; past that the data is wrong
MAX_DAYS = 3660  # no period in law is longer than ten years; more is a typing mistake
ASK_FROM = (11, 1)  # from 1 November (month, day) the coming year's days off are asked for


def _past_the_calendar(day: date) -> InvalidInput:
    return InvalidInput(
        f"hạn tính từ {fmt_date(day)} ra ngoài lịch (năm 1-9999) / the deadline falls outside "
        "the calendar (years 1-9999): kiểm tra năm đã nhập / check the year typed"
    )


@cache
def _vietnam() -> Any:
    """The ``holidays`` package's Vietnam, the class ``holidays.country_holidays("VN")`` makes,
    loaded from its own module alone: importing ``holidays.countries`` imports all 250 of the
    package's countries, about 0.15 s of every command. Where the package has no such module
    (a later layout), the package's own way."""
    module_path = Path(holidays.__file__).parent / "countries" / "vietnam.py"
    spec = importlib.util.spec_from_file_location("holidays.countries.vietnam", module_path)
    if not module_path.is_file() or spec is None or spec.loader is None:
        return holidays.country_holidays("VN").__class__
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Vietnam


@dataclass(frozen=True)
class DayChange:
    """A local correction: ``day`` is a working day (``working``) or a day off, and why."""

    day: date
    working: bool
    name: str
    source: str


@dataclass(frozen=True)
class DayOff:
    day: date
    name: str


class WorkCalendar:
    """Answers "is this a working day?" and counts working days. Pure: no clock, no I/O."""

    def __init__(
        self, changes: Iterable[DayChange] = (), confirmed: Mapping[int, str] | None = None
    ) -> None:
        self._changes = {c.day: c for c in changes}
        self.confirmed: Mapping[int, str] = dict(confirmed or {})  # year -> the announcement
        self._national = _vietnam()(language="vi")  # holidays.country_holidays("VN", …)
        self._cache: dict[date, bool] = {}

    def day_off_name(self, day: date) -> str | None:
        """The name of the day off, or None when ``day`` is a working day."""
        change = self._changes.get(day)
        if change is not None:
            return None if change.working else change.name
        name = self._national.get(day)
        if name is not None:
            return str(name)
        if day.weekday() in _WEEKEND and day not in self._national.weekend_workdays:
            return "Thứ Bảy" if day.weekday() == 5 else "Chủ nhật"
        return None

    def provisional(self, day: date) -> bool:
        """A day of a year whose days off the operator has not confirmed yet."""
        return day.year not in self.confirmed

    def awaiting_confirmation(self, now: datetime) -> list[int]:
        """The years hanbao counts in now without confirmed days off: this year, and from 1
        November the next one."""
        today = vn_date(now)
        years = (
            [today.year, today.year + 1] if (today.month, today.day) >= ASK_FROM else [today.year]
        )
        return [year for year in years if year not in self.confirmed]

    def is_working_day(self, day: date) -> bool:
        known = self._cache.get(day)
        if known is None:
            known = self._cache[day] = self.day_off_name(day) is None
        return known

    def shift(self, day: date, n: int) -> date:
        """The ``n``-th working day after ``day`` (before it when ``n`` < 0); ``day`` not counted.

        ``shift(d, 0)`` is ``d`` itself when it is a working day, else the next working day.
        """
        step = ONE_DAY if n >= 0 else -ONE_DAY
        remaining = abs(n)
        current = day
        if n == 0:
            return self.roll_forward(day)
        for _ in range(remaining * 7 + _SEARCH_LIMIT):
            try:
                current += step
            except OverflowError:
                raise _past_the_calendar(day) from None
            if self.is_working_day(current):
                remaining -= 1
                if remaining == 0:
                    return current
        raise InvalidInput(
            f"không tìm thấy ngày làm việc quanh {fmt_date(day)} / no working day near it: "
            "kiểm tra tệp lịch điều chỉnh / check the calendar overrides"
        )

    def roll_forward(self, day: date) -> date:
        """``day`` if it is a working day, else the next working day (art. 148.5)."""
        return day if self.is_working_day(day) else self.shift(day, 1)

    def roll_back(self, day: date) -> date:
        """``day`` if it is a working day, else the last working day before it."""
        return day if self.is_working_day(day) else self.shift(day, -1)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]: the start day is not counted, the end day is."""
        count = 0
        day = start + ONE_DAY
        while day <= end:
            count += self.is_working_day(day)
            day += ONE_DAY
        return count

    def working_days_deadline(self, start: datetime, n: int) -> datetime:
        """End of the ``n``-th working day after the day of ``start`` (Civil Code art. 147-148)."""
        if not 1 <= n <= MAX_DAYS:
            raise InvalidInput(
                f"số ngày làm việc từ 1 đến {MAX_DAYS} / working days must be 1 to {MAX_DAYS}: {n}"
            )
        return end_of_day(self.shift(vn_date(start), n))

    def calendar_days_deadline(self, start: datetime, n: int) -> datetime:
        """End of the ``n``-th day after ``start``'s day, moved to a working day if it is off."""
        if not 1 <= n <= MAX_DAYS:
            raise InvalidInput(f"số ngày từ 1 đến {MAX_DAYS} / days must be 1 to {MAX_DAYS}: {n}")
        day = vn_date(start)
        try:
            last = day + timedelta(days=n)
        except OverflowError:
            raise _past_the_calendar(day) from None
        return end_of_day(self.roll_forward(last))

    def days_off(self, year: int) -> list[DayOff]:
        """Every day off in ``year`` that is not an ordinary weekend, with its name."""
        day, result = date(year, 1, 1), []
        while day.year == year:
            name = self.day_off_name(day)
            if name is not None and not (day.weekday() in _WEEKEND and day not in self._national):
                result.append(DayOff(day, name))
            day += ONE_DAY
        return result

    def swapped_working_days(self, year: int) -> list[DayOff]:
        """Weekend days that are working days in ``year`` (làm bù), with why."""
        self._national.get(date(year, 1, 1))  # the package fills in a year on first look-up
        result = []
        for day in sorted(set(self._national.weekend_workdays) | set(self._changes)):
            change = self._changes.get(day)
            if day.year != year or day.weekday() not in _WEEKEND or not self.is_working_day(day):
                continue
            result.append(DayOff(day, change.name if change else "Ngày làm bù"))
        return result


def load_changes(path: Path) -> list[DayChange]:
    """Read the override file; each entry: date, kind (day_off or working_day), name, source."""
    return load_overrides(path)[0]


def load_overrides(path: Path) -> tuple[list[DayChange], dict[int, str]]:
    """The override file's changes, and its confirmed years with the announcement of each."""
    try:
        document = yamlfile.load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: không có tệp lịch điều chỉnh / override file not found"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: YAML không hợp lệ / invalid YAML: {exc}") from None
    entries = document.get("changes", []) if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: cần khoá 'changes' là một danh sách / 'changes' must be a list")
    changes, seen = [], set()
    for index, entry in enumerate(entries, start=1):
        where = f"{path}: changes[{index}]"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: cần / needs date, kind, name, source")
        missing = [k for k in ("date", "kind", "name", "source") if entry.get(k) in (None, "")]
        if missing:
            raise ConfigError(f"{where}: thiếu / missing {', '.join(missing)}")
        if entry["kind"] not in _KINDS:
            raise ConfigError(
                f"{where}: kind phải là / must be 'day_off' hoặc / or 'working_day', "
                f"không phải / not {entry['kind']!r}"
            )
        try:
            day = parse_date(str(entry["date"]))
        except InvalidInput as exc:
            raise ConfigError(f"{where}: {exc}") from None
        if day in seen:
            raise ConfigError(f"{where}: ngày {day:%d/%m/%Y} đã có ở trên / listed twice")
        seen.add(day)
        changes.append(
            DayChange(day, entry["kind"] == "working_day", str(entry["name"]), str(entry["source"]))
        )
    return changes, _confirmed(document, path)


def _confirmed(document: dict[str, object], path: Path) -> dict[int, str]:
    entries = document.get("confirmed", [])
    if not isinstance(entries, list):
        raise ConfigError(
            f"{path}: 'confirmed' cần là danh sách / must be a list of {{year, source}}"
        )
    confirmed: dict[int, str] = {}
    for index, entry in enumerate(entries, start=1):
        where = f"{path}: confirmed[{index}]"
        if not isinstance(entry, dict) or set(entry) != {"year", "source"}:
            raise ConfigError(
                f"{where}: cần đúng / needs exactly year và / and source (văn bản công bố lịch "
                "nghỉ / the announcement of the days off)"
            )
        year, source = entry["year"], entry["source"]
        if isinstance(year, bool) or not isinstance(year, int) or not 1 <= year <= 9999:
            raise ConfigError(f"{where}: year cần là năm / must be a year, e.g. 2027: {year!r}")
        if not isinstance(source, str) or not source.strip():
            raise ConfigError(f"{where}: source: văn bản nào / which announcement confirms it")
        if year in confirmed:
            raise ConfigError(f"{where}: năm {year} đã có ở trên / listed twice")
        confirmed[year] = source.strip()
    return confirmed
