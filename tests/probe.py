"""Watching a running daemon from outside: its /healthz and its /metrics, polled until they say
what a test waits for, under a deadline."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

from tests.test_daemon import _scrape

T = TypeVar("T")
POLL = 0.05  # between two looks at an HTTP endpoint: nothing there can notify us


def until(look: Callable[[], T | None], timeout: float, what: str) -> T:
    """The first value of ``look()`` that is not None, looking again until ``timeout``."""
    deadline = time.monotonic() + timeout
    while (found := look()) is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(POLL)
    return found


def answered(port: int, status: int) -> dict[str, Any] | None:
    """What /healthz says, when it answers with ``status``; else None."""
    got, body = _scrape(port, "/healthz")
    return json.loads(body) if got == status else None


def sample(port: int, series: str) -> float:
    """The value of one series of /metrics, e.g. ``hanbao_messages_total{outcome="retry"}``."""
    _, text = _scrape(port, "/metrics")
    match = re.search(rf"^{re.escape(series)} (\S+)$", text, re.MULTILINE)
    assert match, f"{series} not in /metrics"
    return float(match.group(1))
