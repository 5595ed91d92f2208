"""One-click links: the acknowledgement in a reminder, and the district's "Đã nhận" / "Chưa
nhận được" from its digest: once, signed for one purpose, expiring, and a GET changes nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from scheduler import links
from scheduler.lifecycle import ledger
from scheduler.lifecycle.receipt import DISPUTE_REASONS
from scheduler.lifecycle.sweep import sweep
from scheduler.mail.compose import compose
from scheduler.mail.render import Renderer
from scheduler.settings import Config
from scheduler.store.queries import transaction
from scheduler.store.schema import MessageRow
from tests.conftest import open_case, vn
from tests.test_api import KEY, NOW, Api, make_api

OFFICER = "treem@anbinh.huyenmau.tinhmau.example"


@pytest.fixture
def api(engine: Engine, config: Config) -> Iterator[Api]:
    made = make_api(engine, config)
    with made.running():
        yield made


def state(engine: Engine, obligation_id: int) -> tuple[str, str | None]:
    with transaction(engine) as store:
        obligation = store.obligation(obligation_id)
    assert obligation is not None
    return obligation.state(vn(NOW)), (
        obligation.submitted_at.strftime("%d/%m/%Y %H:%M") if obligation.submitted_at else None
    )


def link_for(obligation_id: int, *, at: str = NOW, days: int = 30, key: bytes = KEY) -> str:
    return links.sign(key, obligation_id, OFFICER, vn(at), days)


def confirm(api: Api, link: str, csrf: str | None = None) -> tuple[int, str]:
    response = api.client.post(f"/ack/{link}", data={"csrf": csrf or links.csrf(KEY, link)})
    return response.status_code, response.text


def test_a_link_works_once_and_records_the_time(api: Api, engine: Engine, config: Config) -> None:
    urgent = open_case(engine, config, "VV-ACK", "09/03/2027 15:00", "09/03/2027 15:00")
    link = link_for(urgent)
    page = api.client.get(f"/ack/{link}")
    assert page.status_code == 200 and "Xác nhận đã gửi báo cáo" in page.text
    assert "VV-ACK" in page.text and 'name="csrf"' in page.text
    assert state(engine, urgent) == ("open", None)  # the GET changed nothing
    code, text = confirm(api, link)
    assert code == 200 and "Đã ghi nhận" in text, text
    assert state(engine, urgent) == ("submitted", NOW)
    with transaction(engine) as store:
        audit = [a for a in store.audit_trail(urgent) if a.action == "submitted"]
    assert [a.actor for a in audit] == [f"link:{OFFICER}"]
    # a second use is refused, politely, saying when, and changes nothing
    assert confirm(api, link)[0] == 409
    again = api.client.get(f"/ack/{link}")
    assert again.status_code == 409 and f"trước đó, lúc {NOW}." in again.text


def test_get_alone_never_changes_anything(api: Api, engine: Engine, config: Config) -> None:
    urgent = open_case(engine, config, "VV-GET", "09/03/2027 15:00", "09/03/2027 15:00")
    link = link_for(urgent)
    for _ in range(3):  # a mail scanner following the link
        assert api.client.get(f"/ack/{link}").status_code == 200
    assert state(engine, urgent) == ("open", None)
    assert confirm(api, link)[0] == 200  # the link is still good for the person


@pytest.mark.parametrize(
    "how",
    [
        "tampered",
        "forged",
        "expired",
        "garbage",
        "padded",
        "non_ascii",
        "no_csrf",
        "csrf_non_ascii",
    ],
)
def test_bad_links_are_refused_politely(api: Api, engine: Engine, config: Config, how: str) -> None:
    urgent = open_case(engine, config, "VV-BAD", "09/03/2027 15:00", "09/03/2027 15:00")
    good = link_for(urgent)
    signature = good.split(".")[1]
    bad = {
        "tampered": links.sign(KEY, urgent + 1, OFFICER, vn(NOW), 30).split(".")[0]
        + "."
        + signature,
        "forged": link_for(urgent, key=b"x" * 48),
        "expired": link_for(urgent, at="01/01/2027 09:00", days=30),
        "garbage": "not-a-link",
        "padded": good + "=",  # decoded leniently, it was the same signature
        "non_ascii": good[:-1] + "é",
        "no_csrf": good,
        "csrf_non_ascii": good,
    }[how]
    if how in ("no_csrf", "csrf_non_ascii"):
        code, text = confirm(api, bad, csrf="wrong" if how == "no_csrf" else "sai-ở-đây")
        assert code == 403 and "Biểu mẫu không hợp lệ" in text
    else:
        assert api.client.get(f"/ack/{bad}").status_code == 400
        code, text = confirm(api, bad)
        assert code == 400
        assert ("hết hạn" if how == "expired" else "không hợp lệ") in text
    assert state(engine, urgent) == ("open", None)


def test_after_confirmation_the_obligation_stops_reminding(
    api: Api, engine: Engine, config: Config
) -> None:
    urgent = open_case(engine, config, "VV-STOP", "09/03/2027 15:00", "09/03/2027 15:00")
    sweep(engine, config, vn("09/03/2027 15:00"))
    assert confirm(api, link_for(urgent))[0] == 200
    later = sweep(engine, config, vn("20/03/2027 09:00"))
    assert [e for e in later if e.obligation.id == urgent] == []


def test_reminder_mails_carry_a_working_link(api: Api, engine: Engine, config: Config) -> None:
    cfg = replace(
        config, web=replace(config.web, signing_key=KEY, base_url="https://hanbao.huyen.example")
    )
    urgent = open_case(engine, cfg, "VV-MAIL", "09/03/2027 15:00", "09/03/2027 15:00")
    sweep(engine, cfg, vn("09/03/2027 15:00"))
    with transaction(engine) as store:
        compose(store, cfg, Renderer(cfg.mail.domain), vn("09/03/2027 15:00"))
        bodies = {m.recipient: m.body_text for m in store.session.exec(select(MessageRow))}
    text = bodies[OFFICER]
    (url,) = re.findall(r"https://hanbao\.huyen\.example/ack/(\S+)", text)
    assert links.verify(KEY, url, vn(NOW)).recipient == OFFICER
    assert confirm(api, url)[0] == 200
    assert state(engine, urgent)[0] == "submitted"


# --- the district's word: "Đã nhận" and "Chưa nhận được" from the digest ----------------------

SUPERVISOR = "laodong@huyenmau.tinhmau.example"
SUBMITTED = "10/03/2027 08:30"


def submitted(engine: Engine, config: Config, code: str, at: str = SUBMITTED) -> int:
    urgent = open_case(engine, config, code, "09/03/2027 15:00", "09/03/2027 15:00")
    with transaction(engine) as store:
        ledger.submit(store, config, urgent, vn(at), vn(at), "test", via="link")
    return urgent


def word_link(purpose: links.Purpose, obligation_id: int, at: str = SUBMITTED) -> str:
    return links.sign(KEY, obligation_id, SUPERVISOR, vn(NOW), 30, purpose, vn(at))


def answer(api: Api, purpose: str, link: str, **form: str) -> tuple[int, str]:
    response = api.client.post(f"/{purpose}/{link}", data={"csrf": links.csrf(KEY, link), **form})
    return response.status_code, response.text


def word_on(engine: Engine, obligation_id: int) -> list[str | None]:
    """[submitted, confirmed, disputed] as dd/mm/yyyy HH:MM."""
    with transaction(engine) as store:
        o = store.obligation(obligation_id)
    assert o is not None
    return [
        m.strftime("%d/%m/%Y %H:%M") if m else None
        for m in (o.submitted_at, o.confirmed_at, o.disputed_at)
    ]


def test_the_district_confirms_once_by_its_link_and_a_get_changes_nothing(
    api: Api, engine: Engine, config: Config
) -> None:
    urgent = submitted(engine, config, "VV-NHAN")
    link = word_link("confirm", urgent)
    for _ in range(3):  # a mail scanner following the link
        page = api.client.get(f"/confirm/{link}")
        assert page.status_code == 200 and 'id="confirm"' in page.text
    assert "Ghi nhận đã gửi lúc: 10/03/2027 08:30" in page.text and "VV-NHAN" in page.text
    assert word_on(engine, urgent) == [SUBMITTED, None, None]
    assert answer(api, "confirm", link, csrf="wrong")[0] == 403
    assert word_on(engine, urgent) == [SUBMITTED, None, None]
    code, text = answer(api, "confirm", link)
    assert code == 200 and "Đã ghi nhận việc cơ quan đã nhận được báo cáo" in text, text
    assert word_on(engine, urgent) == [SUBMITTED, NOW, None]
    with transaction(engine) as store:
        audit = [a for a in store.audit_trail(urgent) if a.action == "submission_confirmed"]
    assert [a.actor for a in audit] == [f"link:{SUPERVISOR}"]
    assert answer(api, "confirm", link)[0] == 409  # a link works once
    again = api.client.get(f"/confirm/{link}")
    assert again.status_code == 409 and "mỗi liên kết chỉ dùng một lần" in again.text


def test_the_dispute_page_offers_only_the_fixed_reasons_and_reopens_the_report(
    api: Api, engine: Engine, config: Config
) -> None:
    urgent = submitted(engine, config, "VV-CHUA")
    link = word_link("dispute", urgent)
    page = api.client.get(f"/dispute/{link}")
    assert page.status_code == 200
    assert re.findall(r'<option value="([a-z_]+)">', page.text) == list(DISPUTE_REASONS)
    assert "<textarea" not in page.text and 'type="text"' not in page.text
    assert word_on(engine, urgent) == [SUBMITTED, None, None]  # the GET changed nothing
    assert answer(api, "dispute", link, reason="Nguyễn Văn A")[0] == 422
    assert answer(api, "dispute", link)[0] == 422  # no reason chosen
    assert word_on(engine, urgent) == [SUBMITTED, None, None]
    code, text = answer(api, "dispute", link, reason="incomplete")
    assert code == 200 and "Báo cáo thiếu nội dung hoặc sai mẫu" in text
    assert word_on(engine, urgent) == [None, None, NOW]
    assert state(engine, urgent) == ("open", None)  # due 10/03 23:59: open again, not yet late
    with transaction(engine) as store:
        (audit,) = [a for a in store.audit_trail(urgent) if a.action == "submission_disputed"]
    assert (audit.actor, audit.detail["reason"]) == (f"link:{SUPERVISOR}", "incomplete")
    # the confirm link of the same digest has nothing left to confirm
    stale = api.client.get(f"/confirm/{word_link('confirm', urgent)}")
    assert stale.status_code == 409 and "không được ghi nhận là đã nộp" in stale.text
    # the commune sends it again: the old links do not speak for the new submission
    with transaction(engine) as store:
        ledger.submit(store, config, urgent, vn(NOW), vn(NOW), "test", via="cli")
    newer = api.client.get(f"/confirm/{word_link('confirm', urgent)}")
    assert newer.status_code == 409 and "thư tổng hợp mới nhất" in newer.text
    assert answer(api, "confirm", word_link("confirm", urgent))[0] == 409
    assert word_on(engine, urgent) == [NOW, None, None]
    assert answer(api, "confirm", word_link("confirm", urgent, at=NOW))[0] == 200


@pytest.mark.parametrize(
    ("page", "purpose"),
    [("ack", "confirm"), ("confirm", "dispute"), ("dispute", "confirm"), ("confirm", "ack")],
)
def test_a_link_signed_for_one_purpose_is_refused_by_another_page(
    api: Api, engine: Engine, config: Config, page: str, purpose: links.Purpose
) -> None:
    urgent = submitted(engine, config, "VV-NOI")
    link = word_link(purpose, urgent)
    refused = api.client.get(f"/{page}/{link}")
    assert refused.status_code == 400 and "không hợp lệ" in refused.text
    assert answer(api, page, link, reason="not_received")[0] == 400
    assert word_on(engine, urgent) == [SUBMITTED, None, None]


@pytest.mark.parametrize("purpose", ["ack", "confirm", "dispute"])
def test_links_signed_before_the_signing_module_still_work(purpose: links.Purpose) -> None:
    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    fields: dict[str, object] = {
        "o": 7,
        "r": OFFICER,
        "e": int((vn(NOW) + timedelta(days=30)).timestamp()),
    }
    if purpose != "ack":
        fields["s"] = int(vn(SUBMITTED).timestamp())
    payload = json.dumps(fields, separators=(",", ":")).encode()
    mac = hmac.new(KEY, purpose.encode() + b"|" + payload, hashlib.sha256).digest()
    old = f"{b64(payload)}.{b64(mac)}"
    at = None if purpose == "ack" else vn(SUBMITTED)
    assert links.sign(KEY, 7, OFFICER, vn(NOW), 30, purpose, at) == old
    link = links.verify(KEY, old, vn(NOW), purpose)
    assert (link.obligation_id, link.about(at)) == (7, purpose != "ack")
