"""Prometheus metrics. Counters and timings are fed by the jobs; the state of obligations and of
the outbox is read from the database in a thread, with the daemon's clock, and served as a
snapshot (``StateSnapshot``): a scrape never reads the database on the event loop. A failing
query becomes ``hanbao_scrape_errors_total``, never a crash. ``render`` turns the registry into
the exposition text, in a thread too (a national deployment's text is megabytes).
"""

from __future__ import annotations

import gzip
import logging
import platform
import threading
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from typing import get_args

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import choose_encoder, gzip_accepted
from prometheus_client.registry import Collector

from scheduler.clock import Clock
from scheduler.deadlines.calendar import WorkCalendar
from scheduler.deadlines.rules import Rules
from scheduler.intake.matching import Outcome
from scheduler.intake.record import Source
from scheduler.monitoring.health import ROLES, Role
from scheduler.monitoring.metrics_state import StateSnapshot
from scheduler.records import UnitLabels
from scheduler.reports import timeliness
from scheduler.store.connection import Engine
from scheduler.store.queries import transaction

log = logging.getLogger("scheduler.metrics")
OPENMETRICS_END = b"# EOF\n"
VERSION = "0.1.0"
OUTCOME_LABELS = ("sent", "retry", "failed", "refused", "cancelled")  # hanbao_messages_total
# the label of hanbao_job_*: not "job", which Prometheus gives every target (it would be stored
# as exported_job and no rule on it would match)
TASK_LABEL = "task"


class Metrics:
    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        calendar: WorkCalendar | None = None,
        unit_labels: UnitLabels = "unit",
        refresh_seconds: float = 15,
        rate_per_minute: int = 60,
    ) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.steps = Counter(
            "hanbao_reminder_steps",
            "Ladder steps recorded by the sweep (reminders, escalations, late flags)",
            ["kind", "step"],
            registry=r,
        )
        self.late_flags = Counter(
            "hanbao_late_flags", "Units flagged late to their parent", ["kind"], registry=r
        )
        self.messages = Counter(
            "hanbao_messages", "Delivery outcomes of outbox messages", ["outcome"], registry=r
        )
        for outcome in OUTCOME_LABELS:
            self.messages.labels(outcome)
        self.role = Gauge(
            "hanbao_role",
            "1 for the role this process holds: leader (runs the digest, periodic generation "
            "and housekeeping) or standby",
            ["role"],
            registry=r,
        )
        self.set_role("standby")
        self.duration = Histogram(
            "hanbao_job_duration_seconds",
            "Time a job took",
            [TASK_LABEL],
            buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300),
            registry=r,
        )
        self.last_success = Gauge(
            "hanbao_job_last_success_timestamp_seconds",
            "Unix time of the job's last successful run",
            [TASK_LABEL],
            registry=r,
        )
        self.failures = Counter(
            "hanbao_job_failures", "Job runs that raised", [TASK_LABEL], registry=r
        )
        self.intake = Counter(
            "hanbao_intake_mails",
            "Report mails seen by the intake, by source and by what came of them",
            ["source", "outcome"],
            registry=r,
        )
        for source in get_args(Source):
            for outcome in (*get_args(Outcome), "replay"):
                self.intake.labels(source, outcome)  # every series exists from the start
        self.scrape_errors = Counter(
            "hanbao_scrape_errors", "Failed state queries at scrape", registry=r
        )
        Info("hanbao_build", "Build information", registry=r).info(
            {"version": VERSION, "python": platform.python_version()}
        )
        self.state = StateSnapshot(
            engine, clock, self.scrape_errors, unit_labels, refresh_seconds, rate_per_minute
        )
        Gauge(
            "hanbao_state_age_seconds",
            "How old the state gauges (obligations, outbox) are: they are read in the "
            "background and served as a snapshot, not read at the scrape",
            registry=r,
        ).set_function(self.state.age)
        self.on_time = _OnTimeCollector(engine, clock, self.scrape_errors)
        r.register(self.on_time)
        r.register(_CalendarCollector(calendar or WorkCalendar(), clock))

    def close(self, timeout: float = 30) -> None:
        """Wait for the refreshes in progress: their database connections must be back before
        the engine is disposed (a thread still holding one after that leaks it)."""
        self.state.join(timeout)
        self.on_time.join(timeout)

    def expect(self, tasks: Iterable[str], rules: Rules) -> None:
        """Every series that can count, at 0 from the start: the failures and durations of the
        jobs this daemon runs, each kind's ladder steps and late flags. ``increase()`` then sees
        the first event, and a panel shows 0 rather than "No data". A job's last success stays
        absent until there is one (a 0 would read as 1970)."""
        for task in tasks:
            self.failures.labels(task)
            self.duration.labels(task)
        for kind in rules.kinds.values():
            for step in kind.ladder:
                self.steps.labels(kind.id, step.name)
            if any(step.flag_late for step in kind.ladder):
                self.late_flags.labels(kind.id)

    def set_role(self, held: Role) -> None:
        for role in ROLES:
            self.role.labels(role).set(1 if role == held else 0)


