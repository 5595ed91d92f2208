"""The IMAP watch against a real dovecot: what it records, what it reads, what it leaves alone."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import replace
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme
from sqlalchemy import Engine
from sqlmodel import col, select

from jobs import Context, intake
from scheduler.clock import SimulatedClock
from scheduler.daemon import _Jobs
from scheduler.errors import MailboxError, PermanentMailbox, TransientMailbox
from scheduler.intake import imap, record
from scheduler.intake.imap import Polled, mailbox_key, poll
from scheduler.intake.record import Taken
from scheduler.intake.settings import IntakeImap, IntakeSettings
from scheduler.monitoring.health import Health
from scheduler.monitoring.metrics import Metrics
from scheduler.settings import Config
from scheduler.store.leader import Alone
from scheduler.store.queries import Store, transaction
from scheduler.store.schema import IntakeMailRow
from tests import imap_server
from tests.conftest import open_case, vn
from tests.imap_server import DOVECOT, Dovecot, Mailbox
from tests.mailsink import free_port

pytestmark = pytest.mark.skipif(
    DOVECOT is None, reason="Debian's dovecot-imapd is not installed (.ci/run installs it)"
)
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
OFFICER = "treem@anbinh.huyenmau.tinhmau.example"  # X01's officer: a contact of the unit
MARKER = "NOIDUNG-KHONG-DUOC-DOC-7f3a"  # in every body and attachment name: hanbao never sees it
VERIFIED, OPENED = "04/08/2026 09:00", "04/08/2026 09:30"  # dovecot keeps only past dates
ARRIVED = vn("05/08/2026 10:00")
NOW = vn("06/08/2026 08:00")


@pytest.fixture(scope="session")
def dovecot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dovecot]:
    server = imap_server.start(tmp_path_factory.mktemp("dovecot"))
    yield server
    imap_server.stop(server)


@pytest.fixture
def mailbox(dovecot: Dovecot) -> Mailbox:
    return dovecot.mailbox()


def report_mail(number: int, subject: str, filler_lines: int = 0) -> bytes:
    """A commune's report mail: a body and an attachment that both carry ``MARKER``."""
    mail = EmailMessage()
    mail["From"] = f"Cán bộ trẻ em xã An Bình <{OFFICER}>"
    mail["To"] = "laodong@huyenmau.tinhmau.example"
    mail["Subject"] = subject
    mail["Message-ID"] = f"<bc{number}@anbinh.huyenmau.tinhmau.example>"
    mail["Date"] = "Wed, 05 Aug 2026 10:00:00 +0700"
    mail.set_content(f"{MARKER}\n" + "nội dung báo cáo\n" * filler_lines, cte="8bit")
    mail.add_attachment(
        b"%PDF-1.4", maintype="application", subtype="pdf", filename=f"{MARKER}.pdf"
    )
    raw = mail.as_bytes(policy=policy.SMTP)
    assert MARKER.encode() in raw.split(b"\r\n\r\n", 1)[1]
    return raw


def watching(config: Config, settings: IntakeImap) -> Config:
    return replace(config, intake=IntakeSettings(imap=settings))


def intake_ids(engine: Engine) -> list[str | None]:
    with transaction(engine) as store:
        rows = store.session.exec(select(IntakeMailRow).order_by(col(IntakeMailRow.id)))
        return [row.message_id for row in rows]


def cursor(engine: Engine, settings: IntakeImap) -> tuple[int, int] | None:
    with transaction(engine) as store:
        return store.cursor(mailbox_key(settings))


def test_report_mail_in_the_mailbox_is_recorded_via_mail_at_its_internaldate(
    engine: Engine, config: Config, mailbox: Mailbox
) -> None:
    urgent = open_case(engine, config, "VV-IMAP-1", VERIFIED, OPENED)
    mailbox.append(report_mail(1, "Báo cáo nhanh vụ việc VV-IMAP-1"), ARRIVED)

    assert poll(engine, watching(config, mailbox.settings()), NOW) == Polled(read=1, failed=0)

    with transaction(engine) as store:
        obligation = store.obligation(urgent)
    assert obligation is not None
    assert obligation.submitted_at == ARRIVED  # when the district's server got it, not now
    assert obligation.submitted_via == "mail"
    assert obligation.state(NOW) == "submitted"
    assert intake_ids(engine) == ["<bc1@anbinh.huyenmau.tinhmau.example>"]
    assert (cursor(engine, mailbox.settings()) or (0, 0))[1] == 1


