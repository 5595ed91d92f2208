"""Sweep benchmark at national scale, on SQLite and PostgreSQL. A script that prints figures.

Builds about 10,600 communes under 700 districts (63 provinces) with 6 agencies each, ten years
(2017-2026) of closed periodic obligations and cases with their reminder history, and the open
year 2027; then times one sweep when nothing is due and the sweeps of 16 June and 1 July 2027,
when every unit's six-monthly reminder falls due, their composition into the outbox, and the
districts' digests of 1 July 08:30, which list every commune late.

    python bench/sweep.py                 # both backends (PostgreSQL from pgserver)
    python bench/sweep.py --only sqlite   # or --only postgresql; --communes N to scale down
    HANBAO_BENCH_DATABASE_URL=postgresql://… python bench/sweep.py --only postgresql
"""

from __future__ import annotations

import gc
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pg import on_each_backend  # noqa: E402

from scheduler.deadlines.plan import occurrences  # noqa: E402
from scheduler.deadlines.vntime import at, parse_datetime  # noqa: E402
from scheduler.lifecycle import ledger  # noqa: E402
from scheduler.lifecycle.sweep import sweep  # noqa: E402
from scheduler.mail.deliver import queue  # noqa: E402
from scheduler.mail.digest import digest  # noqa: E402
from scheduler.mail.render import Renderer  # noqa: E402
from scheduler.settings import Config  # noqa: E402
from scheduler.store import migrate  # noqa: E402
from scheduler.store.queries import transaction  # noqa: E402
from scheduler.store.schema import (  # noqa: E402
    CaseRow,
    ContactRow,
    ObligationRow,
    ReminderRow,
    UnitRow,
    make_engine,
    normalise_url,
)

T = TypeVar("T")
DOMAIN = "bench.tinhmau.example"
HISTORY = range(2017, 2027)
YEAR = 2027
CHUNK = 10_000


CPU: dict[str, float] = {}  # the last run of each label: this process's CPU time


def timed(label: str, action: Callable[[], T]) -> tuple[T, float]:
    """The result and wall time of ``action``; its CPU time goes to ``CPU`` (on a shared
    machine the steadier figure; on SQLite it is all the work, on PostgreSQL the client's)."""
    started, cpu = time.perf_counter(), time.process_time()
    result = action()
    elapsed = time.perf_counter() - started
    CPU[label] = time.process_time() - cpu
    print(f"  {label}: {elapsed:.3f} s (CPU {CPU[label]:.3f} s)", flush=True)
    return result, elapsed


Rows = list[dict[str, Any]]


def units(communes: int, districts: int, provinces: int) -> tuple[Rows, Rows]:
    rows: list[dict[str, Any]] = []
    contacts: list[dict[str, Any]] = []

    def add(code: str, kind: str, parent: str | None, roles: tuple[str, ...]) -> None:
        rows.append(
            {
                "code": code,
                "name": f"Đơn vị {code}",
                "kind": kind,
                "parent": parent,
                "email": f"{code.lower()}@{DOMAIN}",
            }
        )
        contacts.extend(
            {"unit": code, "role": role, "address": f"{role}.{code.lower()}@{DOMAIN}"}
            for role in roles
        )

    for p in range(provinces):
        add(f"T{p:02d}", "province", None, ("leader", "supervisor"))
    for d in range(districts):
        district = f"H{d:03d}"
        add(district, "district", f"T{d % provinces:02d}", ("leader", "supervisor"))
        for a in range(6):
            add(f"A{d:03d}-{a}", "agency", district, ("officer", "leader"))
    for c in range(communes):
        add(f"X{c:05d}", "commune", f"H{c % districts:03d}", ("officer", "leader"))
    return rows, contacts


def chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def add_units(engine: Engine, unit_rows: Rows, contact_rows: Rows) -> None:
    """Store the units and their contacts, as ``units`` made them."""
    with engine.begin() as connection:
        for table, rows in ((UnitRow, unit_rows), (ContactRow, contact_rows)):
            for part in chunks(rows):
                connection.execute(insert(table), part)


def open_year(engine: Engine, config: Config, communes: int) -> tuple[Rows, dict[str, int]]:
    """The units and the open year's obligations, generated on 1 January; returns the units."""
    unit_rows, contact_rows = units(communes, 700, 63)
    add_units(engine, unit_rows, contact_rows)
    start = parse_datetime(f"01/01/{YEAR} 00:00")
    with transaction(engine) as store:
        generated = ledger.generate_periodic(store, config, YEAR, start, "bench")
    counts = {"units": len(unit_rows), "contacts": len(contact_rows)}
    return unit_rows, {**counts, "open obligations": generated.created}


def build(engine: Engine, config: Config, communes: int) -> dict[str, int]:
    """Units, the open year and ten closed years (``bench/timeliness.py``'s data); row counts."""
    unit_rows, counts = open_year(engine, config, communes)
    return {**counts, **history(engine, config, unit_rows)}


