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
SPAN = ("01/01/2027", "31/12/2027")


def prepare(path: Path, communes: int) -> None:
    """Build the data in a child process, or bring a file built by an earlier checkout to this
    one's schema (``migrate.upgrade``): a child's peak RSS counts its parent's memory at the
    fork (Linux keeps the high-water mark across exec), so the measuring process stays small."""
    subprocess.run(
        [sys.executable, __file__, "--build", str(path), "--communes", str(communes)], check=True
    )


def build_database(path: Path, communes: int) -> None:
    sys.path[:0] = [str(ROOT), str(ROOT / "bench")]
    from sweep import build

    from scheduler.settings import load_config
    from scheduler.store import migrate
    from scheduler.store.schema import make_engine

    config = load_config(ROOT / "config" / "hanbao.yaml", "sqlite://")
    engine = make_engine(f"sqlite:///{path}")
    if path.exists():
        migrate.upgrade(engine)  # at once when it is at this checkout's head already
        engine.dispose()
        return
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
    # from "/", so that ``-c`` does not put this checkout's scheduler/ first on the path
    child = subprocess.Popen(command, cwd="/", stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
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
    parser.add_argument("--build", type=Path, help=argparse.SUPPRESS)  # prepare()'s child
    args = parser.parse_args()
    if args.build:
        build_database(args.build, args.communes)
        return
    with tempfile.TemporaryDirectory() as folder:
        path = args.keep or Path(folder) / "national.sqlite3"
        prepare(path, args.communes)
        runs = [run(f"sqlite:///{path}", args.python) for _ in range(args.runs)]
    result = {"database": str(path), "python": args.python, "runs": runs}
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
