"""Structured logs: one line per event in logfmt (``key=value``), no personal data, no secrets.

Call sites log events with stable fields (``action=sweep obligation=12``) and %-style
arguments; this formatter adds the time, level and logger in front, and quotes every argument
that needs it (a space, an ``=``, a quote, or nothing at all), so each line parses as logfmt
whatever an SMTP server or a driver said. Call sites log unit codes and message ids, never an
address; should one slip into a value or a traceback anyway, the line carries ``[redacted]``
in its place.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

_BARE = re.compile(r"[^\s=\"\\]+")
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


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # imapclient's debug lines echo the headers it fetches, addresses included
    for noisy in ("apscheduler", "mail.log", "alembic", "imapclient"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
