"""Vietnam time: the one time zone of every date and deadline, and how users write dates.

Users write ``dd/mm/yyyy`` (optionally ``HH:MM``); ISO 8601 is accepted too. Naive values are
Vietnam time (Asia/Ho_Chi_Minh, UTC+7, no daylight saving).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from scheduler.errors import InvalidInput

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
END_OF_DAY = time(23, 59, 59)
YEARS = range(2000, 2101)

_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")
_DATETIME_FORMATS = ("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d/%m/%Y")


def parse_date(text: str) -> date:
    """Parse ``dd/mm/yyyy`` or ``yyyy-mm-dd``."""
    value = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise InvalidInput(
        f"ngày không hợp lệ / invalid date {text!r}: viết dd/mm/yyyy, ví dụ 04/02/2027"
    )


def parse_datetime(text: str) -> datetime:
    """Parse ``dd/mm/yyyy HH:MM`` or ISO 8601; a naive value is Vietnam time."""
    value = text.strip()
    parsed: datetime | None = None
    for fmt in _DATETIME_FORMATS:
        try:
            parsed = datetime.strptime(value, fmt)
            break
        except ValueError:
            continue
    if parsed is None:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidInput(
                f"thời điểm không hợp lệ / invalid date-time {text!r}: "
                "viết dd/mm/yyyy HH:MM, ví dụ 04/02/2027 09:30"
            ) from None
    return as_vn(parsed)


def check_year(year: int) -> int:
    """A year hanbao reasons about: the calendar and the periodic reports span 2000-2100."""
    if not YEARS[0] <= year <= YEARS[-1]:
        raise InvalidInput(
            f"năm {year} ngoài khoảng {YEARS[0]}-{YEARS[-1]} / year out of range: "
            "viết năm bốn chữ số, ví dụ 2027 / write a four-digit year, e.g. 2027"
        )
    return year


def parse_deadline(text: str) -> datetime:
    """A deadline as written: ``dd/mm/yyyy HH:MM`` is that moment; a date alone is the end of it."""
    value = text.strip()
    if " " in value or "T" in value:
        return parse_datetime(value)
    return end_of_day(parse_date(value))


def as_vn(moment: datetime) -> datetime:
    """The same instant in Vietnam time; a naive value is taken as Vietnam time already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=VN_TZ)
    return moment.astimezone(VN_TZ)


def vn_date(moment: datetime) -> date:
    """The calendar day, in Vietnam, on which an instant falls."""
    return as_vn(moment).date()


def at(day: date, clock: time) -> datetime:
    """``clock`` o'clock on ``day``, Vietnam time."""
    return datetime.combine(day, clock, tzinfo=VN_TZ)


def end_of_day(day: date) -> datetime:
    """The last second of ``day`` in Vietnam: when a deadline on that day ends."""
    return at(day, END_OF_DAY)


def days_late(due: datetime, done: datetime) -> int:
    """Whole calendar days between a deadline and a late event (0 when on time)."""
    if done <= due:
        return 0
    return max(1, (vn_date(done) - vn_date(due)).days)


def month_of(moment: datetime) -> date:
    """The first day of the calendar month, in Vietnam, in which an instant falls."""
    return vn_date(moment).replace(day=1)


def months_ending(moment: datetime, count: int) -> list[date]:
    """The ``count`` calendar months up to and including ``moment``'s (in Vietnam), oldest
    first, each as its first day."""
    last = month_of(moment)
    index = last.year * 12 + last.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - count + 1, index + 1)]


def fmt_date(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def fmt_datetime(moment: datetime) -> str:
    return as_vn(moment).strftime("%d/%m/%Y %H:%M")


def iso(moment: datetime) -> str:
    return as_vn(moment).isoformat()


ONE_DAY = timedelta(days=1)
