"""Peak memory and time of ``hanbao simulate --json`` over a national year. Prints JSON.

Builds bench/sweep.py's national data (units, ten closed years, the open year 2027) in a SQLite
file, then runs ``hanbao simulate --from 01/01/2027 --to 31/12/2027 --json`` in a child
process, twice, reading its peak resident memory from the kernel (``wait4``'s ``ru_maxrss``)
and hashing what it prints. ``--python`` runs another checkout's interpreter (its virtualenv,
where hanbao is installed from that checkout) on the same file, for a before/after.

    python bench/simulate.py --keep /tmp/national.sqlite3          # builds once, then reuses
    python bench/simulate.py --keep /tmp/national.sqlite3 --python ../main/.venv/bin/python
    python bench/simulate.py --communes 2000                        # smaller, quicker
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sweep import build  # noqa: E402

from scheduler.settings import load_config  # noqa: E402
from scheduler.store import migrate  # noqa: E402
from scheduler.store.schema import make_engine  # noqa: E402

SPAN = ("01/01/2027", "31/12/2027")


def prepare(path: Path, communes: int) -> None:
    if path.exists():
        return
    config = load_config(ROOT / "config" / "hanbao.yaml", "sqlite://")
    engine = make_engine(f"sqlite:///{path}")
    migrate.create(engine)
    started = time.perf_counter()
    counts = build(engine, config, communes)
    engine.dispose()
    print(f"built in {time.perf_counter() - started:.0f} s: {counts}", file=sys.stderr)


def run(url: str, python: str) -> dict[str, Any]:
    """One ``hanbao simulate --json`` in a child; its peak RSS, time and output."""
    command = [python, "-c", "from scheduler.cli import main; main()", "simulate"]
    command += ["--from", SPAN[0], "--to", SPAN[1], "--json", "--db", url]
    digest, size, started = hashlib.sha256(), 0, time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert child.stdout is not None
    while chunk := child.stdout.read(1 << 16):
        digest.update(chunk)
        size += len(chunk)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"simulate failed ({child.returncode})")
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),  # Linux: KiB
        "output_bytes": size,
        "output_sha256": digest.hexdigest()[:16],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=10_600)
    parser.add_argument("--keep", type=Path, help="the SQLite file: built when missing, reused")
    parser.add_argument("--python", default=sys.executable, help="the interpreter to run hanbao")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.keep or Path(folder) / "national.sqlite3"
        prepare(path, args.communes)
        runs = [run(f"sqlite:///{path}", args.python) for _ in range(args.runs)]
    result = {"database": str(path), "python": args.python, "runs": runs}
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
