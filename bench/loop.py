"""The daemon's event loop under load, at national scale: /metrics, and /healthz while a scrape
is built or while another process holds SQLite's write lock; SIGTERM in both.

Builds bench/sweep.py's national data (15,563 units, ten closed years, the open year 2027: 33,800
open obligations), then runs ``hanbao run`` from each source tree given (this checkout, and e.g.
a checkout of main with ``--compare``), in turn on the same data, its clock at 15/06/2027
07:00, every step due by then recorded and every reminder counted as mailed (the jobs at start
have nothing to send: ``quiet_mail``), and measures:

- ``scrape_first_s``, ``scrape_s`` (min / median / max of 10): /metrics, the first and then
  back to back;
- ``healthz_during_scrapes_max_s``: /healthz asked every 20 ms while a client scrapes back to
  back for 10 s;
- ``healthz_under_lock_max_s`` (SQLite): /healthz while this script holds the write lock for
  5 s and 48 API writes wait on it; ``sigterm_noticed_s``: SIGTERM at 3 s into the lock, until
  the daemon logs ``action=stopping``; ``exit_after_lock_s``: from the lock's end to its exit.

    python bench/loop.py                                   # this checkout, SQLite
    python bench/loop.py --compare /path/to/main-checkout  # and another tree, side by side
    python bench/loop.py --backend postgresql --communes 2000

Prints one JSON object per tree and backend.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pg import postgres  # noqa: E402
from sqlalchemy import Engine, update  # noqa: E402
from sweep import build  # noqa: E402

from scheduler.deadlines.vntime import parse_datetime  # noqa: E402
from scheduler.lifecycle.sweep import sweep  # noqa: E402
from scheduler.settings import Config, load_config  # noqa: E402
from scheduler.store import migrate  # noqa: E402
from scheduler.store.queries import transaction  # noqa: E402
from scheduler.store.schema import ReminderRow, make_engine  # noqa: E402
from scheduler.web.access import create_token  # noqa: E402

CLOCK = "15/06/2027 07:00"
IDLE = {f"{job}_seconds": 3600 for job in ("sweep", "deliver", "digest", "periodic")}


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(port: int, path: str, timeout: float = 120) -> tuple[int, bytes, float]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as answer:
            status, body = answer.status, answer.read()
    except urllib.error.HTTPError as error:
        status, body = error.code, error.read()
    except OSError:  # timed out, or the daemon has gone
        status, body = 0, b""
    return status, body, time.perf_counter() - started


class Daemon:
    def __init__(self, source: Path, settings: Path) -> None:
        env = {
            **os.environ,
            "HANBAO_CONFIG": str(settings),
            "HANBAO_CLOCK": f"start={CLOCK};speed=0",
            "PYTHONPATH": str(source),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "scheduler", "run"],
            env=env,
            cwd=source,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[tuple[float, str]] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append((time.monotonic(), line))

    def logged(self, fragment: str, timeout: float) -> float | None:
        """When (monotonic) a line with ``fragment`` was read, waiting up to ``timeout``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for when, line in self.lines:
                if fragment in line:
                    return when
            time.sleep(0.01)
        return None

    def settle(self, port: int) -> None:
        """Until the jobs that ran at start are done: /healthz fast five times in a row."""
        assert self.logged("action=started", 300), "".join(line for _, line in self.lines)
        fast, deadline = 0, time.monotonic() + 600
        while fast < 5 and time.monotonic() < deadline:
            fast = fast + 1 if get(port, "/healthz")[2] < 0.05 else 0
            time.sleep(0.1)

    def end(self) -> int:
        self.process.terminate()
        code = self.process.wait(timeout=120)
        self.reader.join(timeout=10)
        return code


def settings_file(folder: Path, url: str, port: int) -> Path:
    document = {
        "database_url": url,
        "rules": str(ROOT / "config" / "rules.yaml"),
        "calendar_overrides": str(ROOT / "config" / "calendar-overrides.yaml"),
        "allowed_domains": ["bench.tinhmau.example", "*.bench.tinhmau.example"],
        "smtp": {"host": "127.0.0.1", "port": free_port(), "security": "none"},
        "mail": {"from": "Nhắc hạn <nhac-han@bench.tinhmau.example>"},
        "daemon": {**IDLE, "http_port": port},
    }
    path = folder / "hanbao.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def scrapes(port: int) -> dict[str, Any]:
    _, text, first = get(port, "/metrics")
    times = [get(port, "/metrics")[2] for _ in range(10)]
    ending = time.monotonic() + 10
    healthz: list[float] = []
    scraping = threading.Thread(
        target=lambda: [get(port, "/metrics") for _ in iter(lambda: time.monotonic() < ending, 0)]
    )
    scraping.start()
    while scraping.is_alive():
        healthz.append(get(port, "/healthz")[2])
        time.sleep(0.02)
    return {
        "series": text.count(b"\nhanbao_obligations_open{"),
        "scrape_first_s": round(first, 3),
        "scrape_s": [
            round(min(times), 3),
            round(statistics.median(times), 3),
            round(max(times), 3),
        ],
        "healthz_during_scrapes_max_s": round(max(healthz), 3),
        "healthz_during_scrapes_p50_s": round(statistics.median(healthz), 3),
    }


