"""Log lines: logfmt that parses whatever a value holds, and never an address."""

from __future__ import annotations

import logging
import re
import sys

from hypothesis import given
from hypothesis import strategies as st

from scheduler.logs import KeyValueFormatter

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
