"""Delivery through a real SMTP server on loopback, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import trustme
from sqlalchemy import Engine
from sqlmodel import select

from jobs import Context, mail
from scheduler.clock import SimulatedClock
from scheduler.lifecycle import ledger
from scheduler.lifecycle.sweep import sweep
from scheduler.mail import outbox
from scheduler.mail.compose import compose
from scheduler.mail.deliver import Report, run_once
from scheduler.mail.digest import digest as queue_digest
from scheduler.mail.render import Renderer
from scheduler.mail.settings import SmtpSettings
from scheduler.monitoring.health import Health
from scheduler.monitoring.metrics import Metrics
from scheduler.settings import Config
from scheduler.store.queries import transaction
from scheduler.store.schema import MessageRow
from tests.conftest import open_case, vn
from tests.mailsink import Sink, free_port, password_checker, server_tls_context, start
from tests.test_cli import hanbao_json
from tests.workload import queue_mail

OFFICER = "treem@anbinh.huyenmau.tinhmau.example"
LEADER = "chutich@anbinh.huyenmau.tinhmau.example"
SUPERVISOR = "laodong@huyenmau.tinhmau.example"


def mail_config(config: Config, port: int, **smtp: Any) -> Config:
    settings = SmtpSettings(host="127.0.0.1", port=port, security="none", timeout=10)
    return replace(
        config,
        smtp=replace(settings, **smtp),
        mail=replace(config.mail, rate_per_minute=60_000, retry_base_seconds=30),
    )


def deliver_at(engine: Engine, config: Config, moment: datetime) -> tuple[int, Report]:
    """A punctual daemon's tick: sweep, then the mail job, at ``moment``."""
    sweep(engine, config, moment)
    return asyncio.run(run_once(engine, config, lambda: moment, random.Random(7)))


def states(engine: Engine) -> dict[str, int]:
    with transaction(engine) as store:
        return outbox.counts(store)


def compose_at(engine: Engine, config: Config, moment: datetime) -> int:
    """The sweep and the composing half of the mail job, without sending."""
    sweep(engine, config, moment)
    with transaction(engine) as store:
        return compose(store, config, Renderer(config.mail.domain), moment)


def submit(engine: Engine, config: Config, obligation: int, moment: datetime) -> None:
    with transaction(engine) as store:
        ledger.submit(store, config, obligation, moment, moment, "test", via="cli")


def test_new_case_notice_arrives_urgent_in_vietnamese_and_threaded(
    engine: Engine, config: Config, sink: tuple[Sink, int]
) -> None:
    handler, port = sink
    cfg = mail_config(config, port)
    open_case(engine, cfg, "VV-2027-001", "03/03/2027 10:00", "03/03/2027 10:05")
    queued, report = deliver_at(engine, cfg, vn("03/03/2027 10:05"))
    assert (queued, report.sent) == (2, 2)
    handler.wait_for(lambda got: len(got) == 2)
    by_rcpt = {r.rcpt_tos: r for r in handler.received}
    assert set(by_rcpt) == {(OFFICER,), (LEADER,)}  # one mail each, nobody else
    notice = by_rcpt[(OFFICER,)]
    assert notice.subject.startswith("[KHẨN] VV-2027-001 - Báo cáo nhanh")
    assert "hạn 04/03/2027 23:59" in notice.subject
    assert parseaddr(str(notice.message["To"]))[1] == OFFICER
    assert notice.message["Cc"] is None and notice.message["Bcc"] is None
    text = notice.text()
    assert "01 ngày làm việc" in text and "TRƯỚC qua hệ thống thư điện tử công vụ" in text
    assert "02 ngày làm việc" in text and "UBND huyện Mẫu Sơn" in text
    assert "04/03/2027 23:59" in notice.html()
    assert notice.message.get_content_charset() is None  # multipart/alternative
    assert notice.message["In-Reply-To"] == notice.message["References"]
    thread = notice.message["References"]

    # the next morning: the deadline-day reminder, in the same thread
    deliver_at(engine, cfg, vn("04/03/2027 08:00"))
    handler.wait_for(lambda got: len(got) == 4)
    reminder = next(r for r in handler.received[2:] if r.rcpt_tos == (OFFICER,))
    assert reminder.subject.startswith("[NHẮC HẠN] VV-2027-001")
    assert reminder.message["References"] == thread
    assert reminder.message_id != notice.message_id


