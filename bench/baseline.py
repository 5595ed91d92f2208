"""hanbao's plan against one APScheduler 3 job per reminder in an SQLAlchemyJobStore, side by side.

The same reminders, the same machine, one run, both on a SQLite file opened with hanbao's own
engine settings (WAL, synchronous=NORMAL). The reminders are the ladders of bench/sweep.py's open
year (periodic obligations of communes and agencies), with enough units for ``--reminders``
pending reminders; the instant that fires is the earliest in the plan (the six-monthly report's
``before_10`` step of every unit, about a tenth of them). Each design runs in child processes of
its own (no shared heap), one per measure:

- schedule: hanbao writes the obligations (``ledger.generate_periodic``); the baseline calls
  ``add_job(fire, trigger="date", run_date=…, id=…, replace_existing=True)`` once per reminder on
  a started (paused) scheduler;
- start-up, nothing due: hanbao opens the engine and sweeps once; the baseline from ``start()``
  until its first pass over the store has computed the next wakeup;
- resident memory (VmRSS) right after that start-up, and the peak (VmHWM) of the schedule child;
  ``rss_floor_mib`` is a child that only imported this script (both designs' floor);
- firing: at the instant, hanbao's sweep records the steps; the baseline from ``start()`` until
  every due job has run (its job only counts).

APScheduler reads the wall clock, so its children run on a clock shifted to the plan's date (the
scheduler module's ``datetime.now``); hanbao's sweep takes the moment as an argument.

    python bench/baseline.py                     # 100,000 reminders
    python bench/baseline.py --reminders 10000   # progress on stderr, one JSON line on stdout
    python bench/baseline.py --store-defaults    # the baseline's store as SQLAlchemyJobStore(url=…)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sweep import YEAR, add_units, units  # noqa: E402

from scheduler.deadlines.plan import occurrences  # noqa: E402
from scheduler.deadlines.vntime import as_vn, parse_datetime  # noqa: E402
from scheduler.lifecycle import ledger  # noqa: E402
from scheduler.lifecycle.sweep import sweep  # noqa: E402
from scheduler.settings import Config, load_config  # noqa: E402
from scheduler.store import migrate  # noqa: E402
from scheduler.store.queries import transaction  # noqa: E402
from scheduler.store.schema import ObligationRow, make_engine  # noqa: E402

COMMUNES_PER_DISTRICT = 15
STORE_DEFAULTS = "HANBAO_BENCH_BASELINE_STORE_DEFAULTS"
STARTS = 3  # start-up is milliseconds: the median of three children
FIRED = 0
_fired_lock = threading.Lock()


def fire(reminder: str) -> None:
    """The baseline's job: one reminder fired (counted; sending is left out of both designs)."""
    global FIRED
    with _fired_lock:
        FIRED += 1


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def memory() -> dict[str, float]:
    """This process's resident memory now and at its peak, MiB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return {
        name: round(int(fields[key].split()[0]) / 1024, 1)
        for name, key in (("rss_mib", "VmRSS"), ("peak_rss_mib", "VmHWM"))
    }


def config() -> Config:
    return load_config(ROOT / "config" / "hanbao.yaml", "sqlite://")


# ---- the plan: units sized for N reminders, and the reminders their obligations' ladders give


def communes_for(cfg: Config, reminders: int) -> int:
    """Communes (with 6 agencies per 15 communes' district) whose year gives ~``reminders``."""
    created = parse_datetime(f"01/01/{YEAR} 00:00")
    per_kind: dict[str, int] = {}
    for kind in cfg.rules.kinds.values():
        if kind.trigger != "yearly":
            continue
        due_at = kind.deadline.due_in_year(YEAR)
        steps = len(occurrences(kind, due_at, created, cfg.calendar, cfg.rules.reminder_time))
        for unit_kind in ("commune", "agency"):
            if not kind.owed_by or unit_kind in kind.owed_by:
                per_kind[unit_kind] = per_kind.get(unit_kind, 0) + steps
    per_district = COMMUNES_PER_DISTRICT * per_kind["commune"] + 6 * per_kind["agency"]
    return max(COMMUNES_PER_DISTRICT, round(reminders / per_district * COMMUNES_PER_DISTRICT))


def the_plan(engine: Engine, cfg: Config) -> list[tuple[str, datetime]]:
    """Every pending reminder of the stored obligations: (obligation id and step, moment)."""
    table = ObligationRow.metadata.tables["obligation"]
    with engine.connect() as connection:
        rows = list(
            connection.execute(
                select(table.c.id, table.c.kind, table.c.due_at, table.c.created_at).where(
                    table.c.submitted_at.is_(None)
                )
            )
        )
    ladders: dict[tuple[str, Any, Any], list[Any]] = {}
    plan = []
    for obligation_id, kind_id, due_at, created_at in rows:
        key = (kind_id, due_at, created_at)
        if key not in ladders:
            ladders[key] = occurrences(
                cfg.rules.kind(kind_id),
                as_vn(due_at),
                as_vn(created_at),
                cfg.calendar,
                cfg.rules.reminder_time,
            )
        for occ in ladders[key]:
            plan.append((f"{obligation_id}:{occ.step.name}:{occ.repeat}", occ.at))
    return plan


# ---- hanbao's children


def hanbao_schedule(db: str, communes: int) -> dict[str, Any]:
    cfg, engine = config(), make_engine(f"sqlite:///{db}")
    migrate.create(engine)
    districts = max(1, round(communes / COMMUNES_PER_DISTRICT))
    add_units(engine, *units(communes, districts, max(1, districts // 11)))
    started = time.perf_counter()
    with transaction(engine) as store:
        generated = ledger.generate_periodic(
            store, cfg, YEAR, parse_datetime(f"01/01/{YEAR} 00:00"), "bench"
        )
    elapsed = time.perf_counter() - started
    return {"schedule_s": elapsed, "obligations": generated.created, **memory()}


def hanbao_start(db: str, at: datetime) -> dict[str, Any]:
    cfg = config()
    started = time.perf_counter()
    engine = make_engine(f"sqlite:///{db}")
    recorded = sweep(engine, cfg, at)
    elapsed = time.perf_counter() - started
    assert not recorded, "nothing may be due at start-up"
    return {"startup_s": elapsed, **memory()}


def hanbao_fire(db: str, at: datetime) -> dict[str, Any]:
    cfg = config()
    engine = make_engine(f"sqlite:///{db}")
    started = time.perf_counter()
    recorded = sweep(engine, cfg, at)
    return {"fire_s": time.perf_counter() - started, "fired": len(recorded)}


# ---- the baseline's children


def scheduler_at(db: str, at: datetime | None) -> Any:
    """A BackgroundScheduler on an SQLAlchemyJobStore in ``db``; its clock shifted to ``at``."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers import base
    from apscheduler.schedulers.background import BackgroundScheduler

    if at is not None:
        offset = at - datetime.now(UTC)

        class Shifted(datetime):
            @classmethod
            def now(cls, tz: Any = None) -> Shifted:
                moment = datetime.now(tz) + offset
                return cls.fromtimestamp(moment.timestamp(), tz)

        base.datetime = Shifted

    class Ready(BackgroundScheduler):  # type: ignore[misc]
        """Tells when a pass over the store has computed the next wakeup."""

        passed = threading.Event()

        def _process_jobs(self) -> Any:
            wait = super()._process_jobs()
            self.passed.set()
            return wait

    if os.environ.get(STORE_DEFAULTS):  # as a user writes it: SQLite's own journal and fsync
        store = SQLAlchemyJobStore(url=f"sqlite:///{db}")
    else:
        store = SQLAlchemyJobStore(engine=make_engine(f"sqlite:///{db}"))
    return Ready(
        jobstores={"default": store},
        job_defaults={"misfire_grace_time": None, "coalesce": False},
        timezone="UTC",
    )


def baseline_schedule(db: str, plan_file: str) -> dict[str, Any]:
    plan = json.loads(Path(plan_file).read_text())
    scheduler = scheduler_at(db, None)
    scheduler.start(paused=True)
    started = time.perf_counter()
    for reminder, moment in plan:
        scheduler.add_job(
            fire,
            trigger="date",
            run_date=datetime.fromisoformat(moment),
            args=[reminder],
            id=reminder,
            replace_existing=True,
        )
    elapsed = time.perf_counter() - started
    scheduler.shutdown(wait=False)
    return {"schedule_s": elapsed, **memory()}


def baseline_start(db: str, at: datetime) -> dict[str, Any]:
    scheduler = scheduler_at(db, at)
    started = time.perf_counter()
    scheduler.start()
    if not scheduler.passed.wait(600):
        raise SystemExit("the baseline did not finish its first pass in 10 minutes")
    elapsed = time.perf_counter() - started
    assert FIRED == 0, "nothing may be due at start-up"
    scheduler.shutdown(wait=False)
    return {"startup_s": elapsed, **memory()}


def baseline_fire(db: str, at: datetime, due: int) -> dict[str, Any]:
    scheduler = scheduler_at(db, at)
    started = time.perf_counter()
    scheduler.start()
    deadline = started + 1800
    while due > FIRED and time.perf_counter() < deadline:
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    scheduler.shutdown(wait=True)
    return {"fire_s": elapsed, "fired": FIRED}


# ---- the parent


def child(*args: str) -> dict[str, Any]:
    """Run one measure in a fresh interpreter; its JSON line."""
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def median_child(measure: str, *args: str) -> dict[str, Any]:
    """The run of ``STARTS`` whose ``measure`` is the median."""
    runs = sorted((child(*args) for _ in range(STARTS)), key=lambda run: float(run[measure]))
    return runs[len(runs) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=100_000)
    parser.add_argument(
        "--store-defaults",
        action="store_true",
        help="open the baseline's store as a user would (SQLAlchemyJobStore(url=…): SQLite's "
        "rollback journal, an fsync per commit) instead of with hanbao's engine settings",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.store_defaults:
        os.environ[STORE_DEFAULTS] = "1"  # the children read it
    if args.child:
        print(json.dumps(run_child(args.child)), flush=True)
        return
    cfg = config()
    communes = communes_for(cfg, args.reminders)
    with tempfile.TemporaryDirectory() as folder:
        ours, theirs = f"{folder}/hanbao.sqlite3", f"{folder}/apscheduler.sqlite3"
        progress(f"hanbao: {communes:,} communes' obligations for {YEAR}")
        h_schedule = child("hanbao-schedule", ours, str(communes))
        plan = the_plan(make_engine(f"sqlite:///{ours}"), cfg)
        instant = min(moment for _, moment in plan)
        due = sum(moment == instant for _, moment in plan)
        quiet = instant - timedelta(minutes=1)
        progress(
            f"  {h_schedule['obligations']:,} obligations, {len(plan):,} pending reminders "
            f"written in {h_schedule['schedule_s']:.2f} s; {due:,} due at {instant.isoformat()}"
        )
        plan_file = f"{folder}/plan.json"
        Path(plan_file).write_text(
            json.dumps([(reminder, moment.isoformat()) for reminder, moment in plan])
        )
        progress(f"apscheduler: add_job x {len(plan):,}")
        b_schedule = child("apscheduler-schedule", theirs, plan_file)
        progress(f"  {b_schedule['schedule_s']:.2f} s")
        h_start = median_child("startup_s", "hanbao-start", ours, quiet.isoformat())
        b_start = median_child("startup_s", "apscheduler-start", theirs, quiet.isoformat())
        floor = child("floor", ours)
        progress(
            f"start-up: hanbao {h_start['startup_s']:.4f} s, apscheduler "
            f"{b_start['startup_s']:.4f} s"
        )
        h_fire = child("hanbao-fire", ours, instant.isoformat())
        progress(f"hanbao fired {h_fire['fired']:,} in {h_fire['fire_s']:.2f} s")
        b_fire = child("apscheduler-fire", theirs, instant.isoformat(), str(due))
        progress(f"apscheduler fired {b_fire['fired']:,} in {b_fire['fire_s']:.2f} s")
    hanbao = {
        "schedule_s": h_schedule["schedule_s"],
        "startup_s": h_start["startup_s"],
        "rss_mib": h_start["rss_mib"],
        "peak_rss_mib": h_schedule["peak_rss_mib"],
        "fire_s": h_fire["fire_s"],
        "fired": h_fire["fired"],
    }
    baseline = {
        "schedule_s": b_schedule["schedule_s"],
        "startup_s": b_start["startup_s"],
        "rss_mib": b_start["rss_mib"],
        "peak_rss_mib": b_schedule["peak_rss_mib"],
        "fire_s": b_fire["fire_s"],
        "fired": b_fire["fired"],
    }
    # what a child holds before it does anything: the interpreter, SQLAlchemy and hanbao's
    # modules (the baseline's children import them too, and APScheduler on top)
    floor_mib = floor["rss_mib"]
    measures = ("schedule_s", "startup_s", "rss_mib", "peak_rss_mib", "fire_s")
    print(
        json.dumps(
            {
                "reminders": len(plan),
                "obligations": h_schedule["obligations"],
                "due": due,
                "rss_floor_mib": floor_mib,
                "instant": instant.isoformat(),
                "apscheduler_store": "sqlite defaults"
                if args.store_defaults
                else "hanbao's engine",
                "hanbao": {k: round(v, 4) for k, v in hanbao.items()},
                "apscheduler": {k: round(v, 4) for k, v in baseline.items()},
                "ratio": {m: round(baseline[m] / hanbao[m], 1) for m in measures},
            }
        ),
        flush=True,
    )


def run_child(argv: list[str]) -> dict[str, Any]:
    name, db, *rest = argv
    if name == "floor":
        return memory()
    if name == "hanbao-schedule":
        return hanbao_schedule(db, int(rest[0]))
    if name == "hanbao-start":
        return hanbao_start(db, datetime.fromisoformat(rest[0]))
    if name == "hanbao-fire":
        return hanbao_fire(db, datetime.fromisoformat(rest[0]))
    if name == "apscheduler-schedule":
        return baseline_schedule(db, rest[0])
    if name == "apscheduler-start":
        return baseline_start(db, datetime.fromisoformat(rest[0]))
    if name == "apscheduler-fire":
        return baseline_fire(db, datetime.fromisoformat(rest[0]), int(rest[1]))
    raise SystemExit(f"unknown child {name!r}")


if __name__ == "__main__":
    main()
