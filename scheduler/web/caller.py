"""Who calls the API, and what they may touch: the bearer token's principal (401, or 429 after
too many failures), and the checks that a unit or an obligation is within its reach (404 when
not) or that the caller is on the side that receives a report (403 when not)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, HTTPException, Request

from scheduler.errors import NotFound
from scheduler.records import Obligation
from scheduler.store.queries import Store, transaction
from scheduler.web.access import Principal, authenticate, reach
from scheduler.web.services import services


def caller(request: Request, authorization: Annotated[str | None, Header()] = None) -> Principal:
    """The token's principal: a valid token always works; a wrong one is 401, or 429 after too
    many failures (``scheduler.web.login_guard``)."""
    shared = services(request)
    client = request.client.host if request.client else "?"
    token = (authorization or "").removeprefix("Bearer ").strip()
    with transaction(shared.engine) as store:
        who = authenticate(store, token) if token else None
    if who is None:
        if shared.logins.failed(shared.engine, client, "api", shared.clock.now()):
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


def within(store: Store, who: Principal, unit: str) -> None:
    if unit not in reach(who, store.unit_tree()):
        raise NotFound(f"không có đơn vị / unknown unit {unit!r}")


def visible(store: Store, who: Principal, obligation_id: int) -> Obligation:
    obligation = store.obligation(obligation_id)
    if obligation is None or obligation.unit not in reach(who, store.unit_tree()):
        raise NotFound(f"không có nghĩa vụ / unknown obligation {obligation_id}")
    return obligation


def receiving(store: Store, who: Principal, obligation_id: int) -> None:
    """Only the side that receives the report has a word on it: a supervisor or leader of a
    unit above the one that owes it, or an admin; never the unit that owes it."""
    obligation = visible(store, who, obligation_id)
    if who.role == "officer" or who.unit == obligation.unit:
        raise HTTPException(
            403,
            "chỉ cơ quan cấp trên nhận báo cáo mới xác nhận hay báo chưa nhận / only the "
            "receiving side (a supervisor or leader of a unit above, or admin) confirms or "
            "disputes a submission",
        )
