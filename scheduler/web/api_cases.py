"""The API's cases: opening a verified case, recording its reports, and the events the law
attaches deadlines to. Each write goes through ``scheduler.lifecycle.ledger`` in one
transaction, in the token's name, and wakes the daemon's sweep."""

from __future__ import annotations

from fastapi import APIRouter

from scheduler.deadlines.vntime import parse_datetime
from scheduler.errors import NotFound
from scheduler.lifecycle import ledger
from scheduler.store.queries import transaction
from scheduler.web.bodies import CaseCode, CaseEventIn, CaseIn, ObligationOut, ReportIn, out
from scheduler.web.caller import Caller, within
from scheduler.web.problems import declared
from scheduler.web.services import Services


def router(services: Services) -> APIRouter:
    api = APIRouter()
    engine, config, clock = services.engine, services.config, services.clock

    @api.post(
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
                parse_datetime(body.verified_at),
                now,
                who.actor,
                backfill=body.backfill,
            )
        services.changed()
        return out(created, now)

    @api.post(
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
                parse_datetime(body.at),
                now,
                who.actor,
                via="api",
            )
        services.changed()
        return out([done, *started], now)

    @api.post(
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
                store, config, code, body.kind, parse_datetime(body.at), now, who.actor
            )
        services.changed()
        return out(created, now)

    return api
