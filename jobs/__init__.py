"""Thin APScheduler job entry points; each calls one step of the engine in ``scheduler``.

Every job takes the daemon's ``Context``, reads the clock once, does its work (database work
in a worker thread, so the event loop stays free for the mail in flight and for signals), and
feeds the metrics. The daemon wraps each in timing, health and error handling.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from scheduler.clock import Clock
from scheduler.monitoring.health import Health
from scheduler.monitoring.metrics import Metrics
from scheduler.settings import Config
from scheduler.store.connection import Engine


class Failed(Exception):
    """The run failed, and the job has said why in one log line: the daemon counts it as a
    failure and adds no traceback."""


@dataclass
class Context:
    engine: Engine
    config: Config
    clock: Clock
    metrics: Metrics
    health: Health
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    wake: Callable[[str], None] = lambda job: None  # run that job now, not at its next tick
    seen: dict[str, object] = field(default_factory=dict)  # what a job found at its last run
