"""Log lines: logfmt that parses whatever a value holds, and never an address."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from scheduler.errors import ConfigError
from scheduler.monitoring.logs import JsonFormatter, KeyValueFormatter, fields
from scheduler.settings import Config, load_config
from tests.conftest import open_case, write_settings
from tests.mailsink import Sink, free_port, start
from tests.test_daemon import FAST, Daemon

PAIR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s"=\\]+)(?:\s|$)')


def parse(line: str) -> dict[str, str]:
    """A strict logfmt reader: the whole line must be key=value pairs."""
    pairs = PAIR.findall(line)
    assert " ".join(f"{k}={v}" for k, v in pairs) == line.strip(), line
    return dict(pairs)


def line(message: str, *args: object, exc: bool = False) -> str:
    record = logging.LogRecord("hanbao.test", logging.ERROR, __file__, 1, message, args, None)
    if exc:
        try:
            raise RuntimeError("550 5.1.1 <treem@anbinh.huyenmau.tinhmau.example>: no such user")
        except RuntimeError:
            record.exc_info = sys.exc_info()
    return KeyValueFormatter().format(record)


def test_the_lines_the_newcomer_found_now_parse_and_name_nobody() -> None:
    refused = line(
        "action=deliver_refused message=%s reason=%s",
        1,
        "treem@anbinh.huyenmau.tinhmau.example: không phải liên hệ của đơn vị liên quan",
    )
    retry = line("action=deliver_retry message=%s error=%s", 7, "không kết nối được: timed out")
    failed = line("action=job_failed job=%s", "deliver", exc=True)
    for text in (refused, retry, failed):
        fields = parse(text)
        assert "@" not in text and fields["action"]
    assert parse(refused)["reason"].startswith('"[redacted]: không phải')
    assert parse(retry)["error"] == '"không kết nối được: timed out"'
    assert parse(failed)["traceback"].startswith('"Traceback')


def test_bare_values_stay_bare() -> None:
    fields = parse(line("action=started http=%s:%s now=%s", "127.0.0.1", 9464, "2027-03-03T10:00"))
    assert fields == {
        "time": fields["time"],
        "level": "error",
        "logger": "hanbao.test",
        "action": "started",
        "http": "127.0.0.1:9464",
        "now": "2027-03-03T10:00",
    }


@given(st.text(max_size=200))
def test_any_value_at_all_leaves_a_line_that_parses(value: str) -> None:
    text = line("action=x value=%s", value)
    assert "\n" not in text
    assert parse(text)["action"] == "x"


def test_a_json_line_has_the_fields_of_the_logfmt_line_quoting_and_redaction_included() -> None:
    record = logging.LogRecord(
        "hanbao.test",
        logging.WARNING,
        __file__,
        1,
        "action=deliver_retry message=%s error=%s",
        (7, 'say "hi" to treem@anbinh.huyenmau.tinhmau.example = later'),
        None,
    )
    text = KeyValueFormatter().format(record)
    parsed = json.loads(JsonFormatter().format(record))
    assert parsed == fields(text)
    assert list(parsed)[:5] == ["time", "level", "logger", "action", "message"]
    assert parsed["level"] == "warning" and parsed["message"] == "7"
    assert parsed["error"] == 'say "hi" to [redacted] = later'


def test_words_that_are_not_key_value_are_kept_as_the_message() -> None:
    line = 'time=t level=info logger=uvicorn.error Started server process [42] pid="a b"'
    assert fields(line) == {
        "time": "t",
        "level": "info",
        "logger": "uvicorn.error",
        "pid": "a b",
        "message": "Started server process [42]",
    }


@given(st.text(alphabet=st.characters(exclude_characters="@"), max_size=60))
def test_any_value_comes_back_whole_from_the_json_line(value: str) -> None:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, "action=x value=%s", (value,), None)
    assert json.loads(JsonFormatter().format(record))["value"] == value


def test_the_log_format_comes_from_the_settings_or_the_environment(
    config: Config, tmp_path: Path
) -> None:
    assert config.log_format == "text"
    settings = write_settings(tmp_path, "sqlite://", 25, logging={"format": "json"})
    assert load_config(settings, env={}).log_format == "json"
    assert load_config(settings, env={"HANBAO_LOG_FORMAT": "text"}).log_format == "text"
    with pytest.raises(ConfigError, match="HANBAO_LOG_FORMAT: text hoặc / or json"):
        load_config(settings, env={"HANBAO_LOG_FORMAT": "yaml"})


def test_a_daemon_run_asked_for_json_writes_every_stderr_line_as_one_json_object(
    engine: Engine, config: Config, database_url: str, tmp_path: Path
) -> None:
    handler, port = Sink(), free_port()
    controller = start(handler, port)
    settings = write_settings(
        tmp_path,
        database_url,
        port,
        daemon={**FAST, "http_port": free_port()},
        logging={"format": "json"},
    )
    open_case(engine, config, "VV-JSON", "03/03/2027 10:00", "03/03/2027 10:00")
    env = {**os.environ, "HANBAO_CONFIG": str(settings), "HANBAO_CLOCK": "start=03/03/2027 10:00"}
    env.pop("HANBAO_LOG_FORMAT", None)
    running = Daemon([sys.executable, "-m", "scheduler", "run"], env)
    try:
        running.wait_line('"action": "started"')
        handler.wait_for(lambda got: len(got) >= 1, timeout=60)  # the case's notice was sent
        running.process.send_signal(signal.SIGTERM)
        assert running.process.wait(timeout=60) == 0, "".join(running.log)
    finally:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait()
        running.reader.join(timeout=30)
        assert running.process.stderr is not None
        running.process.stderr.close()
        controller.stop()
    lines = [json.loads(line) for line in running.log]  # every line, or this fails
    assert all(isinstance(line, dict) and line["level"] for line in lines)
    actions = {line.get("action") for line in lines}
    assert {"started", "stopped"} <= actions, actions
    # no address, in JSON either
    assert not any(re.search(r"@[\w.-]*tinhmau\.example", text) for text in running.log)
