"""The SMTP intake, for real: report mail sent over SMTP to hanbao's listener, on SQLite and
PostgreSQL. Each mail is recorded as the report it is, or refused, and nothing of a body (a
marker string in every body) reaches the database or the logs."""

from __future__ import annotations

import asyncio
import logging
import shutil
import smtplib
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import pytest
import trustme
from sqlalchemy import Engine, MetaData, text
from sqlmodel import select

from scheduler.clock import SimulatedClock
from scheduler.errors import ConfigError
from scheduler.intake.record import Taken
from scheduler.intake.settings import IntakeSettings, IntakeSmtp, parse_intake
from scheduler.intake.smtp import IntakeHandler, serve
from scheduler.lifecycle import ledger
from scheduler.lifecycle.sweep import sweep
from scheduler.mail.compose import compose
from scheduler.mail.render import Renderer
from scheduler.settings import Config
from scheduler.store.queries import transaction
from scheduler.store.schema import MessageRow, make_engine
from tests.conftest import CONFIG_PATH, vn
from tests.mailsink import free_port

INTAKE = "baocao@huyenmau.tinhmau.example"
OFFICER_X01 = "treem@anbinh.huyenmau.tinhmau.example"
OFFICIAL_X01 = "ubnd@anbinh.huyenmau.tinhmau.example"
OFFICER_X02 = "treem@binhminh.huyenmau.tinhmau.example"
# CRLF, as on the wire; long lines unfolded: Python's folding drops the space between two encoded
# words ("vv-2027-011 xã" arrives as "vv-2027-011xã"), which real mail clients do not do
WIRE = policy.SMTP.clone(max_line_length=998)
MARKER = "BI-MAT-TRE-EM-7c1f"  # in every body: it must never be stored or logged
NOW = vn("16/02/2027 10:00")
STILL = SimulatedClock(NOW, anchor=0, speed=0)  # the intake reads the time from here


@dataclass
class Intake:
    port: int
    taken: list[Taken]

    def send(self, message: EmailMessage | bytes, sender: str = OFFICER_X01) -> None:
        raw = message if isinstance(message, bytes) else message.as_bytes(policy=WIRE)
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as client:
            client.sendmail(sender, [INTAKE], raw)


