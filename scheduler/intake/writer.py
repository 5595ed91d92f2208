"""Mails that arrive together are recorded together.

A flood of report mail on several connections would otherwise cost one worker-thread hop and
one commit per mail, each waiting for the other (and SQLite's busy handler waits by sleeping).
Here the mails waiting are taken in one transaction, up to ``BATCH`` at a time, in a worker
thread, so the event loop stays free. A batch that fails is taken again mail by mail, so one
mail that cannot be recorded never costs the others their record.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from scheduler.clock import Clock
from scheduler.intake.record import Source, Taken, take
from scheduler.settings import Config
from scheduler.store.connection import Engine
from scheduler.store.queries import transaction

BATCH = 100
Waiting = tuple[bytes, "asyncio.Future[Taken]"]


class GroupWriter:
    def __init__(self, engine: Engine, config: Config, clock: Clock, source: Source) -> None:
        self.engine, self.config, self.clock, self.source = engine, config, clock, source
        self.waiting: list[Waiting] = []
        self.draining: asyncio.Task[None] | None = None

    async def take(self, raw: bytes) -> Taken:
        """Record one mail; returns once its transaction has committed, or raises."""
        future: asyncio.Future[Taken] = asyncio.get_running_loop().create_future()
        self.waiting.append((raw, future))
        if self.draining is None:
            self.draining = asyncio.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting[:BATCH], self.waiting[BATCH:]
                try:
                    results = await asyncio.to_thread(self._record, [raw for raw, _ in batch])
                except BaseException as exc:  # cancelled at shutdown: nobody is left waiting
                    results = [exc] * len(batch)
                for (_, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue
                    if isinstance(result, BaseException):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self.draining = None

    def _record(self, raws: list[bytes]) -> list[Taken | BaseException]:
        now = self.clock.now()
        try:
            return list(self._together(raws, now))
        except Exception as exc:
            if len(raws) == 1:
                return [exc]
        results: list[Taken | BaseException] = []
        for raw in raws:
            try:
                results.extend(self._together([raw], now))
            except Exception as exc:
                results.append(exc)
        return results

    def _together(self, raws: list[bytes], now: datetime) -> list[Taken]:
        with transaction(self.engine) as store:
            return [take(store, self.config, raw, self.source, now) for raw in raws]