class _CalendarCollector(Collector):
    """The first year hanbao counts in without confirmed days off (this year, and from 1
    November the next), 0 when none: an alert rule can ask for ``> 0``."""

    def __init__(self, calendar: WorkCalendar, clock: Clock) -> None:
        self.calendar, self.clock = calendar, clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        years = self.calendar.awaiting_confirmation(self.clock.now())
        yield GaugeMetricFamily(
            "hanbao_calendar_unconfirmed_year",
            "A year whose days off are not confirmed in calendar-overrides.yaml (0: none)",
            value=min(years, default=0),
        )


class _OnTimeCollector(Collector):
    """``hanbao_reports_on_time_ratio{parent,kind}``: reports due in the last 12 months that were
    sent on time, per parent (its subtree) and kind; no per-commune series. A year's table is
    about a second of work at national scale: a scrape never waits for it (a scrape answers in
    milliseconds, from snapshots). It is recomputed in a thread of its own at most every
    ``every``; meanwhile a scrape gives the last figures (none before the first are ready)."""

    every = timedelta(minutes=10)

    def __init__(self, engine: Engine, clock: Clock, errors: Counter) -> None:
        self.engine, self.clock, self.errors = engine, clock, errors
        self.lock = threading.Lock()
        self.cached: tuple[datetime, list[tuple[str, str, float]]] | None = None
        self.refreshing = False
        self.thread: threading.Thread | None = None
        self.refreshed = threading.Event()  # set once figures are ready (tests wait on it)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        ratio = GaugeMetricFamily(
            "hanbao_reports_on_time_ratio",
            "Share of the reports due in the last 12 months that were sent on time, per parent "
            "unit (its whole subtree) and kind",
            labels=["parent", "kind"],
        )
        now = self.clock.now()
        with self.lock:
            fresh = self.cached is not None and now - self.every < self.cached[0] <= now
            if not fresh and not self.refreshing:
                self.refreshing = True
                self.thread = threading.Thread(
                    target=self._refresh, args=(now,), name="on-time-ratio", daemon=True
                )
                self.thread.start()
            figures = self.cached[1] if self.cached else []
        for parent, kind, value in figures:
            ratio.add_metric([parent, kind], value)
        yield ratio

    def join(self, timeout: float) -> None:
        with self.lock:
            thread = self.thread
        if thread is not None:
            thread.join(timeout)

    def _refresh(self, now: datetime) -> None:
        try:
            figures = _on_time(self.engine, now)
        except Exception:  # metrics never break the daemon; the next scrape tries again
            log.exception("action=metrics_scrape_failed metric=hanbao_reports_on_time_ratio")
            self.errors.inc()
            with self.lock:
                self.refreshing = False
            return
        with self.lock:
            self.cached, self.refreshing = (now, figures), False
        self.refreshed.set()
        log.info("action=on_time_ratio_refreshed series=%d", len(figures))


def _on_time(engine: Engine, now: datetime) -> list[tuple[str, str, float]]:
    """(parent, kind, on-time ratio) over the year up to ``now``. The ratio needs no calendar:
    on time is by the stored deadline; only the days late, unused here, count working days."""
    with transaction(engine) as store:
        facts, _ = timeliness.read(
            store, WorkCalendar(), now.date() - timedelta(days=365), now.date(), now
        )
    rows = timeliness.table(facts, period=lambda _fact: "12m")
    return [
        (r.unit, r.kind, r.on_time_rate)
        for r in rows
        if r.level == "rollup" and r.on_time_rate is not None
    ]


def exposition(metrics: Metrics, accept: str, accept_encoding: str) -> tuple[bytes, dict[str, str]]:
    """The exposition as Prometheus asked for it (text or OpenMetrics, gzip or not) and its
    headers: the registry's families formatted now, the state's block as the snapshot holds
    it (a gauge's lines are the same in both formats). Blocking: the caller runs it in a
    worker thread."""
    encoder, content_type = choose_encoder(accept)
    body = encoder(metrics.registry)
    block = metrics.state.block
    if body.endswith(OPENMETRICS_END):
        body = body[: -len(OPENMETRICS_END)] + block + OPENMETRICS_END
    else:
        body += block
    if gzip_accepted(accept_encoding):
        return gzip.compress(body, compresslevel=1), {
            "Content-Type": content_type,
            "Content-Encoding": "gzip",
        }
    return body, {"Content-Type": content_type}
