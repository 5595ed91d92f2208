"""End to end, with the daemon as a subprocess: a case is opened, the commune replies to the
``[KHẨN]`` notice before the deadline through the SMTP intake, the reminders stop, no late flag
is ever recorded, and the district's digest carries the "Đã nhận" link, which confirms."""

from __future__ import annotations

import html
import os
import re
import smtplib
import sys
import urllib.parse
import urllib.request
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import select

from scheduler.settings import Config
from scheduler.store.queries import transaction
from scheduler.store.schema import ReminderRow
from tests.conftest import open_case, vn, write_settings
from tests.mailsink import Sink, free_port, start
from tests.test_daemon import FAST, serving
from tests.test_intake import INTAKE, OFFICER_X01, WIRE

SUPERVISOR = "laodong@huyenmau.tinhmau.example"
KEY = "k" * 48


def reply(notice_id: str, subject: str) -> bytes:
    message = EmailMessage()
    message["From"] = OFFICER_X01
    message["To"] = INTAKE
    message["Subject"] = f"Re: {subject}"
    message["Message-ID"] = make_msgid(domain="anbinh.example")
    message["In-Reply-To"] = notice_id
    message["References"] = notice_id
    message.set_content("Kính gửi: báo cáo nhanh vụ việc đính kèm.")
    return message.as_bytes(policy=WIRE)


def post_form(url: str, fields: dict[str, str]) -> tuple[int, str]:
    data = urllib.parse.urlencode(fields).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=30) as response:
        return response.status, response.read().decode()


def test_a_reply_before_the_deadline_stops_reminders_and_the_district_confirms_it(
    engine: Engine, config: Config, database_url: str, tmp_path: Path
) -> None:
    sink, port = Sink(), free_port()
    controller = start(sink, port)
    intake_port, http_port = free_port(), free_port()
    settings = write_settings(
        tmp_path,
        database_url,
        port,
        daemon={**FAST, "http_port": http_port},
        mail={"rate_per_minute": 60_000},
        web={"base_url": f"http://127.0.0.1:{http_port}"},
        intake={"addresses": [INTAKE], "smtp": {"enabled": True, "port": intake_port}},
    )
    urgent = open_case(engine, config, "VV-IN-01", "03/03/2027 10:00", "03/03/2027 10:00")
    env = {
        **os.environ,
        "HANBAO_CONFIG": str(settings),
        # two simulated hours per real second: the deadline (end of Thu 04/03) is 19 s away
        "HANBAO_CLOCK": "start=03/03/2027 10:00;speed=7200",
        "HANBAO_SIGNING_KEY": KEY,
    }
    try:
        with serving([sys.executable, "-m", "scheduler", "run"], env) as daemon:
            daemon.wait_for_mail(
                sink,
                lambda got: any("[KHẨN] VV-IN-01" in r.subject for r in got),
                vn("04/03/2027 00:00"),
            )
            notice = next(r for r in sink.received if "[KHẨN] VV-IN-01" in r.subject)
            with smtplib.SMTP("127.0.0.1", intake_port, timeout=30) as client:
                client.sendmail(OFFICER_X01, [INTAKE], reply(notice.message_id, notice.subject))
            with transaction(engine) as store:
                recorded = store.obligation(urgent)
            assert recorded is not None and recorded.submitted_via == "mail"
            assert recorded.submitted_at is not None
            assert recorded.submitted_at < recorded.due_at  # on time, by the daemon's clock

            # the district's digest of Thu 04/03 08:30 asks it to confirm the report
            daemon.wait_for_mail(
                sink,
                lambda got: any(r.rcpt_tos == (SUPERVISOR,) for r in got),
                vn("04/03/2027 12:00"),
            )
            digest = next(r for r in sink.received if r.rcpt_tos == (SUPERVISOR,))
            assert "VV-IN-01" in digest.text()
            (link,) = re.findall(r"(http://127\.0\.0\.1:\d+/confirm/\S+)", digest.text())
            with urllib.request.urlopen(link, timeout=30) as page:
                form = page.read().decode()
            (csrf,) = re.findall(r'name="csrf" value="([^"]+)"', form)
            status, _ = post_form(link, {"csrf": html.unescape(csrf)})
            assert status == 200

            # on to Friday 05/03 08:00, when a late flag would fall: the written report's
            # reminder of that morning shows the sweep has been there
            daemon.wait_for_mail(
                sink,
                lambda got: any("[NHẮC HẠN] VV-IN-01" in r.subject for r in got),
                vn("05/03/2027 12:00"),
            )
            daemon.stop()
    finally:
        controller.stop()
    with transaction(engine) as store:
        confirmed = store.obligation(urgent)
        steps = store.session.exec(
            select(ReminderRow.step, ReminderRow.late_flag).where(
                ReminderRow.obligation_id == urgent
            )
        ).all()
    assert confirmed is not None and confirmed.confirmed_at is not None
    assert steps == [("new_case", False)]  # the reminders stopped at the reply; no late flag
    overdue = [r.subject for r in sink.received if r.subject.startswith("[QUÁ HẠN] VV-IN-01")]
    assert overdue == []
