"""The one place the daemon reads the time. Everything inward receives ``now`` as an argument.

``HANBAO_CLOCK`` (tests and demos only) replaces the wall clock with a simulated one:
``start=<ISO or dd/mm/yyyy HH:MM>;speed=<factor>[;anchor=<unix seconds>]``. Simulated time is
``start + (wall time - anchor) * speed``; with a fixed ``anchor`` a restarted daemon goes on
where the last one was, and ``speed=0`` freezes the clock. Without ``anchor`` the clock starts
when ``hanbao run`` begins to serve, after the imports and checks of start-up. The daemon logs
its clock when it starts and stops (``now=``): a test can wait in simulated time, and restart
it where it stopped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from scheduler.deadlines.vntime import VN_TZ, parse_datetime
from scheduler.errors import ConfigError, InvalidInput


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(VN_TZ)


@dataclass(frozen=True)
class SimulatedClock:
    start: datetime
    anchor: float
    speed: float

    def now(self) -> datetime:
        return self.start + timedelta(seconds=(time.time() - self.anchor) * self.speed)


def clock_from(spec: str | None) -> Clock:
    """The wall clock, or the simulated one that ``spec`` (``HANBAO_CLOCK``) describes."""
    if not spec:
        return SystemClock()
    try:
        fields = dict(part.split("=", 1) for part in spec.split(";") if part.strip())
        return SimulatedClock(
            start=parse_datetime(fields["start"]),
            anchor=float(fields.get("anchor", time.time())),
            speed=float(fields.get("speed", "1")),
        )
    except (KeyError, ValueError, InvalidInput) as exc:
        raise ConfigError(
            f"HANBAO_CLOCK không hợp lệ / invalid: {spec!r} ({exc}); viết "
            "start=2027-03-03T10:00;speed=3600[;anchor=<unix seconds>]"
        ) from None
