"""The daemon's HTTP port: ``/metrics`` (Prometheus) and ``/healthz``.

A small threaded WSGI server from the standard library, so a scrape never waits for a job.
``/healthz`` answers 503 when the sweep or the delivery loop has not succeeded for
``daemon.stall_seconds`` (wall time), so an orchestrator restarts a stuck daemon.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app

WATCHED = ("sweep", "deliver")


class Health:
    """When each watched job last succeeded, on the monotonic clock."""

    def __init__(self, stall_seconds: float) -> None:
        self.stall_seconds = stall_seconds
        self.started = time.monotonic()
        self.last: dict[str, float] = {}

    def ok(self, job: str) -> None:
        self.last[job] = time.monotonic()

    def report(self) -> tuple[bool, dict[str, Any]]:
        now = time.monotonic()
        ages = {job: round(now - self.last.get(job, self.started), 1) for job in WATCHED}
        stalled = [job for job, age in ages.items() if age > self.stall_seconds]
        return not stalled, {"ok": not stalled, "stalled": stalled, "seconds_since_success": ages}


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # scrapes every 15 s: no log line
        pass


def app(registry: CollectorRegistry, health: Health) -> Callable[..., Iterable[bytes]]:
    metrics = make_wsgi_app(registry)

    def route(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/metrics":
            return metrics(environ, start_response)  # type: ignore[no-any-return]
        if path == "/healthz":
            healthy, body = health.report()
            start_response(
                "200 OK" if healthy else "503 Service Unavailable",
                [("Content-Type", "application/json")],
            )
            return [json.dumps(body).encode()]
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]

    return route


def serve(host: str, port: int, registry: CollectorRegistry, health: Health) -> WSGIServer:
    """Start serving in a background thread; ``server.shutdown()`` stops it."""
    server = make_server(
        host, port, app(registry, health), server_class=_Server, handler_class=_QuietHandler
    )
    threading.Thread(target=server.serve_forever, name="hanbao-http", daemon=True).start()
    return server
