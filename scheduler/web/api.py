"""The HTTP application on the daemon's port: the JSON API under ``/api/``, ``/metrics``,
``/healthz``, and the pages of ``scheduler.web.pages``.

Every API call carries ``Authorization: Bearer <token>`` (``hanbao token create``). A token acts
only on the units it reaches (``scheduler.web.access``); a unit out of reach is "not found".
Every write goes through ``scheduler.lifecycle.ledger`` (the receiving unit's confirmation or
dispute through ``scheduler.lifecycle.receipt``, for a supervisor or leader above the unit that
owes, or an admin) with the token's identity in the audit trail, inside one transaction, so a
refused request writes nothing. Errors are JSON: 401, 403, 404, 409, 422 (with what to fix) and
429 after too many failed authentications.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Annotated, Any, Literal

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from scheduler.clock import Clock
from scheduler.deadlines.vntime import at, parse_date, parse_datetime, parse_deadline
from scheduler.errors import InvalidInput, NotFound
from scheduler.lifecycle import ledger, receipt
from scheduler.monitoring.health import Health
from scheduler.monitoring.metrics import Metrics, exposition
from scheduler.records import Obligation
from scheduler.reports import timeliness
from scheduler.settings import Config
from scheduler.store.audit import AuditQueries
from scheduler.store.queries import Store, transaction
from scheduler.web import pages as web
from scheduler.web import problems, timeliness_page
from scheduler.web.access import Principal, authenticate, reach
from scheduler.web.body_limit import BodyLimit
from scheduler.web.login_guard import LoginGuard
from scheduler.web.problems import declared

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",  # a link's token must not leak to another site
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "Cache-Control": "no-store",
}
# ids are INTEGER (32-bit on PostgreSQL): a larger one is a 422, not an overflow in the driver
ObligationId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]
# a case code as ledger.open_case takes it ("/" aside: a path cannot carry it)
CaseCode = Annotated[str, PathParam(max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]


@dataclass
class Services:
    engine: Engine
    config: Config
    clock: Clock
    logins: LoginGuard
    changed: Callable[[], None]  # new work recorded: the daemon wakes its sweep


# --- request and response bodies --------------------------------------------------------------

# The shapes of a moment and of a day, as patterns; what cannot be a pattern (a moment not in
# the future, a deadline not past: they depend on the clock) is named by the format, and said
# in the description. A request that breaks it is a 422.
_MOMENT = (
    r"^(\d{2}/\d{2}/\d{4}( \d{2}:\d{2}(:\d{2})?)?"  # dd/mm/yyyy HH:MM
    r"|\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:\d{2})?)$"  # ISO 8601
)
_DAY = r"^\d{2}/\d{2}/\d{4}( \d{2}:\d{2})?$"
_DATE = r"^(\d{2}/\d{2}/\d{4}|\d{4}-\d{2}-\d{2})$"
Day = Annotated[
    str,
    Query(
        max_length=10,
        pattern=_DATE,
        examples=["01/01/2027"],
        description="dd/mm/yyyy or yyyy-mm-dd",
        json_schema_extra={"format": "hanbao-day"},
    ),
]
Moment = Annotated[
    str,
    Field(
        description="dd/mm/yyyy HH:MM or ISO 8601; Vietnam time if naive; not in the future "
        "(a 422 says so)",
        examples=["04/02/2027 15:00"],
        max_length=40,
        pattern=_MOMENT,
        json_schema_extra={"format": "hanbao-past-moment"},
    ),
]


class CaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a mistake, not padding
    code: Annotated[
        str,
        Field(
            description="case code, never a name",
            max_length=64,
            pattern=r"^[A-Za-z0-9][A-Za-z0-9/._-]{0,63}$",
            examples=["VV-2027-001"],
        ),
    ]
    unit: Annotated[str, Field(max_length=64, examples=["X01"])]
    category: Annotated[str, Field(max_length=40, pattern=r"^[a-z0-9_]{1,40}$")] = "xam_hai"
    verified_at: Moment
    backfill: Annotated[
        bool,
        Field(description="record a case verified longer ago than backfill_horizon_days"),
    ] = False


class ReportIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a mistake, not padding
    stage: Annotated[str, Field(description="urgent, written, or a case kind id", max_length=64)]
    at: Moment


class CaseEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a mistake, not padding
    kind: Annotated[
        str,
        Field(
            description="an event the rules name: emergency_received, child_removed",
            max_length=64,
        ),
    ]
    at: Moment


class AdhocIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a mistake, not padding
    unit: Annotated[str, Field(max_length=64)]
    reference: Annotated[
        str,
        Field(
            description="the request's document number, printable text",
            max_length=120,
            pattern=r"\S",
            examples=["123/UBND-VX"],
        ),
    ]
    due: Annotated[
        str,
        Field(
            description="dd/mm/yyyy (end of that day) or dd/mm/yyyy HH:MM; not past (a 422 says "
            "so)",
            max_length=16,
            pattern=_DAY,
            examples=["30/04/2027"],
            json_schema_extra={"format": "hanbao-future-day"},
        ),
    ]
    requested_by: Annotated[
        str,
        Field(
            description="who asks, printable text",
            max_length=200,
            pattern=r"\S",
            examples=["UBND huyện"],
        ),
    ]
    # unless given, the kind that plays adhoc_request in the rules (_enumerate shows which)
    kind: Annotated[str, Field(max_length=64)] = ""


class SubmissionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")  # an unknown field is a mistake, not padding
    at: Moment


# the keys of receipt.DISPUTE_REASONS, spelt out for the schema (a test keeps them equal)
DisputeReason = Literal["not_received", "wrong_report", "incomplete", "unreadable"]


class DisputeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[
        DisputeReason,
        Field(
            description="why the receiving unit does not have the report: "
            + "; ".join(f"{k} ({v})" for k, v in receipt.DISPUTE_REASONS.items())
        ),
    ]


class ObligationOut(BaseModel):
    id: int
    key: str
    unit: str
    kind: str
    case: str | None
    period: str | None
    requested_by: str | None
    due: str
    state: Literal["open", "overdue", "submitted", "superseded"]
    submitted_at: str | None
    days_late: int
    next_action_at: str | None
    moved_from: str | None = None
    superseded_by: int | None = None
    submitted_via: Literal["mail", "link", "api", "cli"] | None = None
    confirmed_at: str | None = None
    disputed_at: str | None = None


class TimelinessOut(BaseModel):
    unit: str
    parent: str | None
    level: Literal["unit", "rollup"]
    kind: str
    period: str
    expected: int
    submitted: int
    on_time: int
    late: int
    missing: int
    on_time_rate: float | None
    mean_days_late: float | None
    max_days_late: int | None


class AuditOut(BaseModel):
    at: str
    actor: str
    action: str
    obligation: int | None
    case: str | None
    detail: dict[str, Any]


class HistoryOut(ObligationOut):
    steps: list[dict[str, Any]]
    mails: list[dict[str, Any]]
    audit: list[dict[str, Any]]


def _moment(text: str) -> datetime:
    return parse_datetime(text)


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


def caller(request: Request, authorization: Annotated[str | None, Header()] = None) -> Principal:
    """The token's principal: a valid token always works; a wrong one is 401, or 429 after too
    many failures (``scheduler.web.login_guard``)."""
    services: Services = request.app.state.services
    client = request.client.host if request.client else "?"
    token = (authorization or "").removeprefix("Bearer ").strip()
    with transaction(services.engine) as store:
        who = authenticate(store, token) if token else None
    if who is None:
        if services.logins.failed(services.engine, client, "api", services.clock.now()):
            raise HTTPException(
                429,
                "quá nhiều lần xác thực sai; thử lại sau 5 phút / too many failed "
                "authentications; try again in 5 minutes",
            )
        raise HTTPException(
            401,
            "cần token hợp lệ / a valid token is needed: Authorization: Bearer <token>",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return who


Caller = Annotated[Principal, Depends(caller)]


# --- the application -------------------------------------------------------------------------


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

    @app.get("/metrics", include_in_schema=False)
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

    app.include_router(web.router())
    app.include_router(timeliness_page.router())

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> JSONResponse:
        """On the event loop itself (it reads memory only): never queued behind the worker
        threads that API calls waiting on a busy database may fill."""
        healthy, body = health.report()
        return JSONResponse(body, status_code=200 if healthy else 503)

    def within(store: Store, who: Principal, unit: str) -> None:
        if unit not in reach(who, store.units()):
            raise NotFound(f"không có đơn vị / unknown unit {unit!r}")

    def visible(store: Store, who: Principal, obligation_id: int) -> Obligation:
        obligation = store.obligation(obligation_id)
        if obligation is None or obligation.unit not in reach(who, store.units()):
            raise NotFound(f"không có nghĩa vụ / unknown obligation {obligation_id}")
        return obligation

    def out(items: list[Obligation], now: datetime) -> list[ObligationOut]:
        return [ObligationOut(**o.as_json(now)) for o in items]

    def receiving(store: Store, who: Principal, obligation_id: int) -> None:
        """Only the side that receives the report has a word on it: a supervisor or leader of
        a unit above the one that owes it, or an admin; never the unit that owes it."""
        obligation = visible(store, who, obligation_id)
        if who.role == "officer" or who.unit == obligation.unit:
            raise HTTPException(
                403,
                "chỉ cơ quan cấp trên nhận báo cáo mới xác nhận hay báo chưa nhận / only the "
                "receiving side (a supervisor or leader of a unit above, or admin) confirms or "
                "disputes a submission",
            )

    @app.post(
        "/api/cases",
        responses=declared(400, 404, 409, 413),
        status_code=201,
        response_model=list[ObligationOut],
        summary="Open a verified case (creates the urgent report, 01 working day)",
    )
    def open_case(body: CaseIn, who: Caller) -> list[ObligationOut]:
        now = clock.now()
        with transaction(engine) as store:
            within(store, who, body.unit)
            created = ledger.open_case(
                store,
                config,
                body.code,
                body.unit,
                body.category,
                _moment(body.verified_at),
                now,
                who.actor,
                backfill=body.backfill,
            )
        services.changed()
        return out(created, now)

    @app.post(
        "/api/cases/{code}/reports",
        responses=declared(400, 404, 409, 413),
        response_model=list[ObligationOut],
        summary="Record a case report (urgent email, or the written report)",
    )
    def report_case(code: CaseCode, body: ReportIn, who: Caller) -> list[ObligationOut]:
        now = clock.now()
        with transaction(engine) as store:
            notice = config.rules.playing("urgent_notice")  # its unit: who may report the case
            urgent = notice and store.obligation_by_key(f"case:{code}:{notice.id}")
            if not urgent:
                raise NotFound(f"không có vụ việc / unknown case {code!r}")
            within(store, who, urgent.unit)
            done, started = ledger.report_case(
                store,
                config,
                code,
                body.stage,
                _moment(body.at),
                now,
                who.actor,
                via="api",
            )
        services.changed()
        return out([done, *started], now)

    @app.post(
        "/api/cases/{code}/events",
        responses=declared(400, 404, 409, 413),
        status_code=201,
        response_model=list[ObligationOut],
        summary="Record an event on a case (Decree 56/2017): emergency protection within 12 "
        "hours, a child's temporary removal (review by day 15)",
    )
    def case_event(code: CaseCode, body: CaseEventIn, who: Caller) -> list[ObligationOut]:
        now = clock.now()
        with transaction(engine) as store:
            notice = config.rules.playing("urgent_notice")  # its unit: who may report the case
            urgent = notice and store.obligation_by_key(f"case:{code}:{notice.id}")
            if not urgent:
                raise NotFound(f"không có vụ việc / unknown case {code!r}")
            within(store, who, urgent.unit)
            created = ledger.case_event(
                store, config, code, body.kind, _moment(body.at), now, who.actor
            )
        services.changed()
        return out(created, now)

    @app.post(
        "/api/adhoc",
        responses=declared(400, 403, 404, 409, 413),
        status_code=201,
        response_model=ObligationOut,
        summary="Request an ad-hoc report with the requester's deadline",
    )
    def request_adhoc(body: AdhocIn, who: Caller) -> ObligationOut:
        if who.role == "officer":
            raise HTTPException(
                403,
                "chỉ cơ quan cấp trên (supervisor, leader) yêu cầu báo cáo / only a supervising "
                "unit (supervisor, leader, admin) requests a report",
            )
        now = clock.now()
        with transaction(engine) as store:
            within(store, who, body.unit)
            created = ledger.request_adhoc(
                store,
                config,
                body.unit,
                body.reference,
                parse_deadline(body.due),
                body.requested_by,
                now,
                who.actor,
                body.kind if "kind" in body.model_fields_set else None,
            )
        services.changed()
        return out([created], now)[0]

    @app.post(
        "/api/obligations/{obligation_id}/submission",
        responses=declared(400, 404, 409, 413),
        response_model=list[ObligationOut],
        summary="Record that a report was submitted: its reminders stop at once",
    )
    def submit(obligation_id: ObligationId, body: SubmissionIn, who: Caller) -> list[ObligationOut]:
        now = clock.now()
        with transaction(engine) as store:
            visible(store, who, obligation_id)
            done, started = ledger.submit(
                store, config, obligation_id, _moment(body.at), now, who.actor, via="api"
            )
        services.changed()
        return out([done, *started], now)

    @app.post(
        "/api/obligations/{obligation_id}/confirmation",
        response_model=ObligationOut,
        responses=declared(403, 404, 409),
        summary="The receiving unit confirms it has the report (twice changes nothing)",
    )
    def confirm(obligation_id: ObligationId, who: Caller) -> ObligationOut:
        now = clock.now()
        with transaction(engine) as store:
            receiving(store, who, obligation_id)
            confirmed = receipt.confirm(store, config, obligation_id, now, who.actor)
        return out([confirmed], now)[0]

    @app.post(
        "/api/obligations/{obligation_id}/dispute",
        response_model=ObligationOut,
        responses=declared(400, 403, 404, 409, 413),
        summary="The receiving unit does not have the report: it is open again, reminders resume",
    )
    def dispute(obligation_id: ObligationId, body: DisputeIn, who: Caller) -> ObligationOut:
        now = clock.now()
        with transaction(engine) as store:
            receiving(store, who, obligation_id)
            disputed = receipt.dispute(store, config, obligation_id, body.reason, now, who.actor)
        return out([disputed], now)[0]

    @app.get(
        "/api/obligations",
        responses=declared(404),
        response_model=list[ObligationOut],
        summary="Obligations the token reaches, with filters",
    )
    def list_obligations(
        who: Caller,
        unit: Annotated[str | None, Query(max_length=64)] = None,
        kind: Annotated[str | None, Query(max_length=64)] = None,
        state: Literal["open", "overdue", "submitted"] | None = None,
    ) -> list[ObligationOut]:
        now = clock.now()
        with transaction(engine) as store:
            reached = reach(who, store.units())
            if unit is not None and unit not in reached:
                raise NotFound(f"không có đơn vị / unknown unit {unit!r}")
            items = [
                o
                for o in store.obligations(unit=unit)
                if o.unit in reached
                and (kind is None or o.kind == kind)
                and (state is None or o.state(now) == state)
            ]
        return out(items, now)

    @app.get(
        "/api/obligations/{obligation_id}",
        responses=declared(404),
        response_model=HistoryOut,
        summary="One obligation with its full history (steps, mails, audit)",
    )
    def read_obligation(obligation_id: ObligationId, who: Caller) -> HistoryOut:
        now = clock.now()
        with transaction(engine) as store:
            obligation = visible(store, who, obligation_id)
            history = store.history(obligation_id)
        return HistoryOut.model_validate({**obligation.as_json(now), **history})

    @app.get(
        "/api/timeliness",
        responses=declared(404),
        response_model=list[TimelinessOut],
        summary="Reporting rates per unit, kind and period, rolled up, within the token's reach",
    )
    def read_timeliness(
        who: Caller,
        first: Annotated[Day, Query(alias="from")],
        last: Annotated[Day, Query(alias="to", description="not before from (a 422 says so)")],
        unit: Annotated[str | None, Query(max_length=64)] = None,
        kind: Annotated[str | None, Query(max_length=64)] = None,
    ) -> list[dict[str, Any]]:
        start, end = parse_date(first), parse_date(last)
        if end < start:
            raise InvalidInput("to phải sau from / to must not be before from")
        if kind is not None:
            config.rules.kind(kind)
        with transaction(engine) as store:
            facts, units = timeliness.read(store, config.calendar, start, end, clock.now(), kind)
        reached = reach(who, units)
        top = unit or (None if who.role == "admin" else who.unit)
        if unit is not None and unit not in reached:
            raise NotFound(f"không có đơn vị / unknown unit {unit!r}")
        rows = timeliness.table(timeliness.within(facts, top) if top else facts, top=top)
        return [row.as_json() for row in rows if row.unit in reached]

    @app.get(
        "/api/audit",
        responses=declared(403),
        response_model=list[AuditOut],
        summary="The latest entries of the audit trail, newest first (admin); "
        "action=login_failed lists the failed logins",
    )
    def read_audit(
        who: Caller,
        action: Annotated[
            str | None, Query(max_length=64, examples=["login_failed"], pattern=r"^[a-z_]+$")
        ] = None,
        since: Day | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[AuditOut]:
        if who.role != "admin":
            raise HTTPException(403, "chỉ admin xem nhật ký / only an admin reads the audit trail")
        start = at(parse_date(since), time(0)) if since is not None else None
        with transaction(engine) as store:
            entries = AuditQueries(store.session).latest(action, start, limit)
        return [AuditOut(**e.as_json()) for e in entries]

    return app
