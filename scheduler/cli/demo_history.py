"""A year of history for ``hanbao demo``, so the leaders' page, the exports and the metrics show
something on first start.

Nothing is written as a figure: the past year is replayed on a simulated clock through the
ledger and the sweep, as the daemon would have lived it. Periodic reports are generated when the
daemon would have generated them; cases are verified at random working hours; requests for
ad-hoc reports come now and then; each unit has its own seeded habit of sending on time, late or
not at all; the sweep runs each morning and after each event, recording reminders, escalations
and late flags. The reminders of that past year count as mailed then: the demo's mail folder
receives only what falls due from its start.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from scheduler.deadlines.vntime import at, vn_date
from scheduler.lifecycle import ledger
from scheduler.lifecycle.sweep import sweep
from scheduler.records import Obligation, Via
from scheduler.settings import Config
from scheduler.store.connection import Engine
from scheduler.store.queries import Store, transaction

log = logging.getLogger("scheduler.demo")
SEED = 2027
CASES_PER_COMMUNE = 3
ADHOC_REQUESTS = 4
VIA: tuple[Via, ...] = ("mail", "link", "cli")


@dataclass(frozen=True)
class Habit:
    """How a unit sends its reports: the chance of on time, and of late (else never)."""

    on_time: float
    late: float


@dataclass
class History:
    cases: int = 0
    requests: int = 0
    on_time: int = 0
    late: int = 0
    sweeps: int = 0


Action = Callable[[Store, datetime], list[Obligation]]


def record_year(engine: Engine, config: Config, now: datetime, seed: int = SEED) -> History:
    """Replay the year before ``now`` on the simulated clock; what happened, counted."""
    rng = random.Random(seed)
    start = now - timedelta(days=365)
    with transaction(engine) as store:
        units = store.units()
    owing = sorted(code for code, u in units.items() if u.kind in ("commune", "agency"))
    communes = [code for code in owing if units[code].kind == "commune"]
    habits = {
        code: Habit(on_time=rng.uniform(0.45, 0.95), late=rng.uniform(0.5, 0.9)) for code in owing
    }
    history = History()
    order = itertools.count()
    queue: list[tuple[datetime, int, Action | None]] = []
    scheduled: set[int] = set()

    def plan(when: datetime, action: Action | None) -> None:
        if start <= when <= now:
            heapq.heappush(queue, (when, next(order), action))

    def periodic(year: int) -> Action:
        def generate(store: Store, moment: datetime) -> list[Obligation]:
            ledger.generate_periodic(store, config, year, moment, "demo", ahead_only=True)
            return store.obligations(open_only=True)

        return generate

    def case(code: str, unit: str) -> Action:
        def open_(store: Store, moment: datetime) -> list[Obligation]:
            history.cases += 1
            return ledger.open_case(store, config, code, unit, "xam_hai", moment, moment, "demo")

        return open_

    def request(unit: str, reference: str) -> Action:
        def ask(store: Store, moment: datetime) -> list[Obligation]:
            due = config.calendar.working_days_deadline(moment, rng.randint(3, 7))
            history.requests += 1
            return [
                ledger.request_adhoc(
                    store, config, unit, reference, due, "UBND huyện", moment, "demo"
                )
            ]

        return ask

    def send(obligation: Obligation, late: bool) -> Action:
        def submit(store: Store, moment: datetime) -> list[Obligation]:
            if late:
                history.late += 1
            else:
                history.on_time += 1
            _, started = ledger.submit(
                store, config, obligation.id, moment, moment, "demo", via=rng.choice(VIA)
            )
            return started

        return submit

    def fate(obligation: Obligation, moment: datetime) -> None:
        """Decide, by the unit's habit, whether and when this report is sent (on time: within
        the last month before its deadline, and not before ``moment``, when it is known)."""
        scheduled.add(obligation.id)
        habit, draw = habits.get(obligation.unit, Habit(0.8, 0.8)), rng.random()
        if draw < habit.on_time:
            due = obligation.due_at
            earliest = max(moment, obligation.event_at, due - timedelta(days=30))
            plan(earliest + (due - earliest) * rng.uniform(0.05, 1.0), send(obligation, False))
        elif rng.random() < habit.late:
            day = config.calendar.shift(vn_date(obligation.due_at), rng.randint(1, 8))
            plan(at(day, time(rng.randint(8, 16), rng.randint(0, 59))), send(obligation, True))

    for year in range(start.year, now.year + 1):
        plan(max(start, at(date(year, 1, 1), config.rules.reminder_time)), periodic(year))
    for n, commune in enumerate(communes * CASES_PER_COMMUNE):
        day = config.calendar.roll_forward(vn_date(start) + timedelta(days=rng.randint(1, 360)))
        moment = at(day, time(rng.randint(8, 16), rng.randint(0, 59)))
        plan(moment, case(f"VV-DEMO-{moment:%Y%m%d}-{n:03d}", commune))
    for n in range(ADHOC_REQUESTS):
        day = config.calendar.roll_forward(vn_date(start) + timedelta(days=rng.randint(1, 350)))
        reference = f"{n + 1:02d}/UBND-DEMO-{day:%Y}"
        plan(at(day, time(14, 0)), request(rng.choice(owing), reference))
    day = vn_date(start)
    while day <= vn_date(now):  # the morning sweep of each working day, when reminders go
        if config.calendar.is_working_day(day):
            plan(at(day, config.rules.reminder_time), None)
        day += timedelta(days=1)

    while queue:
        moment, _, action = heapq.heappop(queue)
        if action is not None:
            with transaction(engine) as store:
                created = action(store, moment)
            for obligation in created:
                if obligation.id not in scheduled and obligation.submitted_at is None:
                    fate(obligation, moment)
        sweep(engine, config, moment)
        history.sweeps += 1
    with transaction(engine) as store:
        store.settle_reminders(now)
        store.audit(
            now,
            "demo",
            "demo_history",
            cases=history.cases,
            requests=history.requests,
            on_time=history.on_time,
            late=history.late,
        )
    log.info(
        "action=demo_history cases=%d requests=%d on_time=%d late=%d sweeps=%d",
        history.cases,
        history.requests,
        history.on_time,
        history.late,
        history.sweeps,
    )
    return history
