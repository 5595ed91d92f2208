"""Failed authentications, API and page alike: counted, logged, audited, and slowed.

A valid token is never refused: tokens are 256 bits, so guessing one is hopeless, and a
colleague mistyping behind the office's shared address must not lock the district's leaders
out. A failure is logged (``action=login_failed``, the client address, never the token text),
counted (``hanbao_login_failures_total{where}``) and, for the first failures of each address
in the window, written to the audit trail where an admin sees it. Past ``per_client``
failures from one address in ``window`` seconds, or ``overall`` from everywhere, a wrong token
gets 429 instead of 401.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict, deque
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter

from scheduler.store.connection import Engine
from scheduler.store.queries import transaction

log = logging.getLogger("scheduler.login_guard")
WHERE = ("api", "page")


def _recent(times: deque[float], window: float) -> int:
    while times and times[0] < time.monotonic() - window:
        times.popleft()
    return len(times)


class LoginGuard:
    def __init__(
        self,
        registry: CollectorRegistry,
        per_client: int = 10,
        overall: int = 100,
        window: float = 300,
    ) -> None:
        self.per_client, self.overall, self.window = per_client, overall, window
        self.by_client: dict[str, deque[float]] = defaultdict(deque)
        self.everywhere: deque[float] = deque()
        self.counter = Counter(
            "hanbao_login_failures",
            "Failed authentications (a wrong, revoked or unknown token)",
            ["where"],
            registry=registry,
        )
        for where in WHERE:
            self.counter.labels(where)

    def failed(self, engine: Engine, client: str, where: str, now: datetime) -> bool:
        """Record one failure; True when the client is now to be answered 429."""
        self.by_client[client].append(time.monotonic())
        self.everywhere.append(time.monotonic())
        from_client = _recent(self.by_client[client], self.window)
        overall = _recent(self.everywhere, self.window)
        throttled = from_client > self.per_client or overall > self.overall
        self.counter.labels(where).inc()
        log.warning(
            "action=login_failed where=%s client=%s recent=%s throttled=%s",
            where,
            client,
            from_client,
            throttled,
        )
        if from_client <= self.per_client:  # a flood fills the log and the counter, not the audit
            with transaction(engine) as store:
                store.audit(now, f"client:{client}", "login_failed", where=where)
        return throttled
