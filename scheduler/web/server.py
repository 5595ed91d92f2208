"""The HTTP server: uvicorn's, ticking once a second instead of ten times.

uvicorn wakes its main loop every 0.1 s to refresh the ``Date`` header (once a second) and to
see whether it should exit. Those ten wake-ups a second were a third of an idle daemon's CPU
(0.12 of 0.32 % of a core, measured by bench/idle.py). Here the loop wakes once a second, when
the header is refreshed, and an exit (SIGTERM, SIGINT, or the daemon's ``should_exit``) wakes it
at once, so stopping is as quick as before.
"""

from __future__ import annotations

import asyncio
import contextlib

import uvicorn

TICK_SECONDS = 1.0
HEADER_TICKS = 10  # uvicorn refreshes the Date header on a tick counter divisible by this
DAY_TICKS = 864_000  # where uvicorn's own counter wraps


class Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        self._exit = asyncio.Event()  # before uvicorn's __init__, which sets should_exit
        super().__init__(config)

    @property
    def should_exit(self) -> bool:
        return self._exit.is_set()

    @should_exit.setter
    def should_exit(self, value: bool) -> None:
        if value:
            self._exit.set()
        else:
            self._exit.clear()

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + HEADER_TICKS) % DAY_TICKS
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._exit.wait(), TICK_SECONDS)
