"""Vietnam time: calendar months, counted in Vietnam, whatever the instant's own zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

from scheduler.deadlines.vntime import at, month_of, months_ending
from tests.conftest import vn


def test_twelve_consecutive_calendar_months_end_at_the_current_one_every_day_of_2027() -> None:
    day = date(2027, 1, 1)
    while day.year == 2027:
        for moment in (at(day, datetime.min.time()), at(day, datetime.max.time())):
            months = months_ending(moment, 12)
            assert len(set(months)) == 12 and months[-1] == date(2027, day.month, 1), day
            for earlier, later in pairwise(months):
                assert (earlier + timedelta(days=31)).replace(day=1) == later, day
        day += timedelta(days=1)


def test_the_month_is_the_one_in_vietnam() -> None:
    # 31/01/2027 18:00 UTC is already 01/02/2027 in Vietnam
    assert month_of(datetime(2027, 1, 31, 18, 0, tzinfo=UTC)) == date(2027, 2, 1)
    assert months_ending(vn("31/03/2027 10:00"), 3) == [
        date(2027, 1, 1),
        date(2027, 2, 1),
        date(2027, 3, 1),
    ]