@SQLITE_ONLY
def test_each_mail_is_fetched_once_across_polls(
    engine: Engine, config: Config, mailbox: Mailbox, dovecot: Dovecot
) -> None:
    watched = watching(config, mailbox.settings())
    mailbox.append(report_mail(1, "Báo cáo tháng"), ARRIVED)
    assert poll(engine, watched, NOW).read == 1
    assert poll(engine, watched, NOW).read == 0
    mailbox.append(report_mail(2, "Báo cáo tháng"), ARRIVED)
    mailbox.append(report_mail(3, "Báo cáo tháng"), ARRIVED)
    assert poll(engine, watched, NOW, batch=1).read == 2
    assert poll(engine, watched, NOW).read == 0

    assert len(intake_ids(engine)) == 3
    sessions = dovecot.sessions(mailbox.user, 7)  # three appends, four polls
    assert sum(s["hdr_count"] for s in sessions) == 3  # each header block left the server once


@SQLITE_ONLY
def test_the_first_poll_reads_back_only_lookback_days(
    engine: Engine, config: Config, mailbox: Mailbox
) -> None:
    watched = watching(config, mailbox.settings())
    mailbox.append(report_mail(1, "Báo cáo cũ"), vn("01/07/2026 10:00"))  # 36 days before NOW
    mailbox.append(report_mail(2, "Báo cáo mới"), ARRIVED)
    assert poll(engine, watched, NOW).read == 1
    mailbox.append(report_mail(3, "Báo cáo mới nữa"), ARRIVED)
    assert poll(engine, watched, NOW).read == 1

    assert intake_ids(engine) == [
        "<bc2@anbinh.huyenmau.tinhmau.example>",
        "<bc3@anbinh.huyenmau.tinhmau.example>",
    ]


