"""SMTP intake under a flood: N report mails in a row into a running ``hanbao run``.

Prepares a database with the sample district, 240 open cases and the year's periodic
obligations, starts the daemon as a subprocess with the SMTP intake on loopback and its sweep
every second, then sends N real mails over SMTP (a mix: case reports, periodic reports by their
phrasing, and mail that matches nothing) on a few connections at once. While the flood lasts it
scrapes ``/healthz`` and ``/metrics`` four times a second. Prints one JSON object: mails per
second, what came of them, the longest gap between two successful sweeps, and ``/healthz``'s
latency. A script that prints figures, not a test.

    python bench/intake.py                      # 10,000 mails, SQLite
    python bench/intake.py --postgresql         # the same on PostgreSQL (pgserver)
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from statistics import quantiles
from typing import Any

import yaml
from aiosmtpd.controller import Controller

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pg import postgres  # noqa: E402

from scheduler.deadlines.vntime import VN_TZ  # noqa: E402
from scheduler.hierarchy.files import read_rows  # noqa: E402
from scheduler.hierarchy.units import check_units  # noqa: E402
from scheduler.lifecycle import ledger  # noqa: E402
from scheduler.settings import load_config  # noqa: E402
from scheduler.store import migrate  # noqa: E402
from scheduler.store.queries import transaction  # noqa: E402
from scheduler.store.schema import make_engine  # noqa: E402

INTAKE = "baocao@huyenmau.tinhmau.example"
WIRE = policy.SMTP.clone(max_line_length=998)
ATTACHMENT = int(os.environ.get("BENCH_ATTACHMENT", "20000"))
COMMUNES = [f"X{n:02d}" for n in range(1, 13)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Counting:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 OK"


def prepare(url: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The sample district, 240 open cases, the year's periodic obligations; returns each
    commune's officer and the (case code, commune) pairs."""
    config = load_config(ROOT / "config" / "hanbao.yaml", url)
    engine = make_engine(url)
    migrate.create(engine)
    now = datetime.now(VN_TZ)
    with transaction(engine) as store:
        sample = ROOT / "config" / "units.sample.yaml"
        units = check_units(
            read_rows(sample),
            str(sample),
            existing={},
            rules=config.rules,
            allowed_domains=config.allowed_domains,
        )
        store.save_units(units, now.date())
        ledger.generate_periodic(store, config, now.year, now, "bench")
        cases = []
        for n in range(240):
            commune = COMMUNES[n % len(COMMUNES)]
            code = f"VV-BENCH-{n:04d}"
            ledger.open_case(
                store, config, code, commune, "xam_hai", now - timedelta(hours=1), now, "bench"
            )
            cases.append((code, commune))
    by_code = {unit.code: unit for unit in units}
    officers = {code: by_code[code].addresses("officer")[0] for code in COMMUNES}
    engine.dispose()
    return officers, cases


def mails(n: int, officers: dict[str, str], cases: list[tuple[str, str]]) -> list[bytes]:
    """N raw messages, CRLF as on the wire: a third case reports, a third periodic reports,
    a third mail that matches nothing; each with its own Message-ID and a 20 KB attachment."""
    chooser = random.Random(7)
    year = date.today().year
    out = []
    for i in range(n):
        message = EmailMessage()
        choice = i % 3
        if choice == 0:
            code, commune = chooser.choice(cases)
            subject = f"[KHẨN] Báo cáo vụ việc {code}"
        elif choice == 1:
            commune = chooser.choice(COMMUNES)
            subject = f"Báo cáo 6 tháng đầu năm {year}"
        else:
            commune = chooser.choice(COMMUNES)
            subject = f"Giấy mời họp giao ban số {i}"
        message["From"] = officers[commune]
        message["To"] = INTAKE
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(idstring=str(i), domain="bench.example")
        message.set_content("Nội dung báo cáo (không được lưu).")
        message.add_attachment(bytes(ATTACHMENT), maintype="application", subtype="pdf")
        out.append(message.as_bytes(policy=WIRE))
    return out


def send(port: int, batch: list[bytes]) -> None:
    """One connection, as the district's mail server forwarding mail one after another."""
    with smtplib.SMTP("127.0.0.1", port, timeout=120) as client:
        assert client.sock is not None  # as mail servers do: no Nagle delay on the last segment
        client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for raw in batch:
            client.sendmail("relay@huyenmau.tinhmau.example", [INTAKE], raw)