def history(engine: Engine, config: Config, unit_rows: Rows) -> dict[str, int]:
    """Ten closed years of periodic reports and cases, with their reminders; row counts."""
    rng = random.Random(2027)
    owing = [u for u in unit_rows if u["kind"] in ("commune", "agency")]
    closed: list[dict[str, Any]] = []
    for year in HISTORY:
        for kind_id in ("six_monthly", "annual", "sector_annual"):
            kind = config.rules.kind(kind_id)
            due_at = kind.deadline.due_in_year(year)
            created = at(date(year, 1, 1), config.rules.reminder_time)
            for unit in owing:
                if kind.owed_by and unit["kind"] not in kind.owed_by:
                    continue
                submitted = due_at - timedelta(days=rng.randint(-5, 20))
                closed.append(
                    {
                        "key": f"periodic:{kind_id}:{year}:{unit['code']}",
                        "kind": kind_id,
                        "unit": unit["code"],
                        "case_id": None,
                        "period": str(year),
                        "requested_by": None,
                        "event_at": created,
                        "due_at": due_at,
                        "created_at": created,
                        "submitted_at": submitted,
                        "next_action_at": None,
                    }
                )
    cases: list[dict[str, Any]] = []
    communes_codes = [u["code"] for u in unit_rows if u["kind"] == "commune"]
    for year in HISTORY:
        for n in range(2_000):
            verified = at(
                date(year, 1, 1) + timedelta(days=rng.randint(0, 360)), config.rules.reminder_time
            )
            cases.append(
                {
                    "code": f"VV-{year}-{n:04d}",
                    "unit": rng.choice(communes_codes),
                    "category": "xam_hai",
                    "verified_at": verified,
                    "opened_at": verified,
                }
            )
    with engine.begin() as connection:
        for part in chunks(cases):
            connection.execute(insert(CaseRow), part)
        ids: dict[str, int] = {
            code: case_id
            for code, case_id in connection.execute(text("SELECT code, id FROM case_file"))
        }
        for case in cases:
            for kind_id in ("urgent_report", "written_report", "support_plan", "plan_approval"):
                kind = config.rules.kind(kind_id)
                due_at = kind.deadline.due_after(case["verified_at"], config.calendar)
                closed.append(
                    {
                        "key": f"case:{case['code']}:{kind_id}",
                        "kind": kind_id,
                        "unit": case["unit"],
                        "case_id": ids[case["code"]],
                        "period": None,
                        "requested_by": None,
                        "event_at": case["verified_at"],
                        "due_at": due_at,
                        "created_at": case["verified_at"],
                        "submitted_at": due_at - timedelta(hours=rng.randint(-30, 10)),
                        "next_action_at": None,
                    }
                )
        for part in chunks(closed):
            connection.execute(insert(ObligationRow), part)
        stored = ObligationRow.metadata.tables["obligation"]
        obligation_ids = list(  # the closed years' only: the open year's steps are the sweeps'
            connection.execute(
                select(stored.c.id, stored.c.kind, stored.c.due_at, stored.c.created_at).where(
                    stored.c.submitted_at.is_not(None)
                )
            )
        )
    reminders = history_reminders(config, obligation_ids)
    with engine.begin() as connection:
        for part in chunks(reminders):
            connection.execute(insert(ReminderRow), part)
    return {
        "cases": len(cases),
        "closed obligations": len(closed),
        "reminder history": len(reminders),
    }


def history_reminders(config: Config, rows: list[Any]) -> list[dict[str, Any]]:
    """The first two ladder steps of every closed obligation, as a past sweep recorded them."""
    result = []
    ladders: dict[tuple[str, Any, Any], list[Any]] = {}
    for obligation_id, kind_id, due_at, created_at in rows:
        if (kind_id, due_at, created_at) not in ladders:
            ladders[(kind_id, due_at, created_at)] = occurrences(
                config.rules.kind(kind_id),
                due_at,
                created_at,
                config.calendar,
                config.rules.reminder_time,
            )[:2]
        for occ in ladders[(kind_id, due_at, created_at)]:
            result.append(
                {
                    "obligation_id": obligation_id,
                    "step": occ.step.name,
                    "repeat": occ.repeat,
                    "state": "due",
                    "late_flag": False,
                    "recipients": json.dumps([]),
                    "scheduled_at": occ.at,
                    "recorded_at": occ.at,
                    "composed_at": occ.at,
                }
            )
    return result


def idle_sweeps(engine: Engine, config: Config, label: str) -> float:
    """The median of five sweeps when nothing is due, in seconds."""
    quiet = parse_datetime(f"15/06/{YEAR} 07:00")
    sweep(engine, config, quiet)  # nothing is due yet: the year was generated on 1 January
    return statistics.median(
        timed(f"sweep, nothing due ({label})", lambda: sweep(engine, config, quiet))[1]
        for _ in range(5)
    )


def compose_all(engine: Engine, config: Config, now: datetime) -> int:
    """Compose the recorded steps into the outbox as the mail job does (``queue``: slice after
    slice, on PostgreSQL one written while the next is taken); how many mails were queued
    (``uncomposed`` checks nothing was left)."""
    return queue(engine, config, Renderer(config.mail.domain), now)


