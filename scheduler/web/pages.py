"""What every page shares, and the login: the templates, the leaders' session (a signed,
HttpOnly, SameSite=Strict cookie, for a leader, supervisor or admin token) and the dependency
that sends anyone else to ``/login``. The pages themselves: ``link_pages`` (the one-click links
in mail), ``overview_page`` and ``timeliness_page`` (the leaders')."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from scheduler import shipped, signing
from scheduler.store.queries import transaction
from scheduler.web.access import Principal, authenticate, principal
from scheduler.web.services import services

TEMPLATES = Jinja2Templates(directory=shipped.WEB_TEMPLATES)
SESSION = "hanbao_session"
SESSION_HOURS = 8
PAGE_ROLES = ("leader", "supervisor", "admin")


def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status)


def polite(request: Request, message: str, status: int) -> HTMLResponse:
    return page(request, "message.html", status, message=message)


def _session_value(key: bytes, token_id: int, now: datetime) -> str:
    expires = signing.expiry(now + timedelta(hours=SESSION_HOURS))
    return signing.sign(key, "session", {"t": token_id, signing.EXPIRES: expires})


def _session_token(key: bytes, value: str, now: datetime) -> int | None:
    """The token a session cookie was signed for; None for anything that does not verify."""
    try:
        return int(signing.verify(key, "session", value, now)["t"])
    except signing.Invalid:
        return None


def viewer(request: Request) -> Principal:
    """The signed-in leader or supervisor; anyone else is sent to the login page."""
    shared = services(request)
    key = shared.config.web.signing_key
    value = request.cookies.get(SESSION)
    token_id = _session_token(key, value, shared.clock.now()) if key and value else None
    who = None
    if token_id is not None:
        with transaction(shared.engine) as store:
            who = principal(store, token_id)
    if who is None:
        raise HTTPException(303, "đăng nhập / log in", headers={"Location": "/login"})
    return who


Viewer = Annotated[Principal, Depends(viewer)]


def router() -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    @pages.get("/login", response_class=HTMLResponse)
    def login_form(request: Request) -> HTMLResponse:
        return page(request, "login.html", error=None)

    @pages.post("/login", response_class=HTMLResponse, response_model=None)
    def login(
        request: Request, token: Annotated[str, Form(max_length=200)] = ""
    ) -> HTMLResponse | Response:
        shared = services(request)
        client = request.client.host if request.client else "?"
        key = shared.config.web.signing_key
        if key is None:
            return polite(request, "Chưa đặt HANBAO_SIGNING_KEY: chưa đăng nhập được.", 503)
        with transaction(shared.engine) as store:
            who = authenticate(store, token.strip())
        if who is None or who.role not in PAGE_ROLES:  # a valid token always gets in
            if shared.logins.failed(shared.engine, client, "page", shared.clock.now()):
                return page(
                    request, "login.html", 429, error="Sai quá nhiều lần. Thử lại sau 5 phút."
                )
            return page(
                request,
                "login.html",
                401,
                error="Token không đúng, hoặc không phải của lãnh đạo/bộ phận theo dõi.",
            )
        response = RedirectResponse("/overview", status_code=303)
        response.set_cookie(
            SESSION,
            _session_value(key, who.token_id, shared.clock.now()),
            max_age=SESSION_HOURS * 3600,
            httponly=True,
            samesite="strict",
            secure=shared.config.web.base_url.startswith("https"),
        )
        return response

    @pages.post("/logout")
    def logout() -> Response:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION)
        return response

    return pages