def test_overdue_mail_and_district_digest_instead_of_flag_mail(
    engine: Engine, config: Config, sink: tuple[Sink, int]
) -> None:
    handler, port = sink
    cfg = mail_config(config, port)
    open_case(engine, cfg, "VV-LATE", "03/03/2027 10:00", "03/03/2027 10:05")
    for moment in ("03/03/2027 10:05", "04/03/2027 08:00", "05/03/2027 08:00", "05/03/2027 08:30"):
        deliver_at(engine, cfg, vn(moment))
    handler.wait_for(lambda got: any(r.rcpt_tos == (SUPERVISOR,) for r in got))
    overdue = [r for r in handler.received if r.subject.startswith("[QUÁ HẠN] VV-LATE")]
    assert {r.rcpt_tos for r in overdue} == {(OFFICER,), (LEADER,)}
    assert "ĐÃ QUÁ HẠN 1 ngày" in overdue[0].text()
    to_district = [r for r in handler.received if r.rcpt_tos == (SUPERVISOR,)]
    assert len(to_district) == 1  # the digest, not a mail per late flag
    digest = to_district[0]
    assert digest.subject == "[QUÁ HẠN] UBND huyện Mẫu Sơn: 1 báo cáo quá hạn ngày 05/03/2027"
    assert "UBND xã An Bình (X01): VV-LATE - Báo cáo nhanh" in digest.text()
    # new case, deadline day, overdue: three steps reached the commune (six mails)
    assert "quá hạn 1 ngày - đã nhắc 3 lần" in digest.text()
    # the digest is queued once a day, however often the job runs
    deliver_at(engine, cfg, vn("05/03/2027 09:00"))
    assert len([r for r in handler.received if r.rcpt_tos == (SUPERVISOR,)]) == 1


def test_several_reminders_for_one_person_come_as_one_mail(
    engine: Engine, config: Config, sink: tuple[Sink, int]
) -> None:
    handler, port = sink
    cfg = mail_config(config, port)
    open_case(engine, cfg, "VV-A", "03/03/2027 10:00", "03/03/2027 10:05")
    open_case(engine, cfg, "VV-B", "03/03/2027 11:00", "03/03/2027 11:05")
    sweep(engine, cfg, vn("03/03/2027 11:05"))
    asyncio.run(run_once(engine, cfg, lambda: vn("03/03/2027 11:05")))
    handler.wait_for(lambda got: len(got) == 2)
    (bundle,) = [r for r in handler.received if r.rcpt_tos == (OFFICER,)]
    assert bundle.subject == "[KHẨN] 2 báo cáo cần xử lý: VV-A; VV-B"
    assert "VV-A" in bundle.text() and "VV-B" in bundle.text()
    assert bundle.message["References"] is None  # about two obligations: no single thread


def test_relay_down_then_back_loses_nothing_and_sends_once(engine: Engine, config: Config) -> None:
    port = free_port()  # nothing listens yet: connection refused
    cfg = mail_config(config, port)
    open_case(engine, cfg, "VV-DOWN", "03/03/2027 10:00", "03/03/2027 10:05")
    queued, report = deliver_at(engine, cfg, vn("03/03/2027 10:05"))
    assert (queued, report.sent, report.retrying) == (2, 0, 2)
    assert "không kết nối được" in report.errors[0]
    # hours later, still down: still waiting, nothing lost
    _, report = deliver_at(engine, cfg, vn("03/03/2027 14:00"))
    assert report.retrying == 2 and states(engine) == {"pending": 2}
    handler = Sink()
    controller = start(handler, port)
    try:
        _, report = deliver_at(engine, cfg, vn("03/03/2027 16:00"))
        assert report.sent == 2
        handler.wait_for(lambda got: len(got) == 2)
        assert sorted(r.rcpt_tos for r in handler.received) == [(LEADER,), (OFFICER,)]
        _, report = deliver_at(engine, cfg, vn("03/03/2027 18:00"))
        assert report.sent == 0 and len(handler.received) == 2
    finally:
        controller.stop()


