"""Wall time of quick ``hanbao`` commands, and what importing the command line costs.

Builds a SQLite database with the sample data (the sample units, the periodic reports of a year,
a few cases), then runs ``hanbao calendar deadline …`` and ``hanbao status`` as a user would, as
subprocesses, several times each, and prints the fastest and the median wall time (the goal is
0.3 s each). It also prints the cumulative import time of ``scheduler.cli`` (``-X importtime``)
and which heavy libraries a quick command loads. A script that prints figures, not a test.

    python bench/cli.py            # 7 runs of each command
    python bench/cli.py --runs 15 --json
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "calendar deadline": ["calendar", "deadline", "04/02/2027", "--working-days", "5", "--json"],
    "status": ["status", "--json"],
}
HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "fastapi", "prometheus_client", "aiosmtplib")


def hanbao(args: list[str], env: dict[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *flags, "-m", "scheduler", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run: on a shared machine the CPU time
    says what the command costs, the wall time what the user waits."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    hanbao(args, env)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return elapsed, cpu


def loaded(args: list[str], env: dict[str, str]) -> tuple[list[str], float]:
    """The heavy libraries a command imports, and its whole import time in seconds."""
    lines = hanbao(args, env, "-X", "importtime").stderr.splitlines()
    found: set[str] = set()
    total = 0
    for line in lines:
        if not line.startswith("import time:") or "|" not in line:
            continue
        own, _, name = (part.strip() for part in line.removeprefix("import time:").split("|"))
        if own.isdigit():
            total += int(own)
            found.add(name.split(".")[0])
    return sorted(found & set(HEAVY)), total / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="JSON output")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "HANBAO_CONFIG": str(ROOT / "config" / "hanbao.yaml"),
            "HANBAO_DATABASE_URL": f"sqlite:///{folder}/cli.sqlite3",
        }
        hanbao(["init"], env)
        hanbao(["units", "import", str(ROOT / "config" / "units.sample.yaml")], env)
        hanbao(["periodic", "generate", "--year", "2027", "--as-of", "01/01/2027 08:00"], env)
        for n, unit in enumerate(("X01", "X02", "X03"), start=1):
            verified = ["--verified", "04/02/2027 15:00", "--as-of", "04/02/2027 16:00"]
            hanbao(["case", "open", f"VV-BENCH-{n}", "--unit", unit, *verified], env)
        results: dict[str, dict[str, Any]] = {}
        for name, command in COMMANDS.items():
            timed(command, env)  # the first run fills the file cache and writes the .pyc files
            runs = [timed(command, env) for _ in range(args.runs)]
            times, cpu = [w for w, _ in runs], [c for _, c in runs]
            heavy, imports = loaded(command, env)
            results[name] = {
                "fastest_s": round(min(times), 3),
                "median_s": round(statistics.median(times), 3),
                "cpu_median_s": round(statistics.median(cpu), 3),
                "imports_s": round(imports, 3),
                "heavy_libraries": heavy,
            }
    report = {"runs": args.runs, "goal_s": 0.3, "commands": results}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    for name, figures in results.items():
        print(
            f"hanbao {name:18} fastest {figures['fastest_s']:.3f} s  median "
            f"{figures['median_s']:.3f} s  cpu {figures['cpu_median_s']:.3f} s  "
            f"imports {figures['imports_s']:.3f} s  "
            f"loads {', '.join(figures['heavy_libraries']) or '-'}"
        )


if __name__ == "__main__":
    main()
