"""Schemathesis hooks (``SCHEMATHESIS_HOOKS=tests.schemathesis.hooks``): the formats of the API's
moments and days, generated around the daemon's clock (``HANBAO_SCHEMATHESIS_NOW``). The rules
they stand for ("not in the future", "not past") depend on the clock, so no pattern can say
them; the format names them, and these generate what they allow."""

from __future__ import annotations

import os
from datetime import timedelta

import schemathesis
from hypothesis import strategies as st

from scheduler.deadlines.vntime import parse_datetime

NOW = parse_datetime(os.environ.get("HANBAO_SCHEMATHESIS_NOW", "10/03/2027 09:00"))
DAY_MINUTES = 24 * 60


def _moments(first_minute: int, last_minute: int, shape: str) -> st.SearchStrategy[str]:
    return st.integers(first_minute, last_minute).map(
        lambda minutes: (NOW + timedelta(minutes=minutes)).strftime(shape)
    )


# within a day before now: after the start of any obligation the fuzzing itself opened a day
# earlier or more, within the backfill horizon, never in the future
schemathesis.openapi.format("hanbao-past-moment", _moments(-DAY_MINUTES, -1, "%d/%m/%Y %H:%M"))
# a deadline from tomorrow to two years on
schemathesis.openapi.format(
    "hanbao-future-day", _moments(DAY_MINUTES, 730 * DAY_MINUTES, "%d/%m/%Y")
)
schemathesis.openapi.format(
    "hanbao-day", _moments(-730 * DAY_MINUTES, 365 * DAY_MINUTES, "%d/%m/%Y")
)