def test_busy_relay_421_451_then_250(
    engine: Engine, config: Config, sink: tuple[Sink, int]
) -> None:
    handler, port = sink
    handler.data_answers = ["451 4.3.0 Try again later", "421 4.7.0 Too busy, closing"]
    cfg = mail_config(config, port)
    open_case(engine, cfg, "VV-BUSY", "03/03/2027 10:00", "03/03/2027 10:05")
    _, first = deliver_at(engine, cfg, vn("03/03/2027 10:05"))
    assert (first.sent, first.retrying) == (0, 2)
    assert any(e.startswith("451") for e in first.errors)
    _, second = deliver_at(engine, cfg, vn("03/03/2027 11:05"))
    assert second.sent == 2
    assert len(handler.received) == 2
    with transaction(engine) as store:
        attempts = sorted(m.attempts for m in outbox.listing(store))
    assert attempts == [2, 2]


def test_550_for_one_recipient_fails_only_that_one_and_is_surfaced(
    engine: Engine, config: Config, sink: tuple[Sink, int]
) -> None:
    handler, port = sink
    handler.refuse[LEADER] = "550 5.1.1 Mailbox does not exist"
    cfg = mail_config(config, port)
    open_case(engine, cfg, "VV-550", "03/03/2027 10:00", "03/03/2027 10:05")
    _, report = deliver_at(engine, cfg, vn("03/03/2027 10:05"))
    assert (report.sent, report.failed) == (1, 1)
    assert [r.rcpt_tos for r in handler.received] == [(OFFICER,)]
    with transaction(engine) as store:
        (failed,) = outbox.listing(store, "failed")
    assert failed.recipient == LEADER and failed.last_error is not None
    assert failed.last_error.startswith("550 5.1.1")
    # not retried: the next run leaves it failed after its one attempt
    deliver_at(engine, cfg, vn("04/03/2027 08:00"))
    with transaction(engine) as store:
        again = next(m for m in outbox.listing(store) if m.id == failed.id)
    assert (again.state, again.attempts) == ("failed", 1)
    # and the district hears of it in the next digest
    deliver_at(engine, cfg, vn("04/03/2027 08:30"))
    handler.wait_for(lambda got: any(r.rcpt_tos == (SUPERVISOR,) for r in got))
    digest = next(r for r in handler.received if r.rcpt_tos == (SUPERVISOR,))
    assert "KHÔNG gửi được" in digest.text() and LEADER in digest.text()


def test_guard_refuses_an_address_no_longer_a_contact(
    engine: Engine, config: Config, sink: tuple[Sink, int], tmp_path: Path
) -> None:
    handler, port = sink
    cfg = mail_config(config, port)
    open_case(engine, cfg, "VV-G", "03/03/2027 10:00", "03/03/2027 10:05")
    sweep(engine, cfg, vn("03/03/2027 10:05"))
    with transaction(engine) as store:
        compose(store, cfg, Renderer(cfg.mail.domain), vn("03/03/2027 10:05"))
        # the commune changes its officer before the mail goes out
        x01 = store.units(["X01"])["X01"]
        store.save_units(
            [
                replace(
                    x01,
                    contacts={**x01.contacts, "officer": ("moi@anbinh.huyenmau.tinhmau.example",)},
                )
            ],
            date(2027, 3, 3),
        )
    _, report = deliver_at(engine, cfg, vn("03/03/2027 10:06"))
    assert (report.sent, report.refused) == (1, 1)
    assert [r.rcpt_tos for r in handler.received] == [(LEADER,)]
    with transaction(engine) as store:
        (refused,) = outbox.listing(store, "refused")
        assert refused.recipient == OFFICER
        assert "not a contact" in (refused.last_error or "")
        assert [a.action for a in store.audit_trail() if a.action == "message_refused"]


def test_starttls_with_authentication(engine: Engine, config: Config, tmp_path: Path) -> None:
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    handler, port = Sink(), free_port()
    controller = start(
        handler,
        port,
        tls_context=server_tls_context(ca),
        require_starttls=True,
        auth_required=True,
        auth_require_tls=True,
        authenticator=password_checker("hanbao", "mật-khẩu"),
    )
    try:
        good = mail_config(
            config,
            port,
            security="starttls",
            ca_file=ca_file,
            username="hanbao",
            password="mật-khẩu",
        )
        open_case(engine, good, "VV-TLS", "03/03/2027 10:00", "03/03/2027 10:05")
        bad = replace(good, smtp=replace(good.smtp, password="sai"))
        _, refused = deliver_at(engine, bad, vn("03/03/2027 10:05"))
        assert refused.retrying == 2 and "authentication failed" in refused.errors[0]
        assert handler.received == []
        _, report = deliver_at(engine, good, vn("03/03/2027 11:00"))
        assert report.sent == 2
        assert sorted(r.rcpt_tos for r in handler.received) == [(LEADER,), (OFFICER,)]
    finally:
        controller.stop()


