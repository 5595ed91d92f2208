"""Timeliness benchmark at national scale, on SQLite and PostgreSQL. A script that prints figures.

On bench/sweep.py's data (about 10,600 communes under 700 districts in 63 provinces, 6 agencies
each: 15,563 units; ten years of history, 2017-2026, and the open year 2027), times the leaders'
table for one year, every unit, rolled up: the one query, the attribution (who answered, parents
then, working days late) and the table, as ``hanbao report timeliness`` and
``GET /api/timeliness`` run them. The target is 2 s on each backend.

    python bench/timeliness.py                 # both backends (PostgreSQL from pgserver)
    python bench/timeliness.py --only sqlite   # or --only postgresql; --communes N to scale down
"""

from __future__ import annotations

import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pg import on_each_backend  # noqa: E402
from sweep import build  # noqa: E402

from scheduler.deadlines.vntime import parse_datetime  # noqa: E402
from scheduler.reports import timeliness  # noqa: E402
from scheduler.settings import Config  # noqa: E402
from scheduler.store import migrate  # noqa: E402
from scheduler.store.queries import transaction  # noqa: E402
from scheduler.store.schema import make_engine, normalise_url  # noqa: E402

FIRST, LAST = date(2026, 1, 1), date(2026, 12, 31)
NOW = "01/07/2027 08:00"
RUNS = 5


def measure(name: str, url: str, config: Config, communes: int) -> dict[str, Any]:
    print(f"\n{name}: {normalise_url(url).split('@')[-1]}", flush=True)
    engine = make_engine(url)
    migrate.create(engine)
    started = time.perf_counter()
    counts = build(engine, config, communes)
    print(
        f"  build: {time.perf_counter() - started:.1f} s; "
        + ", ".join(f"{k} {v:,}" for k, v in counts.items()),
        flush=True,
    )
    now = parse_datetime(NOW)
    totals, reads, tables = [], [], []
    rows: list[timeliness.Row] = []
    facts: list[timeliness.Fact] = []
    for _ in range(RUNS):
        begin = time.perf_counter()
        with transaction(engine) as store:
            facts, _units = timeliness.read(store, config.calendar, FIRST, LAST, now)
        read = time.perf_counter()
        rows = timeliness.table(facts)
        done = time.perf_counter()
        reads.append(read - begin)
        tables.append(done - read)
        totals.append(done - begin)
        print(
            f"  a year's table: {done - begin:.3f} s (query and attribution {read - begin:.3f} s,"
            f" table {done - read:.3f} s)",
            flush=True,
        )
    engine.dispose()
    return {
        "backend": name,
        "span": f"{FIRST:%d/%m/%Y}-{LAST:%d/%m/%Y}",
        "reports": len(facts),
        "rows": len(rows),
        "rollup_rows": sum(r.level == "rollup" for r in rows),
        "table_s_min": round(min(totals), 3),
        "table_s_median": round(statistics.median(totals), 3),
        "read_s_median": round(statistics.median(reads), 3),
        "compute_s_median": round(statistics.median(tables), 3),
        "target_s": 2.0,
        "units": counts["units"],
        "obligations_stored": counts["closed obligations"] + counts["open obligations"],
    }


if __name__ == "__main__":
    on_each_backend(__doc__.splitlines()[0], measure)
