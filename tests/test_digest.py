"""The district's digest: the reports it received, with their "Đã nhận" / "Chưa nhận được"
links, and the mail its intake could not match, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlmodel import col, select

from jobs import Context
from jobs import digest as digest_job
from scheduler import links
from scheduler.clock import SimulatedClock
from scheduler.intake.record import take
from scheduler.lifecycle import ledger, receipt
from scheduler.lifecycle.sweep import sweep
from scheduler.links import LinkError
from scheduler.mail.digest import digest
from scheduler.mail.render import Renderer
from scheduler.monitoring.health import Health
from scheduler.monitoring.metrics import Metrics
from scheduler.settings import Config
from scheduler.store.queries import transaction
from scheduler.store.schema import MessageRow
from tests.conftest import open_case, vn
from tests.workload import queue_mail

KEY = b"d" * 48
SITE = "https://hanbao.huyen.example"
SUPERVISOR = "laodong@huyenmau.tinhmau.example"
OFFICER = "treem@anbinh.huyenmau.tinhmau.example"
SECRET_SUBJECT = "Bao cao VV-DIG ve chau Bi Mat o thon Xa"


@pytest.fixture
def cfg(config: Config) -> Config:
    return replace(config, web=replace(config.web, signing_key=KEY, base_url=SITE))


def submit(engine: Engine, cfg: Config, code: str, kind: str, at: str) -> int:
    with transaction(engine) as store:
        obligation = store.obligation_by_key(f"case:{code}:{kind}")
        assert obligation is not None
        ledger.submit(store, cfg, obligation.id, vn(at), vn(at), "test", via="link")
    return obligation.id


def queue(engine: Engine, cfg: Config, at: str) -> int:
    with transaction(engine) as store:
        return digest(store, cfg, Renderer(cfg.mail.domain), vn(at))


def digests(engine: Engine) -> list[MessageRow]:
    with transaction(engine) as store:
        rows = store.session.exec(select(MessageRow).order_by(col(MessageRow.id)))
        return [m for m in rows if m.template == "digest"]


def mail(sender: str, subject: str, message_id: str) -> bytes:
    return (
        f"From: <{sender}>\r\nTo: <baocao@huyenmau.tinhmau.example>\r\n"
        f"Subject: {subject}\r\nMessage-ID: <{message_id}>\r\n\r\n"
        "MAT-BODY-MARKER noi dung bao cao\r\n"
    ).encode()


def test_the_digest_asks_the_district_to_confirm_each_report_received(
    engine: Engine, cfg: Config
) -> None:
    open_case(engine, cfg, "VV-DIG", "03/03/2027 10:00", "03/03/2027 10:00")
    urgent = submit(engine, cfg, "VV-DIG", "urgent_report", "03/03/2027 15:00")
    submit(engine, cfg, "VV-DIG", "support_plan", "03/03/2027 15:30")  # stays in the commune
    assert queue(engine, cfg, "04/03/2027 08:30") == 1
    (sent,) = digests(engine)
    assert sent.recipient == SUPERVISOR
    assert sent.subject == (
        "[TỔNG HỢP] UBND huyện Mẫu Sơn: 1 báo cáo đã nhận cần xác nhận ngày 04/03/2027"
    )
    text = sent.body_text
    assert "* UBND xã An Bình (X01): VV-DIG - Báo cáo nhanh" in text
    assert f"vụ việc xâm hại trẻ em (mã nghĩa vụ {urgent})" in text
    assert "gửi lúc 03/03/2027 15:00 - Đơn vị tự báo đã gửi (qua liên kết)" in text
    assert "Kế hoạch hỗ trợ" not in text  # the district has no word on a commune's own plan
    (confirm_url,) = re.findall(rf"Đã nhận: {SITE}/confirm/(\S+)", text)
    (dispute_url,) = re.findall(rf"Chưa nhận được: {SITE}/dispute/(\S+)", text)
    assert f"{SITE}/confirm/{confirm_url}" in sent.body_html
    now = vn("04/03/2027 09:00")
    confirmed = links.verify(KEY, confirm_url, now, "confirm")
    assert (confirmed.obligation_id, confirmed.recipient) == (urgent, SUPERVISOR)
    assert confirmed.about(vn("03/03/2027 15:00"))
    assert links.verify(KEY, dispute_url, now, "dispute").obligation_id == urgent
    wrong: list[tuple[str, links.Purpose]] = [
        (confirm_url, "dispute"),
        (confirm_url, "ack"),
        (dispute_url, "confirm"),
        (dispute_url, "ack"),
    ]
    for url, purpose in wrong:
        with pytest.raises(LinkError):
            links.verify(KEY, url, now, purpose)


def test_thu_chua_khop_lists_sender_codes_and_time_never_the_subject_or_body(
    engine: Engine, cfg: Config
) -> None:
    open_case(engine, cfg, "VV-DIG", "03/03/2027 10:00", "03/03/2027 10:00")
    with transaction(engine) as store:
        stranger = take(
            store,
            cfg,
            mail("nguoi.la@example.org", SECRET_SUBJECT, "s1@x"),
            "smtp",
            vn("03/03/2027 16:00"),
        )
        unnamed = take(
            store,
            cfg,
            mail(OFFICER, "Gui anh chi tai lieu", "s2@x"),
            "smtp",
            vn("03/03/2027 16:05"),
        )
    assert (stranger.outcome, unnamed.outcome) == ("stranger", "unmatched")
    assert queue(engine, cfg, "04/03/2027 08:30") == 1
    (sent,) = digests(engine)
    assert sent.subject == "[TỔNG HỢP] UBND huyện Mẫu Sơn: 2 thư chưa khớp ngày 04/03/2027"
    text = sent.body_text
    assert "THƯ CHƯA KHỚP - cần người quyết định" in text
    assert (
        "* 03/03/2027 16:00 - từ nguoi.la@example.org - mã nêu trong thư: VV-DIG - "
        "người gửi không phải địa chỉ liên hệ của đơn vị nào"
    ) in text
    assert f"* 03/03/2027 16:05 - từ {OFFICER} - không khớp báo cáo nào" in text
    assert "ghi nhận đã nộp" in text  # what the district is asked to do
    for body in (text, sent.body_html):
        assert "Bi Mat" not in body and "thon Xa" not in body and "tai lieu" not in body
        assert "MAT-BODY-MARKER" not in body


def test_each_report_is_in_one_digest_and_a_confirmed_one_in_none(
    engine: Engine, cfg: Config
) -> None:
    open_case(engine, cfg, "VV-D1", "03/03/2027 10:00", "03/03/2027 10:00")
    open_case(engine, cfg, "VV-D2", "03/03/2027 11:00", "03/03/2027 11:00")
    open_case(engine, cfg, "VV-D3", "03/03/2027 12:00", "03/03/2027 12:00")
    submit(engine, cfg, "VV-D1", "urgent_report", "03/03/2027 15:00")
    confirmed = submit(engine, cfg, "VV-D3", "urgent_report", "03/03/2027 15:10")
    with transaction(engine) as store:
        receipt.confirm(store, cfg, confirmed, vn("03/03/2027 17:00"), "cli")
    assert queue(engine, cfg, "04/03/2027 08:30") == 1
    submit(engine, cfg, "VV-D2", "urgent_report", "04/03/2027 09:00")  # after today's digest
    assert queue(engine, cfg, "04/03/2027 10:00") == 0  # one digest a day
    assert queue(engine, cfg, "05/03/2027 08:30") == 1
    first, second = (m.body_text for m in digests(engine))
    assert "VV-D1" in first and "VV-D2" not in first
    assert "VV-D2" in second and "VV-D1" not in second
    assert "VV-D3" not in first + second  # the district confirmed it already


def test_a_working_day_without_a_digest_hides_nothing(engine: Engine, cfg: Config) -> None:
    open_case(engine, cfg, "VV-D6", "02/03/2027 10:00", "02/03/2027 10:00")
    open_case(engine, cfg, "VV-D7", "03/03/2027 09:00", "03/03/2027 09:00")
    submit(engine, cfg, "VV-D6", "urgent_report", "02/03/2027 15:00")
    assert queue(engine, cfg, "03/03/2027 08:30") == 1
    submit(engine, cfg, "VV-D7", "urgent_report", "03/03/2027 10:00")
    # Thursday 04/03: the daemon is stopped all day, no digest is composed
    assert queue(engine, cfg, "05/03/2027 08:30") == 1
    first, friday = (m.body_text.split("BÁO CÁO ĐÃ NHẬN")[1] for m in digests(engine))
    assert "VV-D6" in first and "VV-D7" not in first
    assert "VV-D7" in friday and "VV-D6" not in friday  # its written report is late, above


def test_nothing_received_nothing_late_no_digest(engine: Engine, cfg: Config) -> None:
    open_case(engine, cfg, "VV-D4", "03/03/2027 10:00", "03/03/2027 10:00")
    confirmed = submit(engine, cfg, "VV-D4", "urgent_report", "03/03/2027 15:00")
    with transaction(engine) as store:
        receipt.confirm(store, cfg, confirmed, vn("03/03/2027 17:00"), "cli")
    assert queue(engine, cfg, "04/03/2027 08:30") == 0
    assert digests(engine) == []


def test_without_a_signing_key_the_digest_says_how_to_confirm_by_command(
    engine: Engine, config: Config
) -> None:
    open_case(engine, config, "VV-D5", "03/03/2027 10:00", "03/03/2027 10:00")
    urgent = submit(engine, config, "VV-D5", "urgent_report", "03/03/2027 15:00")
    assert queue(engine, config, "04/03/2027 08:30") == 1
    (sent,) = digests(engine)
    assert f"hanbao confirm {urgent}" in sent.body_text and "/confirm/" not in sent.body_text


@pytest.mark.parametrize(("queued", "note"), [(120, True), (5, False)])
def test_a_digest_composed_during_a_wave_says_when_the_wave_will_be_through(
    engine: Engine, cfg: Config, queued: int, note: bool
) -> None:
    """120 mails ahead at a relay's 6 a minute: through 20 minutes after the digest time. Five
    mails are no wave: nothing is said."""
    slow = replace(cfg, mail=replace(cfg.mail, rate_per_minute=6))
    open_case(engine, slow, "VV-SONG", "03/03/2027 10:00", "03/03/2027 10:05")
    sweep(engine, slow, vn("05/03/2027 08:00"))
    queue_mail(engine, slow, queued, vn("05/03/2027 08:00"))
    assert queue(engine, slow, "05/03/2027 08:30") == 1
    (sent,) = digests(engine)
    said = f"còn {queued} thư nhắc chờ gửi (máy chủ thư nhận 6 thư/phút), dự kiến gửi xong lúc"
    assert (f"{said} 05/03/2027 08:50" in sent.body_text) is note
    assert ("Đợt thư đang gửi" in sent.body_html) is note


def test_the_digest_job_does_nothing_when_nothing_changed_since_its_last_run(
    engine: Engine, cfg: Config
) -> None:
    open_case(engine, cfg, "VV-YEN", "03/03/2027 10:00", "03/03/2027 10:05")
    sweep(engine, cfg, vn("05/03/2027 08:00"))
    clock = SimulatedClock(vn("05/03/2027 08:30"), anchor=0, speed=0)
    ctx = Context(engine, cfg, clock, Metrics(engine, clock), Health(900))
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        runs = []
        for _ in range(3):  # every five minutes, nothing new
            statements.clear()
            asyncio.run(digest_job.run(ctx))
            runs.append(len(statements))
        assert len(digests(engine)) == 1
        submit(engine, cfg, "VV-YEN", "urgent_report", "05/03/2027 08:40")
        statements.clear()
        asyncio.run(digest_job.run(ctx))  # a report came in: the job looks again
        after_submission = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert runs[0] > 3 and runs[1:] == [1, 1]  # one query says nothing changed
    assert after_submission > 1
