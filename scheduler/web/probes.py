"""What Prometheus and a supervisor probe: ``/metrics`` and ``/healthz``, outside the API's
document. Neither reads the database on the event loop."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from scheduler.monitoring.health import Health
from scheduler.monitoring.metrics import Metrics, exposition


def router(metrics: Metrics, health: Health) -> APIRouter:
    probes = APIRouter(include_in_schema=False)

    @probes.get("/metrics")
    async def scrape(request: Request) -> Response:
        """The metrics: the state gauges from their snapshot (``scheduler.monitoring.metrics``),
        the text built in a worker thread. Nothing here reads the database on the event loop."""
        await metrics.state.scraped()
        body, headers = await asyncio.to_thread(
            exposition,
            metrics,
            request.headers.get("accept", ""),
            request.headers.get("accept-encoding", ""),
        )
        return Response(body, headers=headers)

    @probes.get("/healthz")
    async def healthz() -> JSONResponse:
        """On the event loop itself (it reads memory only): never queued behind the worker
        threads that API calls waiting on a busy database may fill."""
        healthy, body = health.report()
        return JSONResponse(body, status_code=200 if healthy else 503)

    return probes
