"""The pages people open: the one-click links in mail, and the leaders' overview.

``/ack/<link>`` ("Đã gửi báo cáo", in a reminder), ``/confirm/<link>`` ("Đã nhận") and
``/dispute/<link>`` ("Chưa nhận được", in the district's digest): a GET only shows what would be
recorded (mail scanners follow links); the form on it POSTs back with a CSRF value derived from
the link, and what it says is recorded once, in the name of the recipient the link was signed
for. A dispute's reason is chosen from a fixed list.
``/overview``: server-rendered, Vietnamese, readable on a phone, behind a login with a leader,
supervisor or admin token; the session is a signed, HttpOnly, SameSite=Strict cookie.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from scheduler import links, shipped, signing
from scheduler.deadlines.vntime import at, fmt_datetime, month_of, months_ending
from scheduler.errors import Conflict, HanbaoError
from scheduler.hierarchy.units import Unit
from scheduler.lifecycle import ledger, receipt
from scheduler.links import LinkError
from scheduler.records import Obligation
from scheduler.reports import overdue as report
from scheduler.store.queries import transaction
from scheduler.web.access import Principal, authenticate, principal, reach

TEMPLATES = Jinja2Templates(directory=shipped.WEB_TEMPLATES)
SESSION = "hanbao_session"
SESSION_HOURS = 8
TREND_MONTHS = 12  # the leaders' trend of late flags: calendar months, this one last
PAGE_ROLES = ("leader", "supervisor", "admin")
USED = "Ý kiến này đã được ghi nhận trước đó: mỗi liên kết chỉ dùng một lần."
Answer = Literal["confirm", "dispute"]  # the receiving unit's word on a submission


class Refused(HanbaoError):
    """What a link page politely tells the person instead, with its HTTP status."""

    def __init__(self, message: str, status: int) -> None:
        self.message, self.status = message, status
        super().__init__(message)


@dataclass(frozen=True)
class Opened:
    """A verified link with the obligation it is about, as its page shows it."""

    link: links.Link
    key: bytes
    obligation: Obligation
    unit: Unit
    kind_name: str
    used: bool

    @property
    def recipient(self) -> str:
        return self.link.recipient

    def check_csrf(self, token: str, csrf: str) -> None:
        if not links.csrf_matches(self.key, token, csrf):
            raise Refused("Biểu mẫu không hợp lệ. Đề nghị mở lại liên kết trong thư.", 403)

    def context(self, token: str) -> dict[str, Any]:
        return {
            "obligation": self.obligation,
            "unit": self.unit,
            "kind_name": self.kind_name,
            "due": fmt_datetime(self.obligation.due_at),
            "recipient": self.recipient,
            "csrf": links.csrf(self.key, token),
            "link": token,
        }


def awaiting(link: links.Link, obligation: Obligation, used: bool, purpose: Answer) -> None:
    """Refuse a confirm or dispute link that has nothing left to say: used already, about a
    submission that is no longer the one recorded, or (to confirm) confirmed already."""
    if used:
        raise Refused(USED, 409)
    if not link.about(obligation.submitted_at):
        if obligation.submitted_at is None:
            raise Refused(
                "Báo cáo này hiện không được ghi nhận là đã nộp"
                + (f" ({receipt.describe(obligation)})" if obligation.disputed_at else "")
                + ": không còn gì để xác nhận.",
                409,
            )
        raise Refused(
            "Báo cáo này đã được ghi nhận lại sau thư tổng hợp có liên kết này. Đề nghị dùng "
            "liên kết trong thư tổng hợp mới nhất.",
            409,
        )
    if purpose == "confirm" and obligation.confirmed_at is not None:
        raise Refused(
            "Việc nhận báo cáo này đã được xác nhận trước đó, lúc "
            f"{fmt_datetime(obligation.confirmed_at)}.",
            409,
        )


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
    services = request.app.state.services
    key = services.config.web.signing_key
    value = request.cookies.get(SESSION)
    token_id = _session_token(key, value, services.clock.now()) if key and value else None
    who = None
    if token_id is not None:
        with transaction(services.engine) as store:
            who = principal(store, token_id)
    if who is None:
        raise HTTPException(303, "đăng nhập / log in", headers={"Location": "/login"})
    return who


Viewer = Annotated[Principal, Depends(viewer)]


def router() -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        return TEMPLATES.TemplateResponse(request, name, context, status_code=status)

    def polite(request: Request, message: str, status: int) -> HTMLResponse:
        return page(request, "message.html", status, message=message)

    # --- one-click links: "Đã gửi báo cáo", "Đã nhận", "Chưa nhận được" ----------------------

    def refused(request: Request, refusal: Refused) -> HTMLResponse:
        return polite(request, refusal.message, refusal.status)

    def opened(request: Request, link: str, purpose: links.Purpose) -> Opened:
        services = request.app.state.services
        key = services.config.web.signing_key
        try:
            if key is None:
                raise LinkError("Chức năng xác nhận qua liên kết chưa được bật.")
            checked = links.verify(key, link, services.clock.now(), purpose)
        except LinkError as error:
            raise Refused(error.reason, 400) from None
        with transaction(services.engine) as store:
            obligation = store.obligation(checked.obligation_id)
            used = store.link_used(links.digest(link))
            unit = store.units([obligation.unit]).get(obligation.unit) if obligation else None
        if obligation is None or unit is None:
            raise Refused("Không tìm thấy báo cáo của liên kết này.", 404)
        kind = services.config.rules.kinds.get(obligation.kind)
        return Opened(checked, key, obligation, unit, kind.name if kind else obligation.kind, used)

    @pages.get("/ack/{link}", response_class=HTMLResponse)
    def ack_form(request: Request, link: str) -> HTMLResponse:
        try:
            ack = opened(request, link, "ack")
        except Refused as refusal:
            return refused(request, refusal)
        obligation = ack.obligation
        if ack.used or obligation.submitted_at is not None:
            when = (
                f", lúc {fmt_datetime(obligation.submitted_at)}" if obligation.submitted_at else ""
            )
            return polite(request, f"Việc gửi báo cáo này đã được ghi nhận trước đó{when}.", 409)
        return page(request, "ack.html", **ack.context(link))

    @pages.post("/ack/{link}", response_class=HTMLResponse)
    def ack_confirm(
        request: Request, link: str, csrf: Annotated[str, Form(max_length=100)] = ""
    ) -> HTMLResponse:
        services = request.app.state.services
        now = services.clock.now()
        try:
            ack = opened(request, link, "ack")
            ack.check_csrf(link, csrf)
            with transaction(services.engine) as store:
                if not store.use_link(links.digest(link), ack.obligation.id, ack.recipient, now):
                    raise Conflict("used")
                ledger.submit(
                    store,
                    services.config,
                    ack.obligation.id,
                    now,
                    now,
                    f"link:{ack.recipient}",
                    via="link",
                )
        except Refused as refusal:
            return refused(request, refusal)
        except Conflict:
            return polite(request, "Việc gửi báo cáo này đã được ghi nhận trước đó.", 409)
        return page(request, "ack_done.html", at=fmt_datetime(now), what="việc gửi báo cáo")

    def answer_form(request: Request, link: str, purpose: Answer) -> HTMLResponse:
        try:
            answer = opened(request, link, purpose)
            awaiting(answer.link, answer.obligation, answer.used, purpose)
        except Refused as refusal:
            return refused(request, refusal)
        obligation = answer.obligation
        assert obligation.submitted_at is not None
        return page(
            request,
            "answer.html",
            **answer.context(link),
            purpose=purpose,
            submitted=fmt_datetime(obligation.submitted_at),
            standing=receipt.describe(obligation),
            reasons=receipt.DISPUTE_REASONS,
        )

    def answer(
        request: Request, link: str, purpose: Answer, csrf: str, reason: str
    ) -> HTMLResponse:
        services = request.app.state.services
        now = services.clock.now()
        try:
            answered = opened(request, link, purpose)
            answered.check_csrf(link, csrf)
            if purpose == "dispute" and reason not in receipt.DISPUTE_REASONS:
                raise Refused("Đề nghị chọn một lý do trong danh sách.", 422)
            actor = f"link:{answered.recipient}"
            obligation_id = answered.obligation.id
            with transaction(services.engine) as store:
                current = store.obligation(obligation_id)
                assert current is not None
                awaiting(answered.link, current, store.link_used(links.digest(link)), purpose)
                if not store.use_link(links.digest(link), obligation_id, answered.recipient, now):
                    raise Refused(USED, 409)
                if purpose == "confirm":
                    receipt.confirm(store, services.config, obligation_id, now, actor)
                else:
                    receipt.dispute(store, services.config, obligation_id, reason, now, actor)
        except Refused as refusal:
            return refused(request, refusal)
        except Conflict:
            return polite(request, "Báo cáo vừa thay đổi. Đề nghị mở lại liên kết trong thư.", 409)
        what = (
            "việc cơ quan đã nhận được báo cáo"
            if purpose == "confirm"
            else f"việc cơ quan chưa nhận được báo cáo ({receipt.DISPUTE_REASONS[reason]})"
        )
        return page(request, "ack_done.html", at=fmt_datetime(now), what=what)

    @pages.get("/confirm/{link}", response_class=HTMLResponse)
    def confirm_form(request: Request, link: str) -> HTMLResponse:
        return answer_form(request, link, "confirm")

    @pages.post("/confirm/{link}", response_class=HTMLResponse)
    def confirm_post(
        request: Request, link: str, csrf: Annotated[str, Form(max_length=100)] = ""
    ) -> HTMLResponse:
        return answer(request, link, "confirm", csrf, "")

    @pages.get("/dispute/{link}", response_class=HTMLResponse)
    def dispute_form(request: Request, link: str) -> HTMLResponse:
        return answer_form(request, link, "dispute")

    @pages.post("/dispute/{link}", response_class=HTMLResponse)
    def dispute_post(
        request: Request,
        link: str,
        csrf: Annotated[str, Form(max_length=100)] = "",
        reason: Annotated[str, Form(max_length=40)] = "",
    ) -> HTMLResponse:
        return answer(request, link, "dispute", csrf, reason)

    # --- login and the overview -----------------------------------------------------------

    @pages.get("/login", response_class=HTMLResponse)
    def login_form(request: Request) -> HTMLResponse:
        return page(request, "login.html", error=None)

    @pages.post("/login", response_class=HTMLResponse, response_model=None)
    def login(
        request: Request, token: Annotated[str, Form(max_length=200)] = ""
    ) -> HTMLResponse | Response:
        services = request.app.state.services
        client = request.client.host if request.client else "?"
        key = services.config.web.signing_key
        if key is None:
            return polite(request, "Chưa đặt HANBAO_SIGNING_KEY: chưa đăng nhập được.", 503)
        with transaction(services.engine) as store:
            who = authenticate(store, token.strip())
        if who is None or who.role not in PAGE_ROLES:  # a valid token always gets in
            if services.logins.failed(services.engine, client, "page", services.clock.now()):
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
            _session_value(key, who.token_id, services.clock.now()),
            max_age=SESSION_HOURS * 3600,
            httponly=True,
            samesite="strict",
            secure=services.config.web.base_url.startswith("https"),
        )
        return response

    @pages.post("/logout")
    def logout() -> Response:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION)
        return response

    @pages.get("/overview", response_class=HTMLResponse, response_model=None)
    def overview(
        request: Request, who: Viewer, parent: str | None = None, kind: str | None = None
    ) -> HTMLResponse | Response:
        services = request.app.state.services
        now = services.clock.now()
        months = months_ending(now, TREND_MONTHS)
        with transaction(services.engine) as store:
            units = store.units()
            reached = reach(who, units)

            def shown(o: Obligation) -> bool:
                return (
                    o.unit in reached
                    and (kind is None or o.kind == kind)
                    and (parent is None or units[o.unit].parent == parent)
                )

            open_items = [o for o in store.obligations(open_only=True) if shown(o)]
            week_ago = now - timedelta(days=7)
            submitted = [o for o in store.obligations(submitted_since=week_ago) if shown(o)]
            flags = store.late_flags(reached, at(months[0], time(0)))
        soon = now + timedelta(days=7)
        groups: dict[str, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
        for o in open_items:
            if o.due_at < now or o.due_at <= soon:
                groups[units[o.unit].parent or ""][o.unit].append(o)
        per_month = Counter(month_of(when) for _, when in flags)
        kinds = services.config.rules.kinds
        return page(
            request,
            "overview.html",
            now=fmt_datetime(now),
            units=units,
            groups=groups,
            kinds=kinds,
            # the filter offers what can still be late: not a one-off plan of years ago
            choices={k: v for k, v in kinds.items() if not v.over(now) or k == kind},
            parent=parent,
            kind=kind,
            fmt=fmt_datetime,
            current=now,
            overdue=sum(o.due_at < now for o in open_items),
            due_soon=sum(now <= o.due_at <= soon for o in open_items),
            trend=[(f"{m:%m/%Y}", per_month[m]) for m in months],
            peak=max(per_month.values(), default=1),
            parents=sorted({units[c].parent for c in reached if units[c].parent} & reached),
            submitted=sorted(submitted, key=lambda o: o.submitted_at or now, reverse=True),
            standing=receipt.describe,
        )

    @pages.get("/overview/unit/{code}", response_class=HTMLResponse, response_model=None)
    def unit_history(request: Request, code: str, who: Viewer) -> HTMLResponse | Response:
        services = request.app.state.services
        now = services.clock.now()
        with transaction(services.engine) as store:
            units = store.units()
            if code not in reach(who, units):
                return polite(request, "Không có đơn vị này.", 404)
            items = store.obligations(unit=code, moved_out=True)
        return page(
            request,
            "unit.html",
            unit=units[code],
            items=items,
            now=now,
            fmt=fmt_datetime,
            kinds=services.config.rules.kinds,
            standing=receipt.describe,
        )

    @pages.get("/overview/export.{fmt}", response_model=None)
    def export(request: Request, fmt: str, who: Viewer) -> Response:
        if fmt not in ("xlsx", "csv"):
            return polite(request, "Định dạng xlsx hoặc csv.", 404)
        services = request.app.state.services
        now = services.clock.now()
        with transaction(services.engine) as store:
            units = store.units()
            reached = reach(who, units)
            items = [
                o for o in store.obligations(open_only=True, due_before=now) if o.unit in reached
            ]
        rows = report.overdue_rows(items, units, services.config.rules, now)
        data = report.to_csv(rows) if fmt == "csv" else report.to_xlsx(rows, now)
        media = (
            "text/csv; charset=utf-8"
            if fmt == "csv"
            else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        name = f"qua-han-{now:%Y%m%d}.{fmt}"
        return Response(
            data,
            media_type=media,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    return pages
