"""What the daemon would emit over a span of time, computed on the real database and undone.

The simulated clock jumps from one stored ``next_action_at`` to the next and runs the real sweep
at each, inside a transaction that is rolled back at the end: the database is left as it was.
Periodic obligations of the years in the span are materialised first, as the daemon would.
Steps are yielded as the sweeps record them, so a national year is never held in memory.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from datetime import datetime

from scheduler.lifecycle.ledger import generate_periodic
from scheduler.lifecycle.sweep import Emitted, sweep_batch
from scheduler.settings import Config
from scheduler.store.connection import Engine
from scheduler.store.queries import rolled_back


def steps(
    engine: Engine,
    config: Config,
    start: datetime,
    end: datetime,
    progress: Callable[[datetime, int], None] | None = None,
) -> Generator[Emitted, None, None]:
    """Each emitted step in time order, lazily; the transaction is rolled back when the
    iteration ends, is abandoned (``close()``) or fails."""
    count = 0
    with rolled_back(engine) as store:
        for year in range(start.year, end.year + 1):
            generate_periodic(store, config, year, start, "simulate", ahead_only=True)
        while True:
            upcoming = store.earliest_action()
            if upcoming is None or upcoming > end:
                return
            now = max(upcoming, start)
            while (batch := sweep_batch(store, config, now, config.sweep_batch)) is not None:
                count += len(batch)
                yield from batch
            if progress is not None:
                progress(now, count)


def simulate(
    engine: Engine,
    config: Config,
    start: datetime,
    end: datetime,
    progress: Callable[[datetime, int], None] | None = None,
) -> list[Emitted]:
    """All of ``steps`` at once, for callers that want the list (small spans, tests)."""
    return list(steps(engine, config, start, end, progress))