def test_implicit_tls_refuses_an_untrusted_certificate(
    engine: Engine, config: Config, tmp_path: Path
) -> None:
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    handler, port = Sink(), free_port()
    controller = start(handler, port, ssl_context=server_tls_context(ca))
    try:
        open_case(engine, config, "VV-TLS2", "03/03/2027 10:00", "03/03/2027 10:05")
        untrusted = mail_config(config, port, security="tls")  # system CAs only
        _, report = deliver_at(engine, untrusted, vn("03/03/2027 10:05"))
        assert report.sent == 0 and report.retrying == 2
        trusted = mail_config(config, port, security="tls", ca_file=ca_file)
        _, report = deliver_at(engine, trusted, vn("03/03/2027 11:00"))
        assert report.sent == 2 and len(handler.received) == 2
    finally:
        controller.stop()


def test_a_submission_stops_mail_already_queued_later_steps(
    engine: Engine, config: Config, sink: tuple[Sink, int]
) -> None:
    handler, port = sink
    cfg = mail_config(config, port)
    urgent = open_case(engine, cfg, "VV-SUB", "03/03/2027 10:00", "03/03/2027 10:05")
    deliver_at(engine, cfg, vn("03/03/2027 10:05"))
    submit(engine, cfg, urgent, vn("03/03/2027 15:00"))
    for day in range(4, 12):
        deliver_at(engine, cfg, vn(f"{day:02d}/03/2027 08:45"))
    subjects = [r.subject for r in handler.received if "VV-SUB - Báo cáo nhanh" in r.subject]
    assert all(s.startswith("[KHẨN]") for s in subjects) and len(subjects) == 2


def test_messages_keep_their_message_id_in_the_outbox(engine: Engine, config: Config) -> None:
    cfg = mail_config(config, free_port())
    open_case(engine, cfg, "VV-ID", "03/03/2027 10:00", "03/03/2027 10:05")
    deliver_at(engine, cfg, vn("03/03/2027 10:05"))
    with transaction(engine) as store:
        ids = {m.key: m.message_id for m in store.session.exec(select(MessageRow))}
    deliver_at(engine, cfg, vn("03/03/2027 12:05"))
    with transaction(engine) as store:
        assert {m.key: m.message_id for m in store.session.exec(select(MessageRow))} == ids
    assert all(v.endswith("@huyenmau.tinhmau.example>") for v in ids.values())


def test_a_relay_refusing_the_sender_fails_nothing(
    engine: Engine, config: Config, sink: tuple[Sink, int]
) -> None:
    """550 at MAIL FROM is about us, not the message: wait and retry, never mark failed."""
    handler, port = sink
    handler.refuse_sender = "550 5.7.1 Not allowed to send as this sender"
    cfg = mail_config(config, port)
    open_case(engine, cfg, "VV-FROM", "03/03/2027 10:00", "03/03/2027 10:05")
    _, report = deliver_at(engine, cfg, vn("03/03/2027 10:05"))
    assert (report.failed, report.retrying) == (0, 2)
    assert "sender refused" in report.errors[0]
    handler.refuse_sender = None
    _, report = deliver_at(engine, cfg, vn("03/03/2027 11:05"))
    assert report.sent == 2 and states(engine) == {"sent": 2}


def test_a_slow_sender_cannot_overwrite_a_later_claim(engine: Engine, config: Config) -> None:
    """Sender A's lease runs out, B claims and sends; A's late 'failed' must change nothing."""
    cfg = mail_config(config, free_port())
    open_case(engine, cfg, "VV-LEASE", "03/03/2027 10:00", "03/03/2027 10:05")
    compose_at(engine, cfg, vn("03/03/2027 10:05"))
    lease = timedelta(minutes=5)
    with transaction(engine) as store:
        first = outbox.claim(store, vn("03/03/2027 10:05"), 1, lease)[0]
    with transaction(engine) as store:
        second = outbox.claim(store, vn("03/03/2027 10:20"), 1, lease)[0]
    assert (first.id, first.attempts, second.attempts) == (second.id, 1, 2)
    with transaction(engine) as store:
        assert outbox.mark_sent(store, second, vn("03/03/2027 10:20"))
        assert not outbox.mark_failed(store, first, vn("03/03/2027 10:21"), "550 late news")
    with transaction(engine) as store:
        (row,) = [m for m in outbox.listing(store) if m.id == first.id]
    assert (row.state, row.last_error) == ("sent", None)


