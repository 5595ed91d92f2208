"""The one-click links in mail: ``/ack/<link>`` ("Đã gửi báo cáo", in a reminder),
``/confirm/<link>`` ("Đã nhận") and ``/dispute/<link>`` ("Chưa nhận được", in the district's
digest).

A GET only shows what would be recorded (mail scanners follow links); the form on it POSTs back
with a CSRF value derived from the link, and what it says is recorded once, in the name of the
recipient the link was signed for. A dispute's reason is chosen from a fixed list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse

from scheduler import links
from scheduler.deadlines.vntime import fmt_datetime
from scheduler.errors import Conflict, HanbaoError
from scheduler.hierarchy.units import Unit
from scheduler.lifecycle import ledger, receipt
from scheduler.links import LinkError
from scheduler.records import Obligation
from scheduler.store.queries import transaction
from scheduler.web.pages import page, polite
from scheduler.web.services import services

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


def router() -> APIRouter:
    pages = APIRouter(include_in_schema=False)

    def refused(request: Request, refusal: Refused) -> HTMLResponse:
        return polite(request, refusal.message, refusal.status)

    def opened(request: Request, link: str, purpose: links.Purpose) -> Opened:
        shared = services(request)
        key = shared.config.web.signing_key
        try:
            if key is None:
                raise LinkError("Chức năng xác nhận qua liên kết chưa được bật.")
            checked = links.verify(key, link, shared.clock.now(), purpose)
        except LinkError as error:
            raise Refused(error.reason, 400) from None
        with transaction(shared.engine) as store:
            obligation = store.obligation(checked.obligation_id)
            used = store.link_used(links.digest(link))
            unit = store.units([obligation.unit]).get(obligation.unit) if obligation else None
        if obligation is None or unit is None:
            raise Refused("Không tìm thấy báo cáo của liên kết này.", 404)
        kind = shared.config.rules.kinds.get(obligation.kind)
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
        shared = services(request)
        now = shared.clock.now()
        try:
            ack = opened(request, link, "ack")
            ack.check_csrf(link, csrf)
            with transaction(shared.engine) as store:
                if not store.use_link(links.digest(link), ack.obligation.id, ack.recipient, now):
                    raise Conflict("used")
                ledger.submit(
                    store,
                    shared.config,
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
        shared = services(request)
        now = shared.clock.now()
        try:
            answered = opened(request, link, purpose)
            answered.check_csrf(link, csrf)
            if purpose == "dispute" and reason not in receipt.DISPUTE_REASONS:
                raise Refused("Đề nghị chọn một lý do trong danh sách.", 422)
            actor = f"link:{answered.recipient}"
            obligation_id = answered.obligation.id
            with transaction(shared.engine) as store:
                current = store.obligation(obligation_id)
                assert current is not None
                awaiting(answered.link, current, store.link_used(links.digest(link)), purpose)
                if not store.use_link(links.digest(link), obligation_id, answered.recipient, now):
                    raise Refused(USED, 409)
                if purpose == "confirm":
                    receipt.confirm(store, shared.config, obligation_id, now, actor)
                else:
                    receipt.dispute(store, shared.config, obligation_id, reason, now, actor)
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

    return pages
