"""Replicas: ``hanbao run`` three times on one PostgreSQL database (issue 10).

Three daemons share a few thousand mails. A standby is killed with SIGKILL in the middle of
the first wave, the leader in the middle of the second; one daemon is started again, as
systemd would, and in the middle of the third wave the two that run are stopped with SIGTERM.

What must hold: every message arrives; a message arrives twice only with the same Message-ID
and the same text, and only when it was in flight at a kill (one per kill at most: a daemon has
one connection); SIGTERM leaves nothing 'sending' and frees the lead at once (the test then
sends what is left, as the next daemon would); the digest goes out once per district and
working day, queued only by the daemon leading at the time; a standby takes the lead within
moments of the leader's death and sends the next digest. The figures are printed.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from scheduler.clock import clock_from
from scheduler.deadlines.vntime import fmt_date, parse_date
from scheduler.lifecycle import ledger
from scheduler.mail.deliver import deliver
from scheduler.settings import Config
from scheduler.store.leader import AdvisoryLock
from scheduler.store.queries import transaction
from scheduler.store.schema import MessageRow, make_engine
from tests.conftest import FIGURES, TEMPLATE, postgres_database, vn, write_settings
from tests.mailsink import Received, Sink, free_port
from tests.probe import answered, sample, until
from tests.test_daemon import Daemon
from tests.test_delivery import mail_config
from tests.workload import queue_mail

START = vn("08/03/2027 00:00")  # a Monday; the digest is due at 08:30 each working day
SPEED = 14_400  # four simulated hours a second: a working day passes every 6 s
WAVES = (1200, 500, 300)
COMMUNES = ("X01", "X02", "X03", "X04")  # each late since last week: the district's digest


@pytest.fixture
def postgres(postgres_admin_url: str) -> Iterator[tuple[str, Engine]]:
    with postgres_database(postgres_admin_url, TEMPLATE) as url:
        engine = make_engine(url)
        yield url, engine
        engine.dispose()


class Replicas:
    """Daemons on one database and one relay, on one simulated clock, and what became of
    each."""

    def __init__(self, url: str, relay: tuple[Sink, int], folder: Path) -> None:
        self.url, (self.relay, self.relay_port), self.folder = url, relay, folder
        self.clock = f"start={START.isoformat()};speed={SPEED};anchor={time.time()}"
        self.daemons: dict[str, tuple[Daemon, int]] = {}
        self.kills: list[int] = []  # how many mails had arrived when each kill came

    def start(self, *names: str) -> None:
        for name in names:  # all launched, then all awaited: they start side by side
            (self.folder / name).mkdir()
            port = free_port()
            settings = write_settings(
                self.folder / name,
                self.url,
                self.relay_port,
                daemon={
                    "sweep_seconds": 0.3,
                    "deliver_seconds": 0.3,
                    "digest_seconds": 0.3,
                    "periodic_seconds": 5,
                    "http_port": port,
                },
                # six simulated hours of lease are 1.5 s: a killed daemon's claims come back
                mail={"rate_per_minute": 30_000, "lease_seconds": 6 * 3600},
            )
            env = {**os.environ, "HANBAO_CONFIG": str(settings), "HANBAO_CLOCK": self.clock}
            self.daemons[name] = (Daemon([sys.executable, "-m", "scheduler", "run"], env), port)
        for name in names:
            self.daemons[name][0].wait_started()

    def next_digest_day(self, config: Config) -> date:
        """The first working day whose digest is still to come on the daemons' clock."""
        now = clock_from(self.clock).now()
        day = now.date() + timedelta(days=int(now.time() >= config.mail.digest_time))
        while not config.calendar.is_working_day(day):
            day += timedelta(days=1)
        return day

    def role(self, name: str) -> str | None:
        body = answered(self.daemons[name][1], 200)
        return str(body["role"]) if body else None

    def leader(self, among: tuple[str, ...]) -> str | None:
        """The one of ``among`` that leads, once exactly one does and the others stand by."""
        roles = {name: self.role(name) for name in among}
        leaders = [name for name, role in roles.items() if role == "leader"]
        standing = [role for role in roles.values() if role == "standby"]
        return leaders[0] if len(leaders) == 1 and len(standing) == len(among) - 1 else None

    def arrived(self, count: int) -> None:
        """Wait until ``count`` distinct messages have arrived (looking at each arrival once:
        the relay waits for us while we look)."""
        seen: set[str] = set()
        looked = 0

        def enough(got: list[Received]) -> bool:
            nonlocal looked
            seen.update(r.message_id for r in got[looked:])
            looked = len(got)
            return len(seen) >= count

        self.relay.wait_for(enough, timeout=120)

    def kill(self, name: str) -> None:
        self.daemons[name][0].kill()
        self.kills.append(len(self.relay.received))  # all it had sent, even in flight, is in

    def log(self, name: str) -> list[str]:
        return self.daemons[name][0].log

    def close(self) -> None:
        for daemon, _ in self.daemons.values():
            if daemon.process.poll() is None:
                daemon.kill()


def _led_when_it_queued(log: list[str]) -> bool:
    """Every digest this daemon queued, it queued while it led."""
    leading = False
    for line in log:
        if "action=role" in line:
            leading = " role=leader" in line
        if "action=digest_queued" in line and not leading:
            return False
    return True


