"""Structured logs: one line per event in logfmt (``key=value``), no personal data, no secrets.

Call sites log events with stable fields (``action=sweep obligation=12``) and %-style
arguments; this formatter adds the time, level and logger in front, and quotes every argument
that needs it (a space, an ``=``, a quote, or nothing at all), so each line parses as logfmt
whatever an SMTP server or a driver said. Call sites log unit codes and message ids, never an
address; should one slip into a value or a traceback anyway, the line carries ``[redacted]``
in its place.

``HANBAO_LOG_FORMAT=json`` (or ``logging: {format: json}`` in the settings) writes each line as
one JSON object instead, with the same fields: the logfmt line is made as always (quoting and
redaction included), then read back into its fields. No logging library is used for it: what
python-json-logger or structlog would add is a record's own attributes, while our fields live in
the event's ``key=value`` text, which must be read back either way.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, Literal

LogFormat = Literal["text", "json"]
LOG_FORMATS: tuple[LogFormat, ...] = ("text", "json")

_BARE = re.compile(r"[^\s=\"\\]+")
_PAIR = re.compile(r'([^\s="]+)=("(?:[^"\\]|\\.)*"|[^\s"=\\]*)(?=\s|$)')
_WORD = re.compile(r"\S+")
_MAILBOX = re.compile(r"[^\s<>()\[\]\"',;:=]+@[A-Za-z0-9.-]+[A-Za-z0-9]")


def logfmt_value(value: Any) -> str:
    """One value as logfmt writes it: bare when it can be, else a JSON string."""
    text = str(value)
    return text if _BARE.fullmatch(text) else json.dumps(text, ensure_ascii=False)


def redacted(text: str) -> str:
    return _MAILBOX.sub("[redacted]", text)


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        line = f"time={stamp} level={record.levelname.lower()} logger={record.name} "
        if isinstance(record.args, tuple) and record.args:
            try:
                line += str(record.msg) % tuple(logfmt_value(a) for a in record.args)
            except (TypeError, ValueError):
                line += "message=" + logfmt_value(record.getMessage())
        else:
            line += record.getMessage()
        if record.exc_info:
            line += " traceback=" + logfmt_value(self.formatException(record.exc_info))
        return redacted(line)


def fields(line: str) -> dict[str, str]:
    """A logfmt line's fields, in order; words that are not ``key=value`` (a library's own
    message) are kept together under ``message``."""
    found: dict[str, str] = {}
    loose: list[str] = []
    position = 0
    while True:
        while position < len(line) and line[position].isspace():
            position += 1
        if position >= len(line):
            break
        pair = _PAIR.match(line, position)
        if pair is not None:
            key, raw = pair.groups()
            found[key] = _unquoted(raw)
            position = pair.end()
            continue
        word = _WORD.match(line, position)
        assert word is not None  # not at a space, not at the end: a word starts here
        loose.append(word.group())
        position = word.end()
    if loose:
        found["message"] = " ".join(([found["message"]] if "message" in found else []) + loose)
    return found


def _unquoted(raw: str) -> str:
    if not raw.startswith('"'):
        return raw
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    return value if isinstance(value, str) else raw


class JsonFormatter(KeyValueFormatter):
    """One JSON object per line, with the fields of the logfmt line."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(fields(super().format(record)), ensure_ascii=False)


def configure(level: str = "INFO", log_format: LogFormat = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else KeyValueFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # imapclient's debug lines echo the headers it fetches, addresses included
    for noisy in ("apscheduler", "mail.log", "alembic", "imapclient"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