def test_a_changed_uidvalidity_rereads_the_folder_without_recording_twice(
    engine: Engine, config: Config, dovecot: Dovecot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    box = dovecot.mailbox("Báo cáo")  # a folder can be rebuilt; INBOX cannot
    watched = watching(config, box.settings())
    urgent = open_case(engine, config, "VV-IMAP-2", VERIFIED, OPENED)
    report = report_mail(1, "Báo cáo nhanh VV-IMAP-2")
    box.append(report, ARRIVED)
    assert poll(engine, watched, NOW).read == 1
    before = cursor(engine, box.settings())

    box.rebuild()  # e.g. the district's server restored the folder from a backup
    box.append(report, ARRIVED)
    box.append(report_mail(2, "Báo cáo tháng"), ARRIVED)
    assert poll(engine, watched, NOW).read == 2

    after = cursor(engine, box.settings())
    assert before is not None and after is not None and after[0] != before[0]
    assert after[1] == 2
    assert intake_ids(engine) == [
        "<bc1@anbinh.huyenmau.tinhmau.example>",
        "<bc2@anbinh.huyenmau.tinhmau.example>",
    ]
    assert caplog.text.count("action=intake_replay") == 1
    with transaction(engine) as store:
        obligation = store.obligation(urgent)
        trail = store.audit_trail(urgent)
    assert obligation is not None and obligation.submitted_at == ARRIVED
    assert sum(entry.action == "submitted" for entry in trail) == 1


@SQLITE_ONLY
def test_a_poll_leaves_the_mailbox_as_it_was(
    engine: Engine, config: Config, mailbox: Mailbox, dovecot: Dovecot
) -> None:
    mailbox.append(report_mail(1, "Báo cáo tháng"), ARRIVED)
    mailbox.append(report_mail(2, "Báo cáo tháng"), ARRIVED)
    before = mailbox.flags()

    assert poll(engine, watching(config, mailbox.settings()), NOW).read == 2

    after = mailbox.flags()
    assert after == before  # same messages, same flags: \Recent survives a read-only EXAMINE
    assert len(after) == 2
    assert not any(b"\\Seen" in flags for flags in after.values())
    for session in dovecot.sessions(mailbox.user, 5):  # two appends, two looks, one poll
        assert session["deleted"] == session["expunged"] == session["trashed"] == 0


@SQLITE_ONLY
def test_no_body_is_fetched_stored_or_logged(
    engine: Engine,
    config: Config,
    mailbox: Mailbox,
    dovecot: Dovecot,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    open_case(engine, config, "VV-IMAP-3", VERIFIED, OPENED)
    mailbox.append(report_mail(1, "Báo cáo nhanh VV-IMAP-3"), ARRIVED)
    mailbox.append(report_mail(2, "Báo cáo năm 2026", filler_lines=120_000), ARRIVED)  # 2 MB

    assert poll(engine, watching(config, mailbox.settings()), NOW).read == 2

    database = Path(str(engine.url.database))
    stored = b"".join(path.read_bytes() for path in database.parent.glob(f"{database.name}*"))
    with closing(sqlite3.connect(database)) as connection:
        dump = "\n".join(connection.iterdump())
    assert "<bc2@anbinh.huyenmau.tinhmau.example>" in dump  # the dump is of the right database
    assert MARKER.encode() not in stored
    assert MARKER not in dump
    assert MARKER not in caplog.text
    assert "@" not in caplog.text  # nor an address: the sender's, or the account's
    sessions = dovecot.sessions(mailbox.user, 3)  # two appends, one poll
    poll_session = next(s for s in sessions if s["hdr_count"])
    assert all(s["body_count"] == s["body_bytes"] == 0 for s in sessions)
    assert poll_session["out"] < 64 * 1024  # the server sent headers only, of a 2 MB mailbox


@SQLITE_ONLY
@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_imaps_and_starttls_both_read_the_mailbox(
    engine: Engine, config: Config, mailbox: Mailbox, dovecot: Dovecot, security: str
) -> None:
    mailbox.append(report_mail(1, "Báo cáo tháng"), ARRIVED)
    settings = mailbox.settings("tls" if security == "tls" else "starttls")

    assert poll(engine, watching(config, settings), NOW).read == 1
    logins = [line for line in dovecot.lines if f"Login: user=<{mailbox.user}>" in line]
    assert logins and all(", TLS," in line for line in logins)


@SQLITE_ONLY
@pytest.mark.parametrize("security", ["tls", "starttls"])
def test_a_certificate_from_an_untrusted_ca_is_refused(
    engine: Engine, config: Config, mailbox: Mailbox, tmp_path: Path, security: str
) -> None:
    mailbox.append(report_mail(1, "Báo cáo tháng"), ARRIVED)
    stranger = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(stranger)
    settings = mailbox.settings("tls" if security == "tls" else "starttls", ca_file=stranger)

    with pytest.raises(PermanentMailbox) as refused:
        poll(engine, watching(config, settings), NOW)
    assert refused.value.reason == "tls"
    assert intake_ids(engine) == []
    assert cursor(engine, settings) is None


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("broken", "kind", "reason"),
    [
        (lambda: {"password": "sai-mat-khau"}, PermanentMailbox, "login"),
        (lambda: {"folder": "Không có"}, PermanentMailbox, "folder"),
        (lambda: {"port": free_port()}, TransientMailbox, "network"),  # nothing listens there
    ],
    ids=["login", "folder", "network"],
)
def test_mailbox_failures_become_our_errors(
    engine: Engine,
    config: Config,
    mailbox: Mailbox,
    broken: Callable[[], dict[str, object]],
    kind: type[MailboxError],
    reason: str,
) -> None:
    settings = mailbox.settings().model_copy(update=broken())

    with pytest.raises(kind) as failed:
        poll(engine, watching(config, settings), NOW)
    assert failed.value.reason == reason
    assert "sai-mat-khau" not in str(failed.value) and mailbox.user not in str(failed.value)
    assert cursor(engine, settings) is None


@SQLITE_ONLY
def test_a_wrong_password_is_one_clear_line_and_a_later_poll_works(
    engine: Engine, config: Config, mailbox: Mailbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    mailbox.append(report_mail(1, "Báo cáo tháng"), ARRIVED)
    clock = SimulatedClock(NOW, anchor=0, speed=0)
    wrong = mailbox.settings(password="sai-mat-khau")
    ctx = Context(engine, watching(config, wrong), clock, Metrics(engine, clock), Health(900))
    runner = _Jobs(ctx, Alone())  # the daemon's: it times, counts and catches every job run

    def metric(name: str) -> float | None:
        return ctx.metrics.registry.get_sample_value(name, {"task": "intake_imap"})

    asyncio.run(runner.add("intake_imap", intake.run)())

    [line] = [r for r in caplog.records if r.levelno >= logging.WARNING]  # nothing else
    assert "action=intake_imap_failed reason=login" in line.getMessage()
    assert line.levelno == logging.ERROR and line.exc_info is None
    assert "sai-mat-khau" not in caplog.text and mailbox.user not in caplog.text
    assert "sai-mat-khau" not in repr(wrong)
    assert metric("hanbao_job_failures_total") == 1
    assert metric("hanbao_job_last_success_timestamp_seconds") is None

    ctx.config = watching(config, mailbox.settings())
    asyncio.run(runner.add("intake_imap", intake.run)())
    assert len(intake_ids(engine)) == 1
    mails = {"source": "imap", "outcome": "unmatched"}
    assert ctx.metrics.registry.get_sample_value("hanbao_intake_mails_total", mails) == 1
    assert metric("hanbao_job_failures_total") == 1
    assert metric("hanbao_job_last_success_timestamp_seconds") is not None


@SQLITE_ONLY
def test_a_mail_that_fails_is_logged_by_uid_and_the_others_are_read(
    engine: Engine,
    config: Config,
    mailbox: Mailbox,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    watched = watching(config, mailbox.settings())
    for number in (1, 2, 3):
        mailbox.append(report_mail(number, "Báo cáo tháng"), ARRIVED)
    take = record.take

    def poisoned(store: Store, config: Config, raw: bytes, *rest: Any) -> Taken:
        if b"<bc2@" in raw:
            raise RuntimeError("a mail that breaks the intake")
        return take(store, config, raw, *rest)

    monkeypatch.setattr(imap, "take", poisoned)
    assert poll(engine, watched, NOW) == Polled(read=2, failed=1)
    [line] = [r for r in caplog.records if "action=intake_imap_mail_failed" in r.getMessage()]
    assert "uid=2 error=RuntimeError" in line.getMessage()

    monkeypatch.undo()
    assert poll(engine, watched, NOW) == Polled(read=0, failed=0)  # left behind, for good
    assert (cursor(engine, watched.intake.imap) or (0, 0))[1] == 3
    assert len(intake_ids(engine)) == 2


@SQLITE_ONLY
def test_a_poll_stops_between_batches_when_the_daemon_stops(
    engine: Engine, config: Config, mailbox: Mailbox
) -> None:
    watched = watching(config, mailbox.settings())
    for number in (1, 2, 3):
        mailbox.append(report_mail(number, "Báo cáo tháng"), ARRIVED)
    asked: list[bool] = []

    def stopping() -> bool:  # asked before each batch: say stop before the second
        asked.append(True)
        return len(asked) > 1

    assert poll(engine, watched, NOW, batch=1, stopping=stopping) == Polled(read=1, failed=0)
    assert (cursor(engine, watched.intake.imap) or (0, 0))[1] == 1  # the rest is still ahead
    assert poll(engine, watched, NOW) == Polled(read=2, failed=0)
