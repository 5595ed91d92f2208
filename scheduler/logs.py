"""Structured logs: one line per event, ``key=value``, no personal data, no secrets.

Call sites log events with stable fields (``action=sweep obligation=12``) and %-style
arguments; this formatter adds the time, level and logger in front.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime


class KeyValueFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        line = f"time={stamp} level={record.levelname.lower()} logger={record.name} "
        line += record.getMessage()
        if record.exc_info:
            line += " traceback=" + repr(self.formatException(record.exc_info))
        return line


def configure(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(KeyValueFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # imapclient's debug lines echo the headers it fetches, addresses included
    for noisy in ("apscheduler", "mail.log", "alembic", "imapclient"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def quoted(text: str) -> str:
    """A free-text value (a server's answer) as one logfmt value: double-quoted, escaped."""
    return json.dumps(text, ensure_ascii=False)
