"""The daemon as a real subprocess: jobs, mail in order, SIGTERM and restart, /metrics."""

from __future__ import annotations

import csv
import io
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine

from scheduler.clock import SimulatedClock, clock_from
from scheduler.lifecycle import ledger
from scheduler.settings import Config
from scheduler.store.queries import transaction
from scheduler.web.access import create_token
from tests.conftest import CONFIG_PATH, FIGURES, ROOT, open_case, vn, write_settings
from tests.mailsink import Received, Sink, free_port, start
from tests.test_ops import missing

SUPERVISOR = "laodong@huyenmau.tinhmau.example"
DISTRICT_LEADER = "chutich@huyenmau.tinhmau.example"
FAST = {
    "sweep_seconds": 0.2,
    "deliver_seconds": 0.2,
    "digest_seconds": 0.2,
    "periodic_seconds": 5,
    "housekeeping_seconds": 60,
}


class Daemon:
    """The daemon in a subprocess; ``wait_started`` returns once it logs that it serves."""

    def __init__(self, command: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
        clock = clock_from(env.get("HANBAO_CLOCK"))
        self.speed = clock.speed if isinstance(clock, SimulatedClock) else 1.0
        self.process = subprocess.Popen(
            command,
            env=env,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        self.clock_read: tuple[datetime, float] | None = None  # (its clock, our monotonic time)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.log.append(line)
            self.lines.put(line)

    def wait_started(self, timeout: float = 60) -> None:
        line = self.wait_line("action=started", timeout)
        self.clock_read = (_logged_now(line), time.monotonic())

    def wait_line(self, fragment: str, timeout: float = 60) -> str:
        """The next log line that holds ``fragment`` (lines before it are passed over)."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if fragment in line:
                return line
        raise AssertionError(f"no {fragment} in the daemon's log:\n" + "".join(self.log))

    def wait_for_mail(
        self, sink: Sink, predicate: Callable[[list[Received]], bool], by: datetime
    ) -> None:
        """Wait until the mail received satisfies ``predicate``, at the latest until the daemon's
        clock reads ``by``: how long that is in wall time follows from the clock it logged at
        start (read when the line reached us, so never sooner than the daemon's own)."""
        assert self.clock_read is not None and self.speed > 0, "a started daemon, a moving clock"
        logged, seen = self.clock_read
        left = (by - logged).total_seconds() / self.speed - (time.monotonic() - seen)
        try:
            sink.wait_for(predicate, timeout=max(0.0, left))
        except AssertionError:
            raise AssertionError(
                f"no such mail by {by:%d/%m/%Y %H:%M} on the daemon's clock"
            ) from None

    def stop(self) -> datetime:
        """SIGTERM; the daemon must exit 0. Returns its clock when it stopped."""
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=60)
        assert self.process.stderr is not None
        self.process.stderr.close()
        assert code == 0, "".join(self.log)
        (stopped,) = [line for line in self.log if "action=stopped" in line]
        return _logged_now(stopped)

    def close(self) -> None:
        """Killed if it still runs, and its log pipe closed (a test that fails half-way, or
        that does not stop it, leaves no open file behind for a later test to trip on)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.reader.join(timeout=30)
        if self.process.stderr is not None:
            self.process.stderr.close()

    def kill(self) -> None:
        """SIGKILL: the daemon dies where it stands, as when its machine fails."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.reader.join(timeout=30)
        assert self.process.stderr is not None
        self.process.stderr.close()


def _logged_now(line: str) -> datetime:
    match = re.search(r" now=(\S+)", line)
    assert match, line
    return datetime.fromisoformat(match.group(1))


@contextmanager
def daemon(settings: Path, clock: str) -> Iterator[Daemon]:
    """``hanbao run`` with these settings and this simulated clock."""
    env = {**os.environ, "HANBAO_CONFIG": str(settings), "HANBAO_CLOCK": clock}
    with serving([sys.executable, "-m", "scheduler", "run"], env) as running:
        yield running


@contextmanager
def serving(command: list[str], env: dict[str, str], cwd: Path | None = None) -> Iterator[Daemon]:
    """A daemon started by ``command``, once it serves; killed at the end if still running."""
    running = Daemon(command, env, cwd)
    try:
        running.wait_started()
        yield running
    except BaseException:
        print("daemon log:\n" + "".join(running.log))  # shown by pytest when the test fails
        raise
    finally:
        running.close()


def test_daemon_sends_in_order_stops_on_sigterm_and_restarts_without_duplicates(
    engine: Engine, config: Config, database_url: str, tmp_path: Path
) -> None:
    handler, port = Sink(), free_port()
    controller = start(handler, port)
    settings = write_settings(
        tmp_path,
        database_url,
        port,
        daemon={**FAST, "http_port": free_port()},
        # twelve simulated hours (1.5 s) after the 08:00 reminders, not the default half hour:
        # a busy machine cannot send the digest before the overdue reminder it follows
        mail={"rate_per_minute": 60_000, "digest_time": "20:00"},
    )
    open_case(engine, config, "VV-E2E", "03/03/2027 10:00", "03/03/2027 10:00")
    # eight simulated hours per real second, counted from when the daemon begins to serve (no
    # anchor): however slow its start, the notice and the next morning's reminder stay two mails
    speed = 28_800
    monday = vn("08/03/2027 07:00")
    try:
        with daemon(settings, f"start=03/03/2027 10:00;speed={speed}") as first:
            # the district's digest is due at 20:00 on Friday 05/03: it goes out before Monday
            first.wait_for_mail(
                handler, lambda got: any(r.rcpt_tos == (SUPERVISOR,) for r in got), monday
            )
            assert first.stop() < monday
        subjects = [r.subject for r in handler.received]

        def first_index(prefix: str) -> int:
            return next(i for i, s in enumerate(subjects) if s.startswith(prefix))

        assert (
            first_index("[KHẨN] VV-E2E")
            < first_index("[NHẮC HẠN] VV-E2E")
            < first_index("[QUÁ HẠN] VV-E2E")
            < first_index("[QUÁ HẠN] UBND huyện")
        ), subjects
        before_restart = len(handler.received)

        # off over the weekend, started again on Monday morning
        with daemon(settings, f"start={monday.isoformat()};speed={speed}") as second:
            # the escalation to the district leader comes two working days late (Mon 08/03)
            second.wait_for_mail(
                handler,
                lambda got: any(r.rcpt_tos == (DISTRICT_LEADER,) for r in got),
                vn("10/03/2027 00:00"),
            )
            second.stop()
    finally:
        controller.stop()
    copies = Counter(r.message_id for r in handler.received)
    assert [m for m, n in copies.items() if n > 1] == []
    assert len(handler.received) > before_restart


def _scrape(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _series(text: str, name: str) -> dict[tuple[str, str], float]:
    result = {}
    for line in text.splitlines():
        if line.startswith(name + "{"):
            labels = dict(
                part.split("=", 1) for part in line[len(name) + 1 : line.index("}")].split(",")
            )
            key = (labels["kind"].strip('"'), labels["unit"].strip('"'))
            result[key] = float(line.rsplit(" ", 1)[1])
    return result


def test_metrics_overdue_gauges_match_status(
    engine: Engine, config: Config, database_url: str, tmp_path: Path
) -> None:
    with transaction(engine) as store:
        ledger.generate_periodic(store, config, 2027, vn("01/01/2027 00:00"), "test")
    open_case(engine, config, "VV-M", "03/07/2027 09:00", "03/07/2027 09:00")
    http_port = free_port()
    settings = write_settings(
        tmp_path,
        database_url,
        free_port(),
        daemon={**FAST, "sweep_seconds": 3600, "deliver_seconds": 3600, "http_port": http_port},
    )
    with daemon(settings, "start=10/07/2027 10:00;speed=0") as running:
        status, metrics = _scrape(http_port, "/metrics")
        # the on-time ratio is computed after the first scrape, the first sweep and mail runs
        # end soon after the start: scrape until the rules and the dashboard find all they read
        deadline = time.monotonic() + 30
        while missing(metrics) and time.monotonic() < deadline:
            status, metrics = _scrape(http_port, "/metrics")
        health_code, health = _scrape(http_port, "/healthz")
        assert _scrape(http_port, "/nothing")[0] == 404
        running.stop()
    assert status == 200
    env = {**os.environ, "HANBAO_CONFIG": str(settings)}
    listed = json.loads(
        subprocess.run(
            [
                sys.executable,
                "-m",
                "scheduler",
                "status",
                "--overdue",
                "--as-of",
                "10/07/2027 10:00",
                "--json",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    expected = Counter((o["kind"], o["unit"]) for o in listed)
    assert _series(metrics, "hanbao_obligations_overdue") == {
        k: float(n) for k, n in expected.items()
    }
    assert len(expected) == 16 + 2  # every unit's six-monthly report, and the case's two
    assert "hanbao_build_info{python=" in metrics
    assert "hanbao_job_last_success_timestamp_seconds" in metrics
    assert health_code in (200, 503) and "seconds_since_success" in health

    # every metric, label and label value the alert rules and the dashboard read is one the
    # daemon really exposes (the job's label is `task`: Prometheus owns `job`)
    assert missing(metrics) == []


def run_refused(settings: Path) -> subprocess.CompletedProcess[str]:
    """``hanbao run`` that must refuse to start: exit status 2, a message, no traceback."""
    env = {**os.environ, "HANBAO_CONFIG": str(settings)}
    result = subprocess.run(
        [sys.executable, "-m", "scheduler", "run"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    return result


def test_daemon_refuses_to_start_on_an_uninitialised_database(tmp_path: Path) -> None:
    settings = write_settings(tmp_path, f"sqlite:///{tmp_path / 'empty.sqlite3'}", free_port())
    assert "hanbao init" in run_refused(settings).stderr


def test_daemon_refuses_a_port_in_use_with_the_fix(database_url: str, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        settings = write_settings(
            tmp_path, database_url, free_port(), daemon={"http_port": taken.getsockname()[1]}
        )
        assert "HANBAO_HTTP_PORT" in run_refused(settings).stderr


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_overdue_report_for_leaders(
    engine: Engine, config: Config, database_url: str, tmp_path: Path, fmt: str
) -> None:
    with transaction(engine) as store:
        ledger.generate_periodic(store, config, 2027, vn("01/01/2027 00:00"), "test")
    target = tmp_path / f"qua-han.{fmt}"
    env = {**os.environ, "HANBAO_CONFIG": str(CONFIG_PATH), "HANBAO_DATABASE_URL": database_url}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "scheduler",
            "report",
            "overdue",
            "--format",
            fmt,
            "--as-of",
            "10/07/2027 10:00",
            "-o",
            str(target),
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    if fmt == "csv":
        raw = target.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 with a BOM
        rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
        header, body = rows[0], rows[1:]
    else:
        sheet = load_workbook(target).active
        assert sheet is not None
        values = [list(r) for r in sheet.iter_rows(values_only=True)]
        assert str(values[0][0]).startswith("Báo cáo quá hạn tính đến 10/07/2027")
        header, body = values[1], values[2:]
    assert header[0] == "Đơn vị cấp trên" and header[6] == "Số ngày quá hạn"
    assert header[7:] == ["Tình trạng nộp"]  # columns are only ever added at the end
    assert len(body) == 16
    assert {str(r[3]) for r in body} == {"Báo cáo định kỳ 06 tháng"}
    assert {int(str(r[6])) for r in body} == {10}


def test_schemathesis_with_every_check_finds_nothing(
    engine: Engine, database_url: str, tmp_path: Path
) -> None:
    """Property-based calls to every operation in /openapi.json, with an admin token, and every
    check: no 5xx, every status and body as declared, schema-valid requests accepted (with the
    422s of rules on stored state, tests/schemathesis/schemathesis.toml), invalid ones refused.
    Moments and days are generated around the daemon's clock (tests/schemathesis/hooks.py)."""
    started = "10/03/2027 09:00"
    with transaction(engine) as store:
        token = create_token(store, "T01", "admin", "schemathesis", vn("01/03/2027 08:00"))[1]
    http_port = free_port()
    settings = write_settings(
        tmp_path, database_url, free_port(), daemon={**FAST, "http_port": http_port}
    )
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.schemathesis.hooks",
        "HANBAO_SCHEMATHESIS_NOW": started,
        "PYTHONPATH": str(ROOT),
    }
    with daemon(settings, f"start={started};speed=0") as running:
        result = subprocess.run(
            [
                str(Path(sys.executable).parent / "schemathesis"),
                "--config-file",
                str(ROOT / "tests" / "schemathesis" / "schemathesis.toml"),
                "run",
                f"http://127.0.0.1:{http_port}/openapi.json",
                "--checks",
                "all",
                "-H",
                f"Authorization: Bearer {token}",
                "--max-examples",
                "20",
                "--seed",
                "2027",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
            cwd=tmp_path,  # its cache and reports (.schemathesis/) stay out of the checkout
            env=env,
        )
        running.stop()
    summary = result.stdout[result.stdout.find("FAILURES") :][:3000]
    assert result.returncode == 0, summary
    cases = re.search(r"^\s*(\d+ generated.*)$", result.stdout, re.MULTILINE)
    assert cases and "passed" in cases.group(1)
    FIGURES.append(f"schemathesis --checks all ({engine.dialect.name}): {cases.group(1)}")


def test_daemon_refuses_a_public_address_without_tls(database_url: str, tmp_path: Path) -> None:
    settings = write_settings(
        tmp_path,
        database_url,
        free_port(),
        daemon={"http_host": "0.0.0.0", "http_port": free_port()},
    )
    assert "behind_tls_proxy" in run_refused(settings).stderr