def test_a_commune_flagged_then_submitting_before_the_digest_is_still_reported(
    engine: Engine, config: Config, sink: tuple[Sink, int]
) -> None:
    handler, port = sink
    cfg = mail_config(config, port)
    urgent = open_case(engine, cfg, "VV-LATE2", "03/03/2027 10:00", "03/03/2027 10:05")
    for moment in ("03/03/2027 10:05", "04/03/2027 08:00", "05/03/2027 08:00"):
        deliver_at(engine, cfg, vn(moment))  # flagged late at 08:00 on Fri 05/03
    submit(engine, cfg, urgent, vn("05/03/2027 08:10"))  # ... before the 08:30 digest
    deliver_at(engine, cfg, vn("05/03/2027 08:30"))
    (digest,) = [r for r in handler.received if r.rcpt_tos == (SUPERVISOR,)]
    assert "VV-LATE2" in digest.text() and "ĐÃ NỘP lúc 05/03/2027 08:10" in digest.text()


def test_monday_digest_reports_mail_that_failed_over_the_weekend(
    engine: Engine, config: Config, sink: tuple[Sink, int]
) -> None:
    handler, port = sink
    handler.refuse[LEADER] = "550 5.1.1 Mailbox does not exist"
    cfg = mail_config(config, port)
    # verified on Friday afternoon: the [KHẨN] mail to the chairman bounces at once
    open_case(engine, cfg, "VV-FRI", "05/03/2027 16:00", "05/03/2027 16:05")
    deliver_at(engine, cfg, vn("05/03/2027 16:05"))
    deliver_at(engine, cfg, vn("08/03/2027 08:30"))  # Monday: more than a day later
    digest = next(r for r in handler.received if r.rcpt_tos == (SUPERVISOR,))
    assert "KHÔNG gửi được" in digest.text() and LEADER in digest.text()


def test_a_reminder_submitted_after_it_was_queued_is_cancelled_not_sent(
    engine: Engine, config: Config, sink: tuple[Sink, int]
) -> None:
    handler, port = sink
    cfg = mail_config(config, port)
    urgent = open_case(engine, cfg, "VV-HUY", "03/03/2027 10:00", "03/03/2027 10:05")
    assert compose_at(engine, cfg, vn("03/03/2027 10:05")) == 2  # the [KHẨN] notices
    submit(engine, cfg, urgent, vn("03/03/2027 10:30"))
    _, report = deliver_at(engine, cfg, vn("03/03/2027 10:35"))
    assert handler.received == []  # run_once returns after the relay's answer to each mail
    assert (report.sent, report.cancelled) == (0, 2)
    with transaction(engine) as store:
        cancelled = outbox.listing(store, "cancelled")
        audited = [a for a in store.audit_trail() if a.action == "message_cancelled"]
        mails = store.history(urgent)["mails"]
    assert sorted(m.recipient for m in cancelled) == [LEADER, OFFICER]
    for message in cancelled:
        assert message.subject.startswith("[KHẨN] VV-HUY")
        assert message.finished_at == vn("03/03/2027 10:35")
        assert f"nghĩa vụ {urgent} đã nộp lúc 03/03/2027 10:30" in (message.last_error or "")
    assert {a.detail["message"] for a in audited} == {m.id for m in cancelled}
    assert {m["state"] for m in mails} == {"cancelled"}


