"""``/healthz``: 503 when the sweep or the delivery loop has not succeeded for
``daemon.stall_seconds`` (wall time), so an orchestrator restarts a stuck daemon."""

from __future__ import annotations

import time
from typing import Any

WATCHED = ("sweep", "deliver")


class Health:
    """When each watched job last succeeded, on the monotonic clock."""

    def __init__(self, stall_seconds: float) -> None:
        self.stall_seconds = stall_seconds
        self.started = time.monotonic()
        self.last: dict[str, float] = {}

    def ok(self, job: str) -> None:
        self.last[job] = time.monotonic()

    def report(self) -> tuple[bool, dict[str, Any]]:
        now = time.monotonic()
        ages = {job: round(now - self.last.get(job, self.started), 1) for job in WATCHED}
        stalled = [job for job, age in ages.items() if age > self.stall_seconds]
        return not stalled, {"ok": not stalled, "stalled": stalled, "seconds_since_success": ages}
