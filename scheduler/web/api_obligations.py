"""The API's obligations: an ad-hoc request, a submission, the receiving unit's confirmation or
dispute, and reading them (a list with filters, one with its history). Writes go through
``scheduler.lifecycle.ledger`` or ``receipt`` in one transaction, in the token's name."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Query

from scheduler.deadlines.vntime import parse_datetime, parse_deadline
from scheduler.errors import NotFound
from scheduler.lifecycle import ledger, receipt
from scheduler.store.queries import transaction
from scheduler.web.access import reach
from scheduler.web.bodies import (
    AdhocIn,
    DisputeIn,
    HistoryOut,
    ObligationId,
    ObligationOut,
    SubmissionIn,
    out,
)
from scheduler.web.caller import Caller, receiving, visible, within
from scheduler.web.problems import declared
from scheduler.web.services import Services


def router(services: Services) -> APIRouter:
    api = APIRouter()
    engine, config, clock = services.engine, services.config, services.clock

    @api.post(
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

    @api.post(
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
                store, config, obligation_id, parse_datetime(body.at), now, who.actor, via="api"
            )
        services.changed()
        return out([done, *started], now)

    @api.post(
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

    @api.post(
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

    @api.get(
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
            reached = reach(who, store.unit_tree())
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

    @api.get(
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

    return api