def scrape(port: int, path: str) -> tuple[int, str, float]:
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as response:
            body = response.read().decode()
            status = response.status
    except OSError as error:
        body, status = str(error), 0
    return status, body, time.perf_counter() - started


@contextmanager
def running_daemon(folder: Path, url: str, http_port: int, intake_port: int) -> Iterator[None]:
    sink_port = free_port()
    sink = Controller(Counting(), hostname="127.0.0.1", port=sink_port)
    sink.start()
    settings = {
        "database_url": url,
        "rules": str(ROOT / "config" / "rules.yaml"),
        "calendar_overrides": str(ROOT / "config" / "calendar-overrides.yaml"),
        "allowed_domains": ["tinhmau.example", "*.tinhmau.example"],
        "smtp": {"host": "127.0.0.1", "port": sink_port, "security": "none"},
        "mail": {"from": "Nhắc hạn <nhac-han@huyenmau.tinhmau.example>", "rate_per_minute": 6000},
        "daemon": {"sweep_seconds": 1, "deliver_seconds": 1, "http_port": http_port},
        "intake": {"addresses": [INTAKE], "smtp": {"enabled": True, "port": intake_port}},
    }
    path = folder / "hanbao.yaml"
    path.write_text(yaml.safe_dump(settings, allow_unicode=True), encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "scheduler", "run"],
        env={**os.environ, "HANBAO_CONFIG": str(path)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while scrape(http_port, "/healthz")[0] != 200:
            if time.monotonic() > deadline or process.poll() is not None:
                raise SystemExit("the daemon did not start")
            time.sleep(0.1)  # polling a condition, with a deadline
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
        sink.stop()


def sweep_success(metrics: str) -> float | None:
    match = re.search(
        r'^hanbao_job_last_success_timestamp_seconds\{task="sweep"\} (\S+)$', metrics, re.M
    )
    return float(match.group(1)) if match else None


def outcomes(metrics: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for outcome, value in re.findall(
        r'^hanbao_intake_mails_total\{outcome="(\w+)",source="smtp"\} (\S+)$', metrics, re.M
    ):
        if float(value):
            found[outcome] = int(float(value))
    return found


def measure(backend: str, url: str, n: int, connections: int) -> dict[str, Any]:
    officers, cases = prepare(url)
    raws = mails(n, officers, cases)
    http_port, intake_port = free_port(), free_port()
    with (
        tempfile.TemporaryDirectory() as folder,
        running_daemon(Path(folder), url, http_port, intake_port),
    ):
        latencies: list[float] = []
        sweeps: set[float] = set()
        flooding = threading.Event()
        flooding.set()

        def watch() -> None:
            while flooding.is_set():
                _, _, seconds = scrape(http_port, "/healthz")
                latencies.append(seconds)
                moment = sweep_success(scrape(http_port, "/metrics")[1])
                if moment:
                    sweeps.add(moment)
                time.sleep(0.25)  # the sampling period of a watcher, not a wait for a result

        watcher = threading.Thread(target=watch)
        watcher.start()
        started = time.perf_counter()
        senders = [
            threading.Thread(target=send, args=(intake_port, raws[i::connections]))
            for i in range(connections)
        ]
        for thread in senders:
            thread.start()
        for thread in senders:
            thread.join()
        seconds = time.perf_counter() - started
        flooding.clear()
        watcher.join()
        final = scrape(http_port, "/metrics")[1]
    ordered = sorted(sweeps)
    gaps = [b - a for a, b in itertools.pairwise(ordered)]
    return {
        "backend": backend,
        "mails": n,
        "connections": connections,
        "seconds": round(seconds, 2),
        "mails_per_s": round(n / seconds, 1),
        "outcomes": outcomes(final),
        "sweep_interval_s": 1,
        "sweeps_during_flood": len(ordered),
        "sweep_max_gap_s": round(max(gaps), 2) if gaps else None,
        "healthz_p95_ms": round(quantiles(latencies, n=20)[18] * 1000, 1)
        if len(latencies) >= 2
        else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--postgresql", action="store_true")
    args = parser.parse_args()
    if args.postgresql:
        with postgres() as url:
            result = measure("postgresql", url, args.mails, args.connections)
    else:
        with tempfile.TemporaryDirectory() as folder:
            result = measure(
                "sqlite", f"sqlite:///{folder}/bench.sqlite3", args.mails, args.connections
            )
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