def uncomposed(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                text("SELECT count(*) FROM reminder WHERE state = 'due' AND composed_at IS NULL")
            ).scalar_one()
        )


def frozen_heap() -> None:
    """Collect, then freeze what this process holds, as ``hanbao run`` does once started: the
    collector then walks only what the sweeps and the composing make (a daemon's start-up heap
    is about as large as this benchmark's after building its data)."""
    gc.collect()
    gc.freeze()


def settle(engine: Engine) -> None:
    """On PostgreSQL, vacuum and analyse the bulk-loaded history, as autovacuum will have done
    long before a deployment's 1 July: a sweep that meets ten years of rows just loaded spends
    more on them (their first reading, unanalysed plans) than on its own work."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")


def measure(name: str, url: str, config: Config, communes: int) -> dict[str, Any]:
    print(f"\n{name}: {normalise_url(url).split('@')[-1]}", flush=True)
    engine = make_engine(url)
    migrate.create(engine)
    (unit_rows, opened), open_s = timed(
        "units and the open year", lambda: open_year(engine, config, communes)
    )
    fresh = idle_sweeps(engine, config, "no history")
    closed, build_s = timed(
        "build ten years of history", lambda: history(engine, config, unit_rows)
    )
    counts = {**opened, **closed}
    print("  rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
    settle(engine)
    frozen_heap()
    idle = idle_sweeps(engine, config, "ten years of history")
    june16 = parse_datetime(f"16/06/{YEAR} 08:00")
    june, june_s = timed(
        f"sweep 16/06/{YEAR} 08:00 (before_10 for every unit)",
        lambda: sweep(engine, config, june16),
    )
    _, compose_june_s = timed(
        "compose 16/06 into the outbox", lambda: compose_all(engine, config, june16)
    )
    for moment in (f"25/06/{YEAR} 08:00", f"30/06/{YEAR} 08:00"):
        sweep(engine, config, parse_datetime(moment))
        compose_all(engine, config, parse_datetime(moment))
    july1 = parse_datetime(f"01/07/{YEAR} 08:00")
    july_label = f"sweep 01/07/{YEAR} 08:00 (overdue + late flag for every unit)"
    july, july_s = timed(july_label, lambda: sweep(engine, config, july1))
    july_cpu = CPU[july_label]
    mails, compose_s = timed(
        "compose 01/07 into the outbox", lambda: compose_all(engine, config, july1)
    )
    compose_cpu = CPU["compose 01/07 into the outbox"]  # this process's: on SQLite all of it
    left = uncomposed(engine)
    digest_at = parse_datetime(f"01/07/{YEAR} 08:30")  # every unit's six-monthly report late

    def compose_digests() -> int:
        with transaction(engine) as store:
            return digest(store, config, Renderer(config.mail.domain), digest_at)

    digests, digest_s = timed("the districts' digests of 01/07 08:30", compose_digests)
    digest_cpu = CPU["the districts' digests of 01/07 08:30"]
    print(
        f"  recorded: 16/06 {len(june):,} reminders; 01/07 {len(july):,} "
        f"({sum(e.late_flag for e in july):,} late flags), composed into {mails:,} mails "
        f"({left} steps left uncomposed)"
    )
    with engine.connect() as connection:
        explain = "EXPLAIN QUERY PLAN" if engine.dialect.name == "sqlite" else "EXPLAIN"
        plan = connection.execute(
            text(
                f"{explain} SELECT id FROM obligation WHERE next_action_at <= :now "
                "ORDER BY next_action_at LIMIT 500"
            ),
            {"now": "2027-06-15 00:00:00"},
        ).all()
    print("  due-work query plan: " + " | ".join(str(row[-1]) for row in plan))
    engine.dispose()
    return {
        "backend": name,
        "build_s": round(open_s + build_s, 1),
        "idle_sweep_ms": round(idle * 1000, 1),
        "june_16_sweep_s": round(june_s, 2),
        "july_1_sweep_s": round(july_s, 2),
        "july_1_reminders": len(july),
        # the names of issue 12
        "idle_ms": round(idle * 1000, 2),
        "idle_no_history_ms": round(fresh * 1000, 2),
        "history_ratio": round(idle / fresh, 2),
        "june16_s": round(june_s, 2),
        "june16_compose_s": round(compose_june_s, 2),
        "july1_s": round(july_s, 2),
        "july1_steps": len(july),
        "july1_late_flags": sum(e.late_flag for e in july),
        "july1_cpu_s": round(july_cpu, 2),
        "compose_s": round(compose_s, 2),
        "compose_cpu_s": round(compose_cpu, 2),
        "compose_mails": mails,
        "compose_left": left,
        "digest_s": round(digest_s, 2),
        "digest_cpu_s": round(digest_cpu, 2),
        "digest_mails": digests,
        **counts,
    }


if __name__ == "__main__":
    on_each_backend(__doc__.splitlines()[0], measure)
