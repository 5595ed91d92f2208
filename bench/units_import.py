"""Peak memory and time of ``hanbao units import`` on a national-size units file.

Writes a CSV of ``--rows`` units (a province, 700 districts, communes with an officer and a
leader each), then imports it twice into a fresh SQLite database with the real command, each in
its own process: the first import, and a re-import of the same file (every unit restated). The
peak resident memory of each process is read from the kernel. Prints JSON. A script that prints
figures, not a test.

    python bench/units_import.py               # 200,000 rows
    python bench/units_import.py --rows 50000
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DISTRICTS = 700


def write_units(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["code", "name", "kind", "parent", "email", "officer", "leader", "supervisor"])
        out.writerow(
            ["T01", "UBND tỉnh", "province", "", "vt@tinhmau.example", "", "ld@tinhmau.example",
             "soyte@tinhmau.example"]
        )  # fmt: skip
        for d in range(DISTRICTS):
            domain = f"h{d}.tinhmau.example"
            out.writerow(
                [f"H{d:03d}", f"UBND huyện {d}", "district", "T01", f"vt@{domain}", "",
                 f"ct@{domain}", f"ldtbxh@{domain}"]
            )  # fmt: skip
        for n in range(rows - DISTRICTS - 1):
            domain = f"x{n}.h{n % DISTRICTS}.tinhmau.example"
            out.writerow(
                [f"X{n:06d}", f"UBND xã {n}", "commune", f"H{n % DISTRICTS:03d}",
                 f"ubnd@{domain}", f"cb@{domain}", f"ct@{domain}", ""]
            )  # fmt: skip


def hanbao(*args: str, db: str) -> tuple[float, float]:
    """Run one command in its own process: (seconds, peak resident MiB of that process)."""
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "scheduler", *args, "--db", db, "--json"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        said = child.stderr.read() if child.stderr else ""
        raise SystemExit(f"hanbao {' '.join(args)} failed: {said}")
    return seconds, usage.ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory() as folder:
        units, db = Path(folder) / "units.csv", f"sqlite:///{folder}/bench.sqlite3"
        write_units(units, rows)
        size = units.stat().st_size / 2**20
        hanbao("init", db=db)
        first = hanbao("units", "import", str(units), db=db)
        again = hanbao("units", "import", str(units), db=db)
        baseline = hanbao("calendar", "days", "2027", db=db)
    print(
        json.dumps(
            {
                "rows": rows,
                "file_mib": round(size, 1),
                "import": {"seconds": round(first[0], 1), "peak_rss_mib": round(first[1])},
                "reimport": {"seconds": round(again[0], 1), "peak_rss_mib": round(again[1])},
                "bare_command_peak_rss_mib": round(baseline[1]),
                "goal_peak_rss_mib": 300,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