def under_lock(daemon: Daemon, port: int, path: Path, token: str) -> dict[str, Any]:
    def adhoc(n: int) -> int:
        body = {"unit": "X00000", "reference": f"CV-{n}", "due": "30/06/2027", "requested_by": "x"}
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/adhoc",
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=120) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return 0

    lock = sqlite3.connect(path, isolation_level=None, timeout=600)  # a job may be writing
    lock.execute("BEGIN IMMEDIATE")
    lock.execute("INSERT INTO meta (key, value) VALUES ('bench-lock', 'x')")
    locked = time.monotonic()
    print(f"{locked:.2f} locked", file=sys.stderr)
    pool = ThreadPoolExecutor(48)
    calls = [pool.submit(adhoc, n) for n in range(48)]
    healthz: list[float] = []
    signalled = None
    while time.monotonic() - locked < 5:
        healthz.append(get(port, "/healthz", timeout=30)[2])
        if signalled is None and time.monotonic() - locked >= 3:
            daemon.process.terminate()
            signalled = time.monotonic()
        time.sleep(0.02)
    lock.execute("ROLLBACK")
    lock.close()
    released = time.monotonic()
    stopping = daemon.logged("action=stopping", 120)
    code = daemon.process.wait(timeout=120)
    exited = time.monotonic()
    pool.shutdown()
    return {
        "healthz_under_lock_max_s": round(max(healthz), 3),
        "healthz_under_lock_answers": len(healthz),
        "sigterm_noticed_s": round(stopping - signalled, 3) if stopping and signalled else None,
        "exit_after_lock_s": round(exited - released, 3),
        "exit_code": code,
        "api_calls": sorted({c.result() for c in calls}),
    }


def quiet_mail(engine: Engine, config: Config) -> None:
    """Every step due by ``CLOCK`` recorded, and every reminder counted as mailed (the history
    went out at the time): the daemon starts with no mail to send, so what is measured is the
    HTTP side. (Sending hundreds of retries records each on the event loop, which is the
    deliver path's own change, issue 15.)"""
    sweep(engine, config, parse_datetime(CLOCK))
    with engine.begin() as connection:
        connection.execute(
            update(ReminderRow)
            .where(ReminderRow.composed_at.is_(None))  # type: ignore[union-attr]
            .values(composed_at=parse_datetime(CLOCK))
        )


def measure(source: Path, url: str, folder: Path, token: str) -> dict[str, Any]:
    port = free_port()
    daemon = Daemon(source, settings_file(folder, url, port))
    try:
        daemon.settle(port)
        result = {"source": str(source), **scrapes(port)}
        if url.startswith("sqlite"):
            result.update(under_lock(daemon, port, Path(url.split("///", 1)[1]), token))
    finally:
        if daemon.process.poll() is None:
            daemon.end()
        for when, line in daemon.lines:
            if "apscheduler" not in line:
                print(f"{when:.2f} {line.rstrip()[:300]}", file=sys.stderr)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", type=Path, action="append", default=[])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--communes", type=int, default=10_600)
    parser.add_argument(
        "--data", type=Path, help="SQLite: keep the built data in this file, or reuse it if there"
    )
    args = parser.parse_args()
    config = load_config(ROOT / "config" / "hanbao.yaml", "sqlite://")
    sources = [ROOT, *(p.resolve() for p in args.compare)]
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        if args.backend == "sqlite":
            built = args.data or folder / "built.sqlite3"
            url = f"sqlite:///{built}"
        else:
            pg = postgres()
            url = pg.__enter__()
        engine = make_engine(url)
        if not (args.data and args.data.exists()):
            migrate.create(engine)
            started = time.perf_counter()
            counts = build(engine, config, args.communes)
            print(f"built in {time.perf_counter() - started:.0f} s: {counts}", file=sys.stderr)
        quiet_mail(engine, config)
        with transaction(engine) as store:
            token = create_token(store, "H000", "supervisor", "bench", parse_datetime(CLOCK))[1]
        if args.backend == "sqlite":
            with engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()
        for source in sources:
            if args.backend == "sqlite":
                run = folder / "run.sqlite3"
                shutil.copyfile(built, run)
                used = f"sqlite:///{run}"
            else:
                used = url
            result = measure(source, used, folder, token)
            print(json.dumps({"backend": args.backend, **result}), flush=True)
        if args.backend == "postgresql":
            pg.__exit__(None, None, None)


if __name__ == "__main__":
    main()
