"""/healthz and /metrics through a relay outage, on a real daemon (issue 10)."""

from __future__ import annotations

import os
import socket
import sys
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from scheduler.deadlines.vntime import VN_TZ
from scheduler.mail.deliver import Report
from scheduler.monitoring.health import Health
from scheduler.settings import Config
from tests.conftest import write_settings
from tests.mailsink import Sink, free_port, start
from tests.probe import answered, sample, until
from tests.test_daemon import serving
from tests.workload import queue_mail

RETRIED = 'hanbao_messages_total{outcome="retry"}'


def test_a_relay_outage_shows_on_healthz_and_in_the_retry_count_as_it_goes(
    engine: Engine, config: Config, database_url: str, tmp_path: Path
) -> None:
    """The relay accepts connections and never answers (hung), for longer than stall_seconds:
    every batch goes back for retry. That is no success: /healthz turns 503 (it stayed 200), and
    the retries are counted batch by batch (they were added only when the whole drain ended).
    When the relay is back, the backlog goes out and /healthz is 200 again."""
    queue_mail(engine, config, 100, datetime.now(VN_TZ))
    http_port = free_port()
    hung = socket.create_server(("127.0.0.1", 0))  # completes the handshake, never says 220
    relay_port = hung.getsockname()[1]
    settings = write_settings(
        tmp_path,
        database_url,
        relay_port,
        smtp={"timeout": 1},
        mail={"batch_size": 25, "rate_per_minute": 60_000, "retry_base_seconds": 1},
        daemon={
            "sweep_seconds": 0.2,
            "deliver_seconds": 0.2,
            "stall_seconds": 2.5,
            "http_port": http_port,
        },
    )
    env = {**os.environ, "HANBAO_CONFIG": str(settings)}
    relay = Sink()
    with serving([sys.executable, "-m", "scheduler", "run"], env) as running:
        # the first batch has waited out its timeout; three more wait behind it in the same run
        retried = until(lambda: sample(http_port, RETRIED) or None, 20, "a counted retry")
        assert 25 <= retried < 100
        body = until(lambda: answered(http_port, 503), 20, "a 503")
        assert body["stalled"] == ["deliver"] and body["role"] == "leader"
        hung.close()
        controller = start(relay, relay_port)
        try:
            relay.wait_for(lambda got: len(got) == 100, timeout=30)
            until(lambda: answered(http_port, 200), 20, "/healthz back to 200")
            # the last outcome is recorded just after the relay's answer: wait for it
            sent = 'hanbao_messages_total{outcome="sent"}'
            until(lambda: sample(http_port, sent) == 100 or None, 20, "100 sends counted")
        finally:
            controller.stop()
        running.stop()
    assert len({r.message_id for r in relay.received}) == 100


def test_only_the_relay_taking_nothing_holds_the_mail_loop_back() -> None:
    # a message that cannot be re-composed goes back for retry, but the relay is not at fault
    assert not Report(retrying=1).stalled
    assert Report(retrying=2, relay_failed=True).stalled
    assert not Report(sent=1, retrying=1, relay_failed=True).stalled
    health = Health(stall_seconds=60)
    assert health.ok("deliver")
    health.hold_back("deliver")
    assert not health.ok("deliver")  # a run that found nothing due while the relay is down
    health.progress("deliver")
    assert health.ok("deliver")
