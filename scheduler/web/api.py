"""The HTTP application on the daemon's port: the JSON API under ``/api/``, ``/metrics``,
``/healthz``, and the pages.

Every API call carries ``Authorization: Bearer <token>`` (``hanbao token create``). A token acts
only on the units it reaches (``scheduler.web.access``); a unit out of reach is "not found".
Every write goes through ``scheduler.lifecycle.ledger`` (the receiving unit's confirmation or
dispute through ``scheduler.lifecycle.receipt``, for a supervisor or leader above the unit that
owes, or an admin) with the token's identity in the audit trail, inside one transaction, so a
refused request writes nothing. Errors are JSON: 401, 403, 404, 409, 422 (with what to fix) and
429 after too many failed authentications.

The routes live by area: ``api_cases``, ``api_obligations``, ``api_reports``, ``probes``
(``/metrics``, ``/healthz``), and the pages (``link_pages``, ``pages``: the login,
``overview_page``, ``timeliness_page``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response

from scheduler.clock import Clock
from scheduler.lifecycle import ledger
from scheduler.monitoring.health import Health
from scheduler.monitoring.metrics import Metrics
from scheduler.settings import Config
from scheduler.store.connection import Engine
from scheduler.web import (
    api_cases,
    api_obligations,
    api_reports,
    link_pages,
    overview_page,
    pages,
    probes,
    problems,
    timeliness_page,
)
from scheduler.web.body_limit import BodyLimit
from scheduler.web.login_guard import LoginGuard
from scheduler.web.services import Services

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",  # a link's token must not leak to another site
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Cache-Control": "no-store",
}


def _enumerate(document: dict[str, Any], config: Config) -> None:
    """The values the rules allow, where the API refuses any other with a 422: a case report's
    stage, an ad-hoc request's kind, the reporting rates' kind."""
    kinds = sorted(config.rules.kinds)
    requested = sorted(k.id for k in config.rules.kinds.values() if k.trigger == "request")
    schemas = document["components"]["schemas"]
    schemas["ReportIn"]["properties"]["stage"]["enum"] = [*ledger.STAGES, *kinds]
    schemas["AdhocIn"]["properties"]["kind"]["enum"] = requested
    adhoc = config.rules.playing("adhoc_request")
    schemas["AdhocIn"]["properties"]["kind"]["default"] = adhoc.id if adhoc else None
    for parameter in document["paths"]["/api/timeliness"]["get"]["parameters"]:
        if parameter["name"] == "kind":
            parameter["schema"] = {"anyOf": [{"type": "string", "enum": kinds}, {"type": "null"}]}


def create_app(
    engine: Engine,
    config: Config,
    clock: Clock,
    metrics: Metrics,
    health: Health,
    on_change: Callable[[], None] = lambda: None,
) -> FastAPI:
    app = FastAPI(
        docs_url=None,  # Swagger UI loads from a CDN: not on an offline network, nor under our CSP
        redoc_url=None,
        title="hanbao",
        version="1",
        description="Hạn báo cáo bảo vệ trẻ em: cases, reports and obligations. "
        "Authorization: Bearer <token from `hanbao token create`>.",
    )
    services = Services(engine, config, clock, LoginGuard(metrics.registry), on_change)
    app.state.services = services
    generate = app.openapi

    def document() -> dict[str, Any]:
        """FastAPI's document, with the kinds the rules know as the values a field takes."""
        if app.openapi_schema is None:
            _enumerate(generate(), config)
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = document  # type: ignore[method-assign]

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    app.add_middleware(BodyLimit, limit=config.web.max_body_bytes)
    problems.install(app)
    app.include_router(probes.router(metrics, health))
    for page_routes in (link_pages, pages, overview_page, timeliness_page):
        app.include_router(page_routes.router())
    for api_routes in (api_cases, api_obligations, api_reports):
        app.include_router(api_routes.router(services))
    return app
