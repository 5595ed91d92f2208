"""The 1-July wave through the mail path, on bench/sweep.py's national data. Prints JSON.

Builds the national data of bench/sweep.py, sweeps up to 1 July 2027 (what the June sweeps
recorded is composed and marked sent, as a daemon would have done), then measures:
- ``compose_s``: composing the wave into the outbox, slice after slice, as the mail job does;
- ``messages_per_s``: the real ``deliver()`` path (claims, checks, the shipped sender's
  headers, SMTP, outcomes) sending ``--sample`` messages of the wave to an aiosmtpd sink that
  runs in its own process, over ``--connections``; ``cpu_ms_per_message``: this process's CPU;
- ``urgent_latency_s``: with the rest of the wave queued and the relay throttled to ``--rate``
  messages a minute, the time from a case opened (recorded and swept, as the API does) to its
  [KHẨN] notice arriving at a sink, while the mail job drains the backlog.

    python bench/wave.py [--only sqlite|postgresql] [--communes 2000 --rate 120 --throughput-only]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import Engine, func, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pg import postgres  # noqa: E402
from sweep import build, compose_all, frozen_heap  # noqa: E402

from scheduler.clock import SimulatedClock  # noqa: E402
from scheduler.deadlines.vntime import parse_datetime  # noqa: E402
from scheduler.lifecycle import ledger  # noqa: E402
from scheduler.lifecycle.sweep import sweep  # noqa: E402
from scheduler.mail.deliver import deliver, queue  # noqa: E402
from scheduler.mail.render import Renderer  # noqa: E402
from scheduler.mail.settings import SmtpSettings  # noqa: E402
from scheduler.settings import Config, load_config  # noqa: E402
from scheduler.store import migrate  # noqa: E402
from scheduler.store.queries import transaction  # noqa: E402
from scheduler.store.schema import MessageRow, make_engine, normalise_url  # noqa: E402

WAVE = parse_datetime("01/07/2027 08:00")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def relay(config: Config, port: int, rate: int) -> Config:
    smtp = SmtpSettings(host="127.0.0.1", port=port, security="none", timeout=30)
    return replace(config, smtp=smtp, mail=replace(config.mail, rate_per_minute=rate))


def outbox_count(engine: Engine, state: str) -> int:
    with engine.connect() as connection:
        query = text("SELECT count(*) FROM message WHERE state = :s")
        return int(connection.execute(query, {"s": state}).scalar() or 0)


def throughput(engine: Engine, config: Config, sample: int) -> tuple[float, float]:
    """Messages/s of ``deliver()`` to a sink in its own process, and CPU ms a message."""
    if engine.dialect.name == "postgresql":  # analysed, as autovacuum would have done by then
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))
    port = free_port()
    command = ["-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"]
    sink = subprocess.Popen(
        [sys.executable, *command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:  # the sink is up when it accepts a connection
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
        fast = relay(config, port, 1_000_000)
        clock = SimulatedClock(WAVE, anchor=0, speed=0)

        async def run() -> tuple[int, float]:
            stopping, sent = asyncio.Event(), 0

            def heard(outcome: str) -> None:
                nonlocal sent
                sent += outcome == "sent"
                if sent >= sample:
                    stopping.set()

            started = time.perf_counter()
            await deliver(engine, fast, clock.now, stopping=stopping, on_outcome=heard)
            return sent, time.perf_counter() - started

        cpu = time.process_time()
        sent, seconds = asyncio.run(run())
        return sent / seconds, (time.process_time() - cpu) * 1000 / sent
    finally:
        sink.terminate()
        sink.wait(timeout=10)


class Arrivals:
    """An in-process sink that notes when each subject arrives."""

    def __init__(self) -> None:
        self.subjects: list[tuple[float, str]] = []
        self.condition = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        import email
        import email.policy

        subject = str(
            email.message_from_bytes(envelope.content, policy=email.policy.default)["Subject"]
        )
        with self.condition:
            self.subjects.append((time.monotonic(), subject))
            self.condition.notify_all()
        return "250 OK"


def urgent_latency(engine: Engine, config: Config, rate: int, code: str) -> dict[str, Any]:
    """Seconds from a case opened to its notice at the relay, the mail job draining a backlog."""
    handler, port = Arrivals(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    throttled = relay(config, port, rate)
    clock = SimulatedClock(WAVE.replace(minute=5), anchor=0, speed=0)
    renderer = Renderer(config.mail.domain)
    backlog = outbox_count(engine, "pending")
    commune = _a_commune(engine)

    async def run() -> float:
        stopping = asyncio.Event()

        async def compose() -> int:
            return await asyncio.to_thread(queue, engine, throttled, renderer, clock.now())

        job = asyncio.create_task(
            deliver(engine, throttled, clock.now, stopping=stopping, prepare=compose)
        )

        def arrived(n: int) -> bool:
            with handler.condition:
                return handler.condition.wait_for(lambda: len(handler.subjects) >= n, 120)

        await asyncio.to_thread(arrived, 3)  # the drain is under way

        def open_and_sweep() -> float:
            opened = time.monotonic()
            with transaction(engine) as store:
                ledger.open_case(
                    store, throttled, code, commune, "xam_hai", clock.now(), clock.now(), "bench"
                )
            sweep(engine, throttled, clock.now())
            return opened

        opened = await asyncio.to_thread(open_and_sweep)

        def notice() -> float:
            with handler.condition:
                handler.condition.wait_for(lambda: any(code in s for _, s in handler.subjects), 600)
                return next(t for t, s in handler.subjects if code in s)

        at = await asyncio.to_thread(notice)
        stopping.set()
        await job
        return at - opened

    try:
        latency = asyncio.run(run())
    finally:
        controller.stop()
    return {"backlog": backlog, "rate_per_minute": rate, "urgent_latency_s": round(latency, 2)}


def top_up(engine: Engine, backlog: int) -> None:
    """Fill the outbox up to ``backlog`` waiting messages with copies of a queued one (a smaller
    ``--communes`` still measures the claim under a national-size queue)."""
    table = MessageRow.metadata.tables["message"]
    with engine.begin() as connection:
        waiting = connection.execute(
            select(func.count()).select_from(table).where(table.c.state == "pending")
        ).scalar_one()
        model = (
            connection.execute(select(table).where(table.c.state == "pending").limit(1))
            .mappings()
            .one()
        )
        rows = [
            {
                **{k: v for k, v in model.items() if k != "id"},
                "key": f"{model['key']}:fill:{n}",
                "message_id": f"<fill.{n}.{model['message_id'].strip('<>')}>",
            }
            for n in range(max(0, backlog - waiting))
        ]
        for start in range(0, len(rows), 5_000):
            connection.execute(insert(table), rows[start : start + 5_000])


def _a_commune(engine: Engine) -> str:
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT code FROM unit WHERE kind = 'commune' ORDER BY code LIMIT 1")
        )
        return str(found.scalar())


def measure(name: str, url: str, config: Config, args: argparse.Namespace) -> dict[str, Any]:
    print(f"\n{name}: {normalise_url(url).split('@')[-1]}", flush=True)
    engine = make_engine(url)
    migrate.create(engine)
    build(engine, config, args.communes)
    sweep(engine, config, parse_datetime("15/06/2027 07:00"))
    for moment in ("16/06/2027 08:00", "25/06/2027 08:00", "30/06/2027 08:00"):
        sweep(engine, config, parse_datetime(moment))
        compose_all(engine, config, parse_datetime(moment))
        with engine.begin() as connection:  # a daemon sent them in June
            connection.execute(text("UPDATE message SET state = 'sent' WHERE state = 'pending'"))
    recorded = len(sweep(engine, config, WAVE))
    frozen_heap()
    started = time.perf_counter()
    queued = compose_all(engine, config, WAVE)
    compose_s = time.perf_counter() - started
    print(f"  wave: {recorded:,} reminders -> {queued:,} messages in {compose_s:.2f} s", flush=True)
    rate, cpu = throughput(engine, config, args.sample)
    print(f"  deliver(): {rate:.0f} messages/s, {cpu:.2f} ms of CPU a message", flush=True)
    latency = []
    if not args.throughput_only:
        top_up(engine, args.backlog)
        latency = [urgent_latency(engine, config, args.rate, f"VV-WAVE-{n}") for n in range(2)]
        print(f"  urgent notice: {latency}", flush=True)
    engine.dispose()
    return {
        "backend": name,
        "communes": args.communes,
        "wave_reminders": recorded,
        "wave_messages": queued,
        "compose_s": round(compose_s, 2),
        "sender": config.mail.sender,
        "sample": args.sample,
        "connections": config.mail.connections,
        "messages_per_s": round(rate, 1),
        "cpu_ms_per_message": round(cpu, 2),
        "urgent": latency,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--communes", type=int, default=10_600)
    parser.add_argument("--sample", type=int, default=3_000, help="messages sent for the rate")
    parser.add_argument("--rate", type=int, default=120, help="the throttled relay, per minute")
    parser.add_argument("--backlog", type=int, default=30_000, help="messages queued, at least")
    parser.add_argument("--connections", type=int, help="mail.connections (the settings' if not)")
    parser.add_argument("--throughput-only", action="store_true", help="no urgent notice")
    args = parser.parse_args()
    config = load_config(ROOT / "config" / "hanbao.yaml", "sqlite://")
    if args.connections:
        config = replace(config, mail=replace(config.mail, connections=args.connections))
    results = []
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            results.append(measure("SQLite", f"sqlite:///{folder}/wave.sqlite3", config, args))
    if args.only in (None, "postgresql"):
        with postgres() as url:
            results.append(measure("PostgreSQL", url, config, args))
    print("\n" + json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
