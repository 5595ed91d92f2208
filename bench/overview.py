"""Leaders' overview benchmark at national scale, on SQLite and PostgreSQL. A script that prints
figures.

On bench/sweep.py's data (15,563 units: 63 provinces, 700 districts with 6 agencies each,
10,600 communes; ten closed years and the open year 2027), the morning after the six-monthly
deadline: on 02/07/2027 09:00 two communes or agencies in five submitted their six-monthly
report in the week before it, the others are overdue and the 1-July sweep has flagged them late.
It times ``GET /overview`` as a logged-in leader opens it, through the HTTP application
(``create_app``, in-process), for a province's leader (the goal: 500 ms), a district's leader
and an admin, who sees the whole country.

    python bench/overview.py                 # both backends (PostgreSQL from pgserver)
    python bench/overview.py --only sqlite   # or --only postgresql; --communes N to scale down
    python bench/overview.py --json          # one JSON line per backend
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, bindparam, select, update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pg import on_each_backend  # noqa: E402
from sweep import YEAR, build  # noqa: E402

from scheduler.clock import SimulatedClock  # noqa: E402
from scheduler.deadlines.vntime import parse_datetime  # noqa: E402
from scheduler.lifecycle.sweep import sweep  # noqa: E402
from scheduler.monitoring.health import Health  # noqa: E402
from scheduler.monitoring.metrics import Metrics  # noqa: E402
from scheduler.settings import Config  # noqa: E402
from scheduler.store import migrate  # noqa: E402
from scheduler.store.queries import transaction  # noqa: E402
from scheduler.store.schema import ObligationRow, make_engine, normalise_url  # noqa: E402
from scheduler.web.access import create_token  # noqa: E402
from scheduler.web.api import create_app  # noqa: E402

NOW = f"02/07/{YEAR} 09:00"
SWEPT = f"01/07/{YEAR} 08:00"
RUNS = 20
TARGET_MS = 500
VIEWERS = {
    "province": ("T00", "leader"),
    "district": ("H000", "leader"),
    "national": ("T00", "admin"),
}


def submit_some(engine: Engine) -> int:
    """Two six-monthly reports in five, submitted by link in the week before the deadline."""
    table = ObligationRow.metadata.tables["obligation"]
    rng = random.Random(702)
    with engine.begin() as connection:
        rows = connection.execute(
            select(table.c.id, table.c.due_at)
            .where(table.c.kind == "six_monthly", table.c.period == f"{YEAR}-H1")
            .order_by(table.c.id)
        ).all()
        chosen = [(i, due) for i, due in rows if rng.random() < 0.4]
        changes = []
        for obligation_id, due in chosen:
            at = due - timedelta(minutes=rng.randint(10, 7 * 24 * 60 - 10))
            changes.append({"oid": obligation_id, "at": at, "via": "link", "next": None})

        connection.execute(
            update(table)
            .where(table.c.id == bindparam("oid"))
            .values(
                submitted_at=bindparam("at"),
                submission_recorded_at=bindparam("at"),
                submitted_via=bindparam("via"),
                next_action_at=bindparam("next"),
            ),
            changes,
        )
    return len(chosen)


def timings(client: TestClient, runs: int) -> tuple[list[float], str]:
    """``runs`` times of ``GET /overview`` in milliseconds (after one to warm up), and the page."""
    page = client.get("/overview")
    assert page.status_code == 200, page.status_code
    times = []
    for _ in range(runs):
        begin = time.perf_counter()
        page = client.get("/overview")
        times.append((time.perf_counter() - begin) * 1000)
        assert page.status_code == 200
    return times, page.text


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1]


def measure(name: str, url: str, config: Config, communes: int) -> dict[str, Any]:
    print(f"\n{name}: {normalise_url(url).split('@')[-1]}", flush=True)
    engine = make_engine(url)
    migrate.create(engine)
    started = time.perf_counter()
    counts = build(engine, config, communes)
    submitted = submit_some(engine)
    print(
        f"  build: {time.perf_counter() - started:.1f} s; "
        + ", ".join(f"{k} {v:,}" for k, v in counts.items())
        + f"; six-monthly submitted {submitted:,}",
        flush=True,
    )
    started = time.perf_counter()
    flagged = sum(e.late_flag for e in sweep(engine, config, parse_datetime(SWEPT)))
    print(f"  sweep {SWEPT}: {time.perf_counter() - started:.1f} s, {flagged:,} late flags")
    now = parse_datetime(NOW)
    clock = SimulatedClock(now, anchor=time.time(), speed=0)
    cfg = replace(config, web=replace(config.web, signing_key=b"b" * 48))
    metrics = Metrics(engine, clock)
    app = create_app(engine, cfg, clock, metrics, Health(900))
    result: dict[str, Any] = {"backend": name}
    for viewer, (unit, role) in VIEWERS.items():
        with transaction(engine) as store:
            token = create_token(store, unit, role, f"bench {viewer}", now)[1]
        client = TestClient(app)
        assert client.post("/login", data={"token": token}).status_code == 200
        times, page = timings(client, RUNS)
        rows = page.count('class="obligation"')
        lines = page.count('class="parent-summary"')
        print(
            f"  /overview as the {viewer} {role} ({unit}): p50 {statistics.median(times):.0f} ms,"
            f" p95 {p95(times):.0f} ms, min {min(times):.0f} ms; {rows:,} rows, {lines:,} parents,"
            f" {len(page.encode()) / 1024:,.0f} KiB",
            flush=True,
        )
        prefix = "overview" if viewer == "province" else viewer
        result.update(
            {
                f"{prefix}_ms_p50": round(statistics.median(times), 1),
                f"{prefix}_ms_p95": round(p95(times), 1),
                f"{prefix}_ms_min": round(min(times), 1),
                f"{prefix}_rows": rows,
                f"{prefix}_parent_lines": lines,
                f"{prefix}_kib": round(len(page.encode()) / 1024, 1),
            }
        )
    metrics.close()
    engine.dispose()
    return {
        **result,
        "target_ms": TARGET_MS,
        "at": NOW,
        "runs": RUNS,
        "late_flags": flagged,
        "six_monthly_submitted": submitted,
        **counts,
    }


if __name__ == "__main__":
    on_each_backend(__doc__.splitlines()[0], measure)
