"""kill -9 in the middle of a batch: every message arrives, duplicates keep their Message-ID."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import select

from scheduler.settings import Config
from scheduler.store.queries import transaction
from scheduler.store.schema import MessageRow
from tests.conftest import FIGURES, vn, write_settings
from tests.mailsink import Sink, free_port, start
from tests.workload import queue_mail

BATCH = 500


def deliver(config: Path, as_of: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "HANBAO_CONFIG": str(config)}
    return subprocess.Popen(
        [sys.executable, "-m", "scheduler", "deliver", "--once", "--as-of", as_of],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_kill_9_mid_batch_then_restart_delivers_everything(
    engine: Engine, config: Config, database_url: str, tmp_path: Path
) -> None:
    handler, port = Sink(), free_port()
    controller = start(handler, port)
    try:
        queue_mail(engine, config, BATCH, vn("03/03/2027 10:00"))
        settings = write_settings(
            tmp_path, database_url, port, mail={"rate_per_minute": 1_000_000, "batch_size": BATCH}
        )

        with deliver(settings, "03/03/2027 10:00") as first:
            handler.wait_for(lambda got: len(got) >= 150, timeout=60)
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
        assert first.returncode == -signal.SIGKILL
        received_before_restart = len(handler.received)
        assert received_before_restart < BATCH, "the kill came too late to test anything"

        # after the lease has run out the rows left 'sending' are claimed again
        with deliver(settings, "03/03/2027 10:10") as second:
            _, errors = second.communicate(timeout=120)
        assert second.returncode == 0, errors.decode()
    finally:
        controller.stop()

    with transaction(engine) as store:
        stored = {m.key: m for m in store.session.exec(select(MessageRow))}
    assert {m.state for m in stored.values()} == {"sent"}
    copies = Counter(r.message_id for r in handler.received)
    assert set(copies) == {m.message_id for m in stored.values()}  # every message arrived
    duplicates = sum(n - 1 for n in copies.values())
    for message_id, n in copies.items():
        if n > 1:  # a resend is the same message: same Message-ID, same content
            bodies = {r.text() for r in handler.received if r.message_id == message_id}
            assert len(bodies) == 1
    assert duplicates <= 1  # at most the one message in flight when the process died
    FIGURES.append(
        f"kill -9 mid-batch ({engine.dialect.name}): {BATCH} messages, killed after "
        f"{received_before_restart} arrived; after restart {len(copies)} distinct arrived, "
        f"{duplicates} duplicate(s), each with its original Message-ID"
    )
