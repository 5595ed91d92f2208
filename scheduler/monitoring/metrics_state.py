"""The state gauges of ``/metrics`` (open and overdue obligations, the outbox), read in a thread
and served as a snapshot already formatted: a scrape neither reads the database nor formats
the tens of thousands of series a national deployment has per commune.

A scrape is served the last snapshot and starts a refresh in a thread of its own when that is
older than ``every`` (``metrics.refresh_seconds``); only the very first scrape waits for one,
without blocking the event loop. So the gauges are at most one scrape interval (or ``every``,
if longer) plus one refresh old; ``hanbao_state_age_seconds`` says by how much. ``by``: series
per unit, or per parent unit (``metrics.unit_labels``), which keeps the communes off Prometheus.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from prometheus_client import Counter

from scheduler.clock import Clock
from scheduler.mail.outbox import drain_seconds
from scheduler.records import MESSAGE_STATES, UnitLabels
from scheduler.store.connection import Engine
from scheduler.store.queries import transaction

log = logging.getLogger("scheduler.metrics_state")


class StateSnapshot:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        errors: Counter,
        by: UnitLabels,
        every: float,
        rate_per_minute: int = 60,
    ) -> None:
        self.engine, self.clock, self.errors, self.by, self.every = engine, clock, errors, by, every
        self.rate = rate_per_minute
        self.guard = threading.Lock()  # the fields below; held for microseconds, never a query
        self.block = b""  # the state's families, formatted
        self.taken: float | None = None  # monotonic time of the snapshot served
        self.refreshing = False
        self.waiters: list[Callable[[], None]] = []
        self.thread: threading.Thread | None = None

    def age(self) -> float:
        return time.monotonic() - self.taken if self.taken is not None else 0.0

    def stale(self) -> bool:
        return self.taken is None or time.monotonic() - self.taken >= self.every

    def refresh(self) -> None:
        """Read and format the state now. Blocking: in a thread, never on the event loop."""
        started = time.monotonic()
        try:
            block = _state(self.engine, self.clock.now(), self.by, self.rate)
        except Exception:  # metrics never break the daemon; the next scrape tries again
            log.exception("action=metrics_scrape_failed")
            self.errors.inc()
            return
        with self.guard:
            self.block, self.taken = block, started

    def start_refresh(self, then: Callable[[], None] | None = None) -> None:
        """A refresh in a thread of its own (a daemon thread: it never delays an exit), unless
        one runs already; ``then`` is called when the running one ends."""
        with self.guard:
            if then is not None:
                self.waiters.append(then)
            if self.refreshing:
                return
            self.refreshing = True
            thread = self.thread = threading.Thread(
                target=self._refreshing, name="metrics-state", daemon=True
            )
        thread.start()

    def join(self, timeout: float) -> None:
        """Wait for a refresh in progress (``Metrics.close``)."""
        with self.guard:
            thread = self.thread
        if thread is not None:
            thread.join(timeout)

    def _refreshing(self) -> None:
        try:
            self.refresh()
        finally:
            with self.guard:
                self.refreshing, waiters, self.waiters = False, self.waiters, []
            for wake in waiters:
                wake()

    async def scraped(self) -> None:
        """Called by a scrape, on the event loop: start a refresh if the snapshot is stale, and
        wait for it (without blocking the loop) only when there is no snapshot yet."""
        if not self.stale():
            return
        if self.taken is not None:
            self.start_refresh()
            return
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()

        def settle() -> None:
            if not done.done():
                done.set_result(None)

        def wake() -> None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nobody waits
                loop.call_soon_threadsafe(settle)

        self.start_refresh(then=wake)
        await done


class _Family:
    """One gauge family as exposition text (the same lines in Prometheus's text format and in
    OpenMetrics), written directly: prometheus_client's objects cost a second per 100,000."""

    def __init__(self, name: str, help_text: str, labels: tuple[str, ...]) -> None:
        self.labels = labels
        self.lines = [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
        self.name = name

    def add(self, values: tuple[str, ...], value: float) -> None:
        number = repr(float(value))  # what a Prometheus parser reads: 3.0, 2592000.0, 1e+16
        if self.labels:
            pairs = ",".join(
                f'{k}="{_escape(v)}"' for k, v in zip(self.labels, values, strict=True)
            )
            self.lines.append(f"{self.name}{{{pairs}}} {number}")
        else:
            self.lines.append(f"{self.name} {number}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _escape(value: str) -> str:
    if "\\" in value or '"' in value or "\n" in value:
        return value.replace("\\", r"\\").replace("\n", r"\n").replace('"', r"\"")
    return value


def _state(engine: Engine, now: datetime, by: UnitLabels, rate: int) -> bytes:
    labels = ("kind", "parent") if by == "parent" else ("kind", "unit", "parent")
    open_ = _Family("hanbao_obligations_open", "Obligations not yet submitted", labels)
    overdue = _Family(
        "hanbao_obligations_overdue", "Obligations past their deadline, not submitted", labels
    )
    oldest = _Family(
        "hanbao_overdue_max_seconds",
        "How long the most overdue obligation has been overdue",
        labels,
    )
    backlog = _Family("hanbao_outbox_messages", "Outbox messages by state", ("state",))
    age = _Family(
        "hanbao_outbox_oldest_pending_age_seconds",
        "Age of the oldest message waiting to be sent",
        (),
    )
    drain = _Family(
        "hanbao_outbox_drain_seconds_estimate",
        "How long the messages waiting (pending, sending) take at mail.rate_per_minute",
        (),
    )
    with transaction(engine) as store:
        counts = store.gauges.open_counts(now, by)
        outbox = store.gauges.outbox()
    for c in counts:
        key = (c.kind, c.parent) if by == "parent" else (c.kind, c.unit, c.parent)
        open_.add(key, c.open)
        if c.overdue:
            overdue.add(key, c.overdue)
            oldest.add(key, (now - c.oldest_due).total_seconds() if c.oldest_due else 0.0)
    for state, n in sorted((dict.fromkeys(MESSAGE_STATES, 0) | outbox.states).items()):
        backlog.add((state,), n)  # every state, 0 when empty: a panel shows 0, not "No data"
    first = outbox.oldest_waiting
    age.add((), max(0.0, (now - first).total_seconds()) if first else 0.0)
    drain.add((), drain_seconds(outbox.states, rate))
    return "".join(f.text() for f in (open_, overdue, oldest, backlog, age, drain)).encode()
