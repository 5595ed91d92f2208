"""The daemon's HTTP server ticks once a second (an idle daemon's CPU), yet stops at once."""

from __future__ import annotations

import asyncio
import time
import urllib.request
from typing import Any

import uvicorn

from scheduler.web.server import Server
from tests.mailsink import free_port


async def _hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def _get(port: int) -> tuple[bytes, str | None]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as answer:
        return answer.read(), answer.headers["date"]


def test_the_server_ticks_once_a_second_and_stops_at_once() -> None:
    port = free_port()
    server = Server(
        uvicorn.Config(_hello, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    )
    ticks: list[int] = []
    tick = server.on_tick

    async def counted(counter: int) -> bool:
        ticks.append(counter)
        return await tick(counter)

    server.on_tick = counted  # type: ignore[method-assign]

    async def scenario() -> float:
        serving = asyncio.create_task(server.serve())
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline, "the server did not start"
            await asyncio.sleep(0.01)
        body, date = await asyncio.to_thread(_get, port)
        assert body == b"ok" and date is not None and date.endswith(" GMT")
        ticks.clear()
        await asyncio.sleep(2.5)  # observing the tick rate, not waiting for anything
        counted_ticks = len(ticks)
        asked = time.monotonic()
        server.should_exit = True
        await asyncio.wait_for(serving, 10)
        assert 1 <= counted_ticks <= 4, ticks  # uvicorn's own loop ticks 25 times meanwhile
        # every tick refreshes the Date header: uvicorn does so on counters divisible by 10
        assert all(counter % 10 == 0 for counter in ticks)
        return time.monotonic() - asked

    stopped_in = asyncio.run(scenario())
    assert stopped_in < 0.5, f"an exit waited for the next tick: {stopped_in:.2f} s"
