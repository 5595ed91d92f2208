"""The API's reports: the reporting rates within the token's reach, and the admin's reading of
the audit trail."""

from __future__ import annotations

from datetime import time
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from scheduler.deadlines.vntime import at, parse_date
from scheduler.errors import InvalidInput, NotFound
from scheduler.reports import timeliness
from scheduler.store.queries import transaction
from scheduler.web.access import reach
from scheduler.web.bodies import AuditOut, Day, TimelinessOut
from scheduler.web.caller import Caller
from scheduler.web.problems import declared
from scheduler.web.services import Services


def router(services: Services) -> APIRouter:
    api = APIRouter()
    engine, config, clock = services.engine, services.config, services.clock

    @api.get(
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

    @api.get(
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
            entries = store.audit_log.latest(action, start, limit)
        return [AuditOut(**e.as_json()) for e in entries]

    return api