def test_a_bundle_goes_out_without_the_report_submitted_after_it_was_queued(
    engine: Engine, config: Config, sink: tuple[Sink, int]
) -> None:
    handler, port = sink
    cfg = mail_config(config, port)
    first = open_case(engine, cfg, "VV-A", "03/03/2027 10:00", "03/03/2027 10:05")
    second = open_case(engine, cfg, "VV-B", "03/03/2027 11:00", "03/03/2027 11:05")
    assert compose_at(engine, cfg, vn("03/03/2027 11:05")) == 2  # a bundle each, both cases
    with transaction(engine) as store:
        queued = {m.recipient: m for m in store.session.exec(select(MessageRow))}
    assert queued[OFFICER].subject == "[KHẨN] 2 báo cáo cần xử lý: VV-A; VV-B"
    submit(engine, cfg, first, vn("03/03/2027 11:30"))
    _, report = deliver_at(engine, cfg, vn("03/03/2027 11:35"))
    handler.wait_for(lambda got: len(got) == 2)
    for received in handler.received:
        (recipient,) = received.rcpt_tos
        assert "VV-A" not in received.text() and "VV-A" not in received.html()
        assert received.subject.startswith("[KHẨN] VV-B - Báo cáo nhanh")
        assert received.message_id == queued[recipient].message_id  # the same mail, re-composed
        assert received.message["References"] is not None  # about one obligation: threaded
    assert (report.sent, report.cancelled) == (2, 2)
    with transaction(engine) as store:
        cancelled = outbox.listing(store, "cancelled")
        assert {m["state"] for m in store.history(first)["mails"]} == {"cancelled"}
        assert {m["state"] for m in store.history(second)["mails"]} == {"sent"}
    assert sorted(m.recipient for m in cancelled) == [LEADER, OFFICER]
    for message in cancelled:
        assert message.subject.startswith("[KHẨN] VV-A - Báo cáo nhanh")
        assert f"nghĩa vụ {first} đã nộp lúc 03/03/2027 11:30" in (message.last_error or "")


def test_a_relay_back_after_a_submission_sends_nothing_stale(
    engine: Engine, config: Config
) -> None:
    port = free_port()  # nothing listens: every mail waits in the outbox
    cfg = mail_config(config, port)
    urgent = open_case(engine, cfg, "VV-CHO", "03/03/2027 10:00", "03/03/2027 10:05")
    for moment in ("03/03/2027 10:05", "04/03/2027 08:00", "05/03/2027 08:00", "05/03/2027 08:30"):
        deliver_at(engine, cfg, vn(moment))
    assert states(engine) == {"pending": 7}  # notice, deadline day, overdue (x2 each), digest
    submit(engine, cfg, urgent, vn("05/03/2027 09:00"))
    handler = Sink()
    controller = start(handler, port)
    try:
        _, report = deliver_at(engine, cfg, vn("05/03/2027 10:00"))
    finally:
        controller.stop()
    # only the district's digest, and it is up to date
    assert [r.rcpt_tos for r in handler.received] == [(SUPERVISOR,)]
    digest = handler.received[0]
    assert "VV-CHO" in digest.text() and "ĐÃ NỘP lúc 05/03/2027 09:00" in digest.text()
    assert (report.sent, report.cancelled) == (1, 6)
    assert states(engine) == {"cancelled": 6, "sent": 1}


def test_a_queued_digest_says_when_a_late_report_came_in_since(
    engine: Engine, config: Config, sink: tuple[Sink, int]
) -> None:
    handler, port = sink
    cfg = mail_config(config, port)
    urgent = open_case(engine, cfg, "VV-TRE", "03/03/2027 10:00", "03/03/2027 10:05")
    for moment in ("03/03/2027 10:05", "04/03/2027 08:00", "05/03/2027 08:00"):
        deliver_at(engine, cfg, vn(moment))  # flagged late at 08:00 on Fri 05/03
    with transaction(engine) as store:
        assert queue_digest(store, cfg, Renderer(cfg.mail.domain), vn("05/03/2027 08:30")) == 1
        (queued,) = [m for m in store.session.exec(select(MessageRow)) if m.template == "digest"]
    assert "ĐÃ NỘP" not in queued.body_text
    submit(engine, cfg, urgent, vn("05/03/2027 08:40"))
    deliver_at(engine, cfg, vn("05/03/2027 08:45"))
    handler.wait_for(lambda got: any(r.rcpt_tos == (SUPERVISOR,) for r in got))
    (sent,) = [r for r in handler.received if r.rcpt_tos == (SUPERVISOR,)]
    assert sent.message_id == queued.message_id and sent.subject == queued.subject
    assert "lúc 05/03/2027 08:30" in sent.text()  # as composed, with what is known now
    line = "quá hạn 1 ngày - đã nhắc 3 lần - ĐÃ NỘP lúc 05/03/2027 08:40"
    assert line in sent.text()
    assert "ĐÃ NỘP lúc 05/03/2027 08:40" in sent.html()
    with transaction(engine) as store:  # the late flag stays: it is evidence
        steps = store.history(urgent)["steps"]
    assert [s["step"] for s in steps if s["late_flag"]] == ["late_flag"]