def test_three_replicas_share_the_mail_and_one_leads(
    postgres: tuple[str, Engine], config: Config, tmp_path: Path, sink: tuple[Sink, int]
) -> None:
    url, engine = postgres
    began = time.monotonic()
    with transaction(engine) as store:
        for n, unit in enumerate(COMMUNES):
            verified = START - timedelta(days=6)
            ledger.open_case(store, config, f"VV-R{n}", unit, "xam_hai", verified, START, "t")
    queue_mail(engine, config, WAVES[0], START, "wave1")
    replicas = Replicas(url, sink, tmp_path)
    try:
        replicas.start("a", "b", "c")
        leader = until(lambda: replicas.leader(("a", "b", "c")), 30, "one leader, two standbys")
        standby, last = sorted({"a", "b", "c"} - {leader})
        assert sample(replicas.daemons[leader][1], 'hanbao_role{role="leader"}') == 1
        assert sample(replicas.daemons[standby][1], 'hanbao_role{role="leader"}') == 0

        # wave 1: a standby dies in the middle of it
        replicas.arrived(WAVES[0] // 3)
        replicas.kill(standby)
        replicas.arrived(WAVES[0])

        # wave 2: the leader dies in the middle of it; the last one takes the lead
        queue_mail(engine, config, WAVES[1], START, "wave2")
        replicas.arrived(WAVES[0] + WAVES[1] // 3)
        replicas.kill(leader)
        killed = time.monotonic()
        until(lambda: replicas.role(last) == "leader" or None, 30, "the takeover")
        takeover = time.monotonic() - killed
        replicas.arrived(WAVES[0] + WAVES[1])
        # the new leader sends the next digest
        day = fmt_date(replicas.next_digest_day(config))
        sink[0].wait_for(lambda got: any(r.subject.endswith(f" {day}") for r in got), 60)

        # a daemon comes back (as a standby), and both are stopped in the middle of wave 3
        replicas.start("d")
        assert until(lambda: replicas.leader((last, "d")), 30, "the lead kept") == last
        queue_mail(engine, config, WAVES[2], START, "wave3")
        replicas.arrived(sum(WAVES) - WAVES[2] * 2 // 3)
        for name in ("d", last):
            replicas.daemons[name][0].stop()  # SIGTERM, exit status 0
        with transaction(engine) as store:
            left = Counter(m.state for m in store.session.exec(select(MessageRow)))
        assert left["sending"] == 0 and left["pending"] > 0, left
        lead = AdvisoryLock(engine)
        assert lead.hold()  # the leader let the lead go as it stopped
        lead.release()
    except BaseException:
        for name in replicas.daemons:
            said = [line for line in replicas.log(name) if "apscheduler" not in line]
            print(f"log of {name}:\n" + "".join(said[-100:]))
        raise
    finally:
        replicas.close()

    # what the daemons left, sent from here, as the next daemon to start would
    relay = mail_config(config, sink[1])
    asyncio.run(deliver(engine, relay, clock_from(replicas.clock).now))
    with transaction(engine) as store:
        stored = {m.message_id: m for m in store.session.exec(select(MessageRow))}
    replicas.arrived(len(stored))
    received = sink[0].received
    assert {m.state for m in stored.values()} == {"sent"}
    copies = Counter(r.message_id for r in received)
    assert set(copies) == set(stored)  # every message arrived
    duplicates = [m for m, n in copies.items() if n > 1]
    for message_id in duplicates:
        texts = {r.text() for r in received if r.message_id == message_id}
        at = [i for i, r in enumerate(received) if r.message_id == message_id]
        assert copies[message_id] == 2 and len(texts) == 1
        # in flight at a kill: its first copy came before that kill, its second after
        assert any(at[0] < kill <= at[1] for kill in replicas.kills), (message_id, at)
    assert len(duplicates) <= len(replicas.kills)

    # one digest (one Message-ID) per district and working day, whoever led that day
    digests: dict[tuple[tuple[str, ...], str], set[str]] = defaultdict(set)
    for r in received:
        if stored[r.message_id].template == "digest":
            digests[(r.rcpt_tos, r.subject.rsplit(" ", 1)[-1])].add(r.message_id)
    days = sorted({day for _, day in digests}, key=parse_date)
    assert all(len(ids) == 1 for ids in digests.values()) and day in days, digests
    assert len(digests) == len(days)  # one district here: H01, over its communes
    for name in replicas.daemons:
        assert _led_when_it_queued(replicas.log(name)), name
    assert not any("action=digest_queued" in line for line in replicas.log(standby))
    assert any("action=digest_queued" in line for line in replicas.log(last))
    figures = {
        "daemons": len(replicas.daemons),
        "messages": len(stored),
        "arrived": len(received),
        "duplicates": len(duplicates),
        "kills": len(replicas.kills),
        "takeover_seconds": round(takeover, 2),
        "digest_days": days,
        "sending_after_sigterm": left["sending"],
        "pending_after_sigterm": left["pending"],
        "seconds": round(time.monotonic() - began, 1),
    }
    FIGURES.append("replicas (postgresql): " + json.dumps(figures, ensure_ascii=False))
    print(json.dumps(figures, ensure_ascii=False))