@dataclass
class Listening:
    loop: asyncio.AbstractEventLoop
    server: asyncio.Server
    thread: threading.Thread

    def stop(self) -> None:
        async def close() -> None:
            self.server.close()
            await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(close(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def listen(handler: IntakeHandler, settings: IntakeSettings) -> Listening:
    """The daemon's listener (``serve``) on a loop of its own, in a thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = asyncio.run_coroutine_threadsafe(serve(handler, settings), loop).result(10)
    return Listening(loop, server, thread)


def intake_config(config: Config, port: int, **smtp: object) -> Config:
    settings = IntakeSettings(
        addresses=(INTAKE,),
        smtp=IntakeSmtp(enabled=True, port=port, **smtp),  # type: ignore[arg-type]
    )
    return replace(config, intake=settings)


@pytest.fixture
def intake(engine: Engine, config: Config) -> Iterator[Intake]:
    port = free_port()
    cfg = intake_config(config, port, max_message_bytes=1024 * 1024)
    taken: list[Taken] = []
    listening = listen(IntakeHandler(engine, cfg, STILL, taken.append), cfg.intake)
    yield Intake(port, taken)
    listening.stop()


def mail(subject: str, sender: str = OFFICER_X01, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Cán bộ xã <{sender}>"
    message["To"] = INTAKE
    message["Subject"] = subject
    message["Received"] = "from mail.anbinh by mx.huyenmau; " + format_datetime(
        vn("16/02/2027 09:03")
    )
    headers.setdefault("Message_ID", make_msgid(domain="anbinh.example"))
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(f"Kính gửi UBND huyện. {MARKER} Nội dung báo cáo vụ việc.")
    message.add_attachment(f"{MARKER} tệp đính kèm".encode(), maintype="application", subtype="pdf")
    return message


def open_case(engine: Engine, config: Config, code: str = "VV-2027-011") -> int:
    with transaction(engine) as store:
        created = ledger.open_case(
            store,
            config,
            code,
            "X01",
            "xam_hai",
            vn("15/02/2027 15:00"),
            vn("15/02/2027 16:00"),
            "test",
        )
    return created[0].id


def obligation(engine: Engine, obligation_id: int) -> tuple[object, ...]:
    with transaction(engine) as store:
        found = store.obligation(obligation_id)
    assert found is not None
    return (found.submitted_at, found.submitted_via)


def listed(engine: Engine, unit: str = "H01") -> list[tuple[str | None, list[str], datetime, str]]:
    with transaction(engine) as store:
        return store.unmatched_between(unit, vn("01/01/2027 00:00"), vn("01/01/2028 00:00"))


def everything_stored(engine: Engine) -> str:
    """Every value of every table, as text: where a body's words would show if kept."""
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return "\n".join(
            repr(row)
            for table in metadata.sorted_tables
            for row in connection.execute(table.select())
        )


def test_a_reply_to_the_urgent_notice_is_the_report(
    engine: Engine, config: Config, intake: Intake
) -> None:
    urgent = open_case(engine, config)
    sweep(engine, config, vn("15/02/2027 16:00"))
    with transaction(engine) as store:
        compose(store, config, Renderer(config.mail.domain), vn("15/02/2027 16:01"))
        notice = store.session.exec(
            select(MessageRow.message_id).where(MessageRow.obligation_id == urgent)
        ).first()
    assert notice is not None
    intake.send(mail("Re: báo cáo nhanh", In_Reply_To=notice, References=notice))
    assert intake.taken[-1].outcome == "matched"
    assert obligation(engine, urgent) == (vn("16/02/2027 09:03"), "mail")
    with transaction(engine) as store:
        entry = store.audit_trail(urgent)[-1]
    assert (entry.action, entry.actor, entry.detail["via"]) == ("submitted", "intake:smtp", "mail")
    assert len(entry.detail["sha256"]) == 64 and entry.detail["message_id"].startswith("<")


def test_a_fresh_mail_with_the_case_code_from_the_official_address(
    engine: Engine, config: Config, intake: Intake
) -> None:
    urgent = open_case(engine, config)
    intake.send(mail("[KHẨN] Báo cáo vụ việc vv-2027-011 xã An Bình", sender=OFFICIAL_X01))
    assert intake.taken[-1].outcome == "matched"
    assert obligation(engine, urgent) == (vn("16/02/2027 09:03"), "mail")
    # the written report's clock starts at the mail, as if the commune had clicked
    with transaction(engine) as store:
        written = store.obligation_by_key("case:VV-2027-011:written_report")
    assert written is not None and written.event_at == vn("16/02/2027 09:03")


def test_a_periodic_report_by_its_phrasing(engine: Engine, config: Config, intake: Intake) -> None:
    with transaction(engine) as store:
        ledger.generate_periodic(store, config, 2027, vn("01/01/2027 08:00"), "test")
        six = store.obligation_by_key("periodic:six_monthly:2027-H1:X02")
    assert six is not None
    intake.send(mail("BAO CAO 6 THANG dau nam 2027 - xa Binh Minh", sender=OFFICER_X02))
    assert intake.taken[-1] == Taken("matched", intake.taken[-1].intake_id, six.id)
    assert obligation(engine, six.id) == (vn("16/02/2027 09:03"), "mail")


def test_a_stranger_and_another_commune_change_nothing_and_are_listed(
    engine: Engine, config: Config, intake: Intake
) -> None:
    urgent = open_case(engine, config)
    intake.send(mail("Báo cáo VV-2027-011", sender="ai.do@gmail.example"))
    intake.send(mail("Báo cáo VV-2027-011", sender=OFFICER_X02))  # X02 cannot report for X01
    assert [t.outcome for t in intake.taken] == ["stranger", "stranger"]
    assert obligation(engine, urgent) == (None, None)
    rows = listed(engine)
    assert [(sender, codes, outcome) for sender, codes, _, outcome in rows] == [
        ("ai.do@gmail.example", ["VV-2027-011"], "stranger"),
        (OFFICER_X02, ["VV-2027-011"], "stranger"),
    ]
    assert {when for _, _, when, _ in rows} == {vn("16/02/2027 09:03")}


def test_an_ambiguous_subject_and_an_unknown_one_are_listed(
    engine: Engine, config: Config, intake: Intake
) -> None:
    with transaction(engine) as store:
        ledger.generate_periodic(store, config, 2027, vn("01/01/2027 08:00"), "test")
    intake.send(mail("Báo cáo 6 tháng và báo cáo năm 2027", sender=OFFICER_X02))
    intake.send(mail("Giấy mời họp", sender=OFFICER_X02))
    assert [t.outcome for t in intake.taken] == ["ambiguous", "unmatched"]
    assert [outcome for *_, outcome in listed(engine)] == ["ambiguous", "unmatched"]
    with transaction(engine) as store:
        assert all(o.submitted_at is None for o in store.obligations(unit="X02"))


def test_a_replayed_mail_is_a_no_op(engine: Engine, config: Config, intake: Intake) -> None:
    urgent = open_case(engine, config)
    message = mail("Báo cáo VV-2027-011", Message_ID="<bc-011@anbinh.example>")
    intake.send(message)
    intake.send(message)
    intake.send(message.as_bytes().replace(b"Received: from", b"Received: from relay2 via"))
    assert [t.outcome for t in intake.taken] == ["matched", "replay", "replay"]
    with transaction(engine) as store:
        submitted = [e for e in store.audit_trail(urgent) if e.action == "submitted"]
    assert len(submitted) == 1


def test_a_huge_message_is_refused_by_size_and_a_big_one_recorded(
    engine: Engine, config: Config, intake: Intake
) -> None:
    urgent = open_case(engine, config)
    huge = mail("Báo cáo VV-2027-011")
    huge.add_attachment(b"x" * (2 * 1024 * 1024), maintype="application", subtype="pdf")
    with pytest.raises(smtplib.SMTPException) as refused:
        intake.send(huge)
    assert "552" in str(refused.value)
    assert obligation(engine, urgent) == (None, None) and intake.taken == []
    big = mail("Báo cáo VV-2027-011")
    big.add_attachment(b"y" * (600 * 1024), maintype="application", subtype="pdf")
    intake.send(big)
    assert obligation(engine, urgent)[1] == "mail"


def test_malformed_and_non_utf8_mail_is_read_without_failing(
    engine: Engine, config: Config, intake: Intake
) -> None:
    urgent = open_case(engine, config)
    broken = (
        b"From: <" + OFFICER_X01.encode() + b">\r\n"
        b"Subject: \xff\xfe =?x-unknown?q?zz?= =?utf-8?b?broken\r\n"
        b'Content-Type: multipart/mixed; boundary="never-closed\r\n'
        b"not a header line at all\r\n\r\n--never-closed\r\n" + MARKER.encode() + b"\r\n"
    )
    intake.send(broken)
    legacy = (
        "From: " + OFFICER_X01 + "\r\nSubject: Báo cáo VV-2027-011 xã An Bình\r\n"
        "Content-Type: text/plain; charset=iso-8859-1\r\n\r\n" + MARKER + " bí mât\r\n"
    ).encode("latin-1")  # 8-bit header bytes that are not UTF-8
    intake.send(legacy)
    assert [t.outcome for t in intake.taken] == ["unmatched", "matched"]
    assert obligation(engine, urgent)[1] == "mail"
    assert MARKER not in everything_stored(engine)


def test_nothing_of_a_body_is_stored_or_logged(
    engine: Engine, config: Config, intake: Intake, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    open_case(engine, config)
    intake.send(mail("Báo cáo VV-2027-011 kèm nội dung mật"))
    intake.send(mail("Báo cáo 6 tháng", sender="ai.do@gmail.example"))
    assert [t.outcome for t in intake.taken] == ["matched", "stranger"]
    stored = everything_stored(engine)
    assert MARKER not in stored and "nội dung mật" not in stored and "kèm" not in stored
    assert MARKER not in caplog.text and "@" not in caplog.text
    assert "action=intake_mail" in caplog.text


def test_mail_for_another_address_is_refused_at_rcpt(engine: Engine, intake: Intake) -> None:
    with smtplib.SMTP("127.0.0.1", intake.port, timeout=30) as client:
        client.ehlo()
        client.mail(OFFICER_X01)
        code, _ = client.rcpt("someone.else@huyenmau.tinhmau.example")
    assert code == 550 and intake.taken == []


def test_the_database_down_means_try_again_later(
    config: Config, sqlite_template: Path, tmp_path: Path
) -> None:
    """One backend shows it: 451, and the sending server keeps the mail to try again."""
    shutil.copyfile(sqlite_template, tmp_path / "hanbao.sqlite3")
    engine = make_engine(f"sqlite:///{tmp_path / 'hanbao.sqlite3'}")
    port = free_port()
    cfg = intake_config(config, port)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE intake_mail"))  # as broken as a database gets
    listening = listen(IntakeHandler(engine, cfg, STILL), cfg.intake)
    try:
        with pytest.raises(smtplib.SMTPDataError) as deferred:
            Intake(port, []).send(mail("Báo cáo VV-2027-011"))
        assert deferred.value.smtp_code == 451
    finally:
        listening.stop()
        engine.dispose()


def test_starttls_is_required_with_a_certificate(
    engine: Engine, config: Config, tmp_path: Path
) -> None:
    authority = trustme.CA()
    cert = authority.issue_cert("127.0.0.1")
    certfile, keyfile = tmp_path / "intake.pem", tmp_path / "intake.key"
    cert.private_key_and_cert_chain_pem.write_to_path(str(certfile))
    cert.private_key_pem.write_to_path(str(keyfile))
    port = free_port()
    cfg = intake_config(config, port, tls_certfile=certfile, tls_keyfile=keyfile)
    taken: list[Taken] = []
    listening = listen(IntakeHandler(engine, cfg, STILL, taken.append), cfg.intake)
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as plain:
            plain.ehlo()
            code, _ = plain.mail(OFFICER_X01)
        assert code == 530  # must issue STARTTLS first
        client_context = ssl.create_default_context()
        authority.configure_trust(client_context)
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
            client.starttls(context=client_context)
            client.sendmail(OFFICER_X01, [INTAKE], mail("Giấy mời").as_bytes(policy=WIRE))
        assert [t.outcome for t in taken] == ["unmatched"]
    finally:
        listening.stop()


def test_settings_keep_the_listener_on_loopback_without_a_certificate() -> None:
    document = {"intake": {"addresses": [INTAKE], "smtp": {"enabled": True, "host": "0.0.0.0"}}}
    with pytest.raises(ConfigError, match=r"intake\.smtp: .*STARTTLS"):
        parse_intake(document, CONFIG_PATH, {})
    with pytest.raises(ConfigError, match="HANBAO_INTAKE_ADDRESSES"):
        parse_intake({"intake": {"smtp": {"enabled": True}}}, CONFIG_PATH, {})
    with pytest.raises(ConfigError, match=r"intake\.imap\.password"):
        parse_intake({"intake": {"imap": {"password": "x"}}}, CONFIG_PATH, {})
    env = {
        "HANBAO_INTAKE_ADDRESSES": f"{INTAKE}, khac@huyenmau.tinhmau.example",
        "HANBAO_INTAKE_SMTP_ENABLED": "true",
        "HANBAO_INTAKE_SMTP_PORT": "2526",
    }
    settings = parse_intake({}, CONFIG_PATH, env)
    assert settings.addresses == (INTAKE, "khac@huyenmau.tinhmau.example")
    assert (settings.smtp.enabled, settings.smtp.host, settings.smtp.port) == (
        True,
        "127.0.0.1",
        2526,
    )