def test_a_bundle_that_cannot_be_recomposed_waits_until_its_kind_is_known_again(
    engine: Engine, config: Config, sink: tuple[Sink, int]
) -> None:
    handler, port = sink
    cfg = mail_config(config, port)
    first = open_case(engine, cfg, "VV-C", "03/03/2027 10:00", "03/03/2027 10:05")
    open_case(engine, cfg, "VV-D", "03/03/2027 11:00", "03/03/2027 11:05")
    compose_at(engine, cfg, vn("03/03/2027 11:05"))
    submit(engine, cfg, first, vn("03/03/2027 11:30"))
    kinds = {k: v for k, v in cfg.rules.kinds.items() if k != "urgent_report"}
    renamed = replace(cfg, rules=replace(cfg.rules, kinds=kinds))  # e.g. a kind renamed
    _, report = asyncio.run(run_once(engine, renamed, lambda: vn("03/03/2027 11:35")))
    assert handler.received == [] and states(engine) == {"pending": 2}
    assert (report.sent, report.retrying, report.cancelled) == (0, 2, 0)
    _, later = asyncio.run(run_once(engine, cfg, lambda: vn("03/03/2027 12:35")))
    assert (later.sent, later.cancelled) == (2, 2)
    assert all("VV-C" not in r.text() for r in handler.received)


@dataclass
class Colleague(Sink):
    """A relay that, as it takes the first mail of a drain, runs ``meanwhile`` (a colleague
    opens a case and the API sweeps) before it answers."""

    meanwhile: Callable[[], None] = lambda: None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        answer = await super().handle_DATA(server, session, envelope)
        if len(self.received) == 1:
            self.meanwhile()
        return answer


def test_a_notice_recorded_during_a_long_drain_goes_out_before_the_older_reminders(
    engine: Engine, config: Config
) -> None:
    """The mail job drains a backlog of reminders in batches of 4. A case opened while the first
    mail goes out has its [KHẨN] notice composed before the next claim and sent first in it,
    ahead of every reminder still queued, though those were recorded before it."""
    handler, port = Colleague(), free_port()
    controller = start(handler, port)
    try:
        relay = mail_config(config, port)
        cfg = replace(relay, mail=replace(relay.mail, batch_size=4, group_by_recipient=False))
        for n in range(6):
            open_case(engine, cfg, f"VV-CU-{n}", "03/03/2027 10:00", "03/03/2027 10:05")
        deliver_at(engine, cfg, vn("03/03/2027 10:05"))  # their own notices are out
        handler.received.clear()
        sweep(engine, cfg, vn("04/03/2027 08:00"))  # the backlog: the deadline-day reminders

        def a_case_is_opened() -> None:
            open_case(engine, cfg, "VV-MOI", "04/03/2027 08:00", "04/03/2027 08:01")
            sweep(engine, cfg, vn("04/03/2027 08:01"))

        handler.meanwhile = a_case_is_opened
        clock = SimulatedClock(vn("04/03/2027 08:01"), anchor=0, speed=0)
        asyncio.run(mail.run(Context(engine, cfg, clock, Metrics(engine, clock), Health(900))))
    finally:
        controller.stop()

    subjects = [r.subject for r in handler.received]
    backlog = [n for n, subject in enumerate(subjects) if "VV-CU-" in subject]
    notices = [n for n, subject in enumerate(subjects) if subject.startswith("[KHẨN] VV-MOI")]
    assert len(backlog) == 12 and len(notices) == 2  # officer and leader, each
    assert notices == [4, 5]  # first in the batch after the one in flight
    assert sum(n > notices[-1] for n in backlog) == 8  # the older reminders wait
    assert all(subjects[n].startswith("[NHẮC HẠN]") for n in backlog)


def test_the_backlogs_drain_time_at_the_relays_rate_in_metrics_and_check_config(
    engine: Engine, config: Config, database_url: str
) -> None:
    queue_mail(engine, config, 30, vn("01/07/2027 08:00"))
    clock = SimulatedClock(vn("01/07/2027 08:00"), anchor=0, speed=0)
    metrics = Metrics(engine, clock, rate_per_minute=120)
    metrics.state.refresh()  # the state gauges are a snapshot, read off the event loop
    assert b"\nhanbao_outbox_drain_seconds_estimate 15.0\n" in metrics.state.block
    checked = hanbao_json(
        "check-config", db=database_url, env={"HANBAO_MAIL_RATE_PER_MINUTE": "120"}
    )
    assert checked["mail"] == {
        "rate_per_minute": 120,
        "waiting": 30,
        "drain_seconds_estimate": 15.0,
    }
