"""``/healthz``: 503 when the sweep or the delivery loop has not succeeded for
``daemon.stall_seconds`` (wall time), so an orchestrator restarts a stuck daemon; and which role
this process holds among replicas (``leader`` runs the once-only jobs, ``standby`` does not).

A run that ends without an error is a success, unless the job is *held back*: the mail loop
whose last batch only put messages back for retry (the relay is down) does not count its runs
as successes until a batch gets a message somewhere again.
"""

from __future__ import annotations

import time
from typing import Any, Literal

WATCHED = ("sweep", "deliver")
Role = Literal["leader", "standby"]
ROLES: tuple[Role, ...] = ("leader", "standby")


class Health:
    """When each watched job last succeeded, on the monotonic clock, and this process's role."""

    def __init__(self, stall_seconds: float) -> None:
        self.stall_seconds = stall_seconds
        self.started = time.monotonic()
        self.last: dict[str, float] = {}
        self.held_back: set[str] = set()
        self.role: Role = "standby"

    def ok(self, job: str) -> bool:
        """A run of ``job`` ended without an error; False when it does not count (held back)."""
        if job in self.held_back:
            return False
        self.last[job] = time.monotonic()
        return True

    def progress(self, job: str) -> None:
        """``job`` got work done: a success, and no longer held back."""
        self.held_back.discard(job)
        self.ok(job)

    def hold_back(self, job: str) -> None:
        """``job`` ran but its work went back for retry: no success until ``progress``."""
        self.held_back.add(job)

    def report(self) -> tuple[bool, dict[str, Any]]:
        now = time.monotonic()
        ages = {job: round(now - self.last.get(job, self.started), 1) for job in WATCHED}
        stalled = [job for job, age in ages.items() if age > self.stall_seconds]
        return not stalled, {
            "ok": not stalled,
            "stalled": stalled,
            "seconds_since_success": ages,
            "role": self.role,
        }
