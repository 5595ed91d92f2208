"""One-click acknowledgement: once, signed, expiring, and a GET changes nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from scheduler import links
from scheduler.compose import compose
from scheduler.render import Renderer
from scheduler.settings import Config
from scheduler.store.queries import transaction
from scheduler.store.schema import MessageRow
from scheduler.sweep import sweep
from tests.conftest import open_case, vn
from tests.test_api import KEY, NOW, Api, make_api

OFFICER = "treem@anbinh.huyenmau.tinhmau.example"


@pytest.fixture
def api(engine: Engine, config: Config) -> Iterator[Api]:
    made = make_api(engine, config)
    with made.client:
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


@pytest.mark.parametrize("how", ["tampered", "forged", "expired", "garbage", "no_csrf"])
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
        "no_csrf": good,
    }[how]
    if how == "no_csrf":
        code, text = confirm(api, bad, csrf="wrong")
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
