"""Prometheus metrics. Counters and timings are fed by the jobs; the state of obligations and of
the outbox is read from the database at scrape time, with the daemon's clock. A failing query
becomes ``hanbao_scrape_errors_total``, never a crash.
"""

from __future__ import annotations

import logging
import platform
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import get_args

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func
from sqlmodel import col, select

from scheduler import outbox, timeliness
from scheduler.calendar import WorkCalendar
from scheduler.clock import Clock
from scheduler.health import ROLES, Role
from scheduler.intake.matching import Outcome
from scheduler.intake.record import Source
from scheduler.store.queries import transaction
from scheduler.store.schema import MessageRow, ObligationRow, UnitRow

log = logging.getLogger(__name__)
VERSION = "0.1.0"
OUTCOME_LABELS = ("sent", "retry", "failed", "refused", "cancelled")  # hanbao_messages_total


class Metrics:
    def __init__(self, engine: Engine, clock: Clock, rate_per_minute: int = 60) -> None:
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
            ["job"],
            buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300),
            registry=r,
        )
        self.last_success = Gauge(
            "hanbao_job_last_success_timestamp_seconds",
            "Unix time of the job's last successful run",
            ["job"],
            registry=r,
        )
        self.failures = Counter("hanbao_job_failures", "Job runs that raised", ["job"], registry=r)
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
        r.register(_StateCollector(engine, clock, self.scrape_errors, rate_per_minute))
        self.on_time = _OnTimeCollector(engine, clock, self.scrape_errors)
        r.register(self.on_time)

    def set_role(self, held: Role) -> None:
        for role in ROLES:
            self.role.labels(role).set(1 if role == held else 0)


class _StateCollector(Collector):
    def __init__(self, engine: Engine, clock: Clock, errors: Counter, rate: int) -> None:
        self.engine, self.clock, self.errors, self.rate = engine, clock, errors, rate

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            yield from _state(self.engine, self.clock.now(), self.rate)
        except Exception:  # metrics never break the daemon
            log.exception("action=metrics_scrape_failed")
            self.errors.inc()


class _OnTimeCollector(Collector):
    """``hanbao_reports_on_time_ratio{parent,kind}``: reports due in the last 12 months that were
    sent on time, per parent (its subtree) and kind; no per-commune series. A year's table is
    about a second of work at national scale: a scrape never waits for it (scrapes run on the
    event loop). It is recomputed in a thread of its own at most every ``every``; meanwhile a
    scrape gives the last figures (none before the first are ready)."""

    every = timedelta(minutes=10)

    def __init__(self, engine: Engine, clock: Clock, errors: Counter) -> None:
        self.engine, self.clock, self.errors = engine, clock, errors
        self.lock = threading.Lock()
        self.cached: tuple[datetime, list[tuple[str, str, float]]] | None = None
        self.refreshing = False
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
                threading.Thread(
                    target=self._refresh, args=(now,), name="on-time-ratio", daemon=True
                ).start()
            figures = self.cached[1] if self.cached else []
        for parent, kind, value in figures:
            ratio.add_metric([parent, kind], value)
        yield ratio

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


def _state(engine: Engine, now: datetime, rate: int) -> Iterator[GaugeMetricFamily]:
    labels = ["kind", "unit", "parent"]
    open_ = GaugeMetricFamily(
        "hanbao_obligations_open", "Obligations not yet submitted", labels=labels
    )
    overdue = GaugeMetricFamily(
        "hanbao_obligations_overdue",
        "Obligations past their deadline, not submitted",
        labels=labels,
    )
    oldest = GaugeMetricFamily(
        "hanbao_overdue_max_seconds",
        "How long the most overdue obligation has been overdue",
        labels=labels,
    )
    backlog = GaugeMetricFamily(
        "hanbao_outbox_messages", "Outbox messages by state", labels=["state"]
    )
    age = GaugeMetricFamily(
        "hanbao_outbox_oldest_pending_age_seconds", "Age of the oldest message waiting to be sent"
    )
    drain = GaugeMetricFamily(
        "hanbao_outbox_drain_seconds_estimate",
        "How long the messages waiting (pending, sending) take at mail.rate_per_minute",
    )
    with transaction(engine) as store:
        rows = store.session.exec(
            select(ObligationRow.kind, ObligationRow.unit, UnitRow.parent, ObligationRow.due_at)
            .join(UnitRow, col(UnitRow.code) == col(ObligationRow.unit))
            .where(col(ObligationRow.submitted_at).is_(None))
            .where(col(ObligationRow.superseded_by).is_(None))
        ).all()
        states = store.session.exec(
            select(MessageRow.state, func.count()).group_by(col(MessageRow.state))
        ).all()
        first = store.session.exec(
            select(func.min(MessageRow.created_at)).where(
                col(MessageRow.state).in_(["pending", "sending"])
            )
        ).one()
    counts: dict[tuple[str, str, str], list[float]] = {}
    for kind, unit, parent, due_at in rows:
        entry = counts.setdefault((kind, unit, parent or ""), [0, 0, 0.0])
        entry[0] += 1
        if due_at < now:
            entry[1] += 1
            entry[2] = max(entry[2], (now - due_at).total_seconds())
    for key, (n_open, n_overdue, seconds) in sorted(counts.items()):
        open_.add_metric(list(key), n_open)
        if n_overdue:
            overdue.add_metric(list(key), n_overdue)
            oldest.add_metric(list(key), seconds)
    for state, n in states:
        backlog.add_metric([state], n)
    age.add_metric([], max(0.0, (now - first).total_seconds()) if first else 0.0)
    drain.add_metric([], outbox.drain_seconds(dict(states), rate))
    yield from (open_, overdue, oldest, backlog, age, drain)
