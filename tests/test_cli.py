"""The ``hanbao`` command, end to end, as a subprocess."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperCommand, TyperGroup

from scheduler.cli import app
from tests.conftest import CONFIG_PATH, SAMPLE_UNITS, write_settings
from tests.mailsink import Sink, free_port, start


def hanbao(
    *args: str,
    db: str | None,
    ok: bool = True,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """``db=None`` leaves the database to the settings file."""
    env = {**os.environ, "HANBAO_CONFIG": str(CONFIG_PATH), **(env or {})}
    env.pop("HANBAO_DATABASE_URL", None)
    if db is not None:
        env["HANBAO_DATABASE_URL"] = db
    result = subprocess.run(
        [sys.executable, "-m", "scheduler", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
        cwd=cwd,
    )
    if ok:
        assert result.returncode == 0, result.stderr
    return result


def hanbao_json(
    *args: str, db: str | None, env: dict[str, str] | None = None, cwd: Path | None = None
) -> Any:
    return json.loads(hanbao(*args, "--json", db=db, env=env, cwd=cwd).stdout)


TOO_BIG = "99999999999999999999"  # more than SQLite's and PostgreSQL's 64-bit ids


@pytest.fixture
def fresh_db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.sqlite3'}"


def test_a_case_from_the_command_line(database_url: str) -> None:
    opened = hanbao_json(
        "case",
        "open",
        "VV-2027-001",
        "--unit",
        "X03",
        "--verified",
        "04/02/2027 15:00",
        "--as-of",
        "04/02/2027 16:00",
        db=database_url,
    )
    urgent = next(o for o in opened if o["kind"] == "urgent_report")
    assert urgent["due"] == "2027-02-11T23:59:59+07:00"
    assert urgent["state"] == "open"
    reported = hanbao_json(
        "case",
        "report",
        "VV-2027-001",
        "--stage",
        "urgent",
        "--at",
        "11/02/2027 09:00",
        "--as-of",
        "11/02/2027 10:00",
        db=database_url,
    )
    assert [(o["kind"], o["state"], o["due"]) for o in reported] == [
        ("urgent_report", "submitted", "2027-02-11T23:59:59+07:00"),
        ("written_report", "open", "2027-02-15T23:59:59+07:00"),
    ]
    overdue = hanbao_json("status", "--overdue", "--as-of", "18/02/2027 09:00", db=database_url)
    assert [(o["kind"], o["case"], o["state"], o["days_late"]) for o in overdue] == [
        ("written_report", "VV-2027-001", "overdue", 3),  # due 15/02
        ("support_plan", "VV-2027-001", "overdue", 1),  # five working days: due 17/02
    ]
    assert set(overdue[0]) == {
        "id",
        "key",
        "unit",
        "kind",
        "case",
        "period",
        "requested_by",
        "due",
        "state",
        "submitted_at",
        "days_late",
        "next_action_at",
        "moved_from",  # added with units that merge (README: add, never rename)
        "superseded_by",
        "submitted_via",  # added with the mail intake and the district's confirmation
        "confirmed_at",
        "disputed_at",
    }


def test_sweep_from_the_command_line_records_once(database_url: str) -> None:
    hanbao("periodic", "generate", "--year", "2027", "--as-of", "01/01/2027 00:00", db=database_url)
    first = hanbao_json("sweep", "--as-of", "16/06/2027 08:00", db=database_url)
    again = hanbao_json("sweep", "--as-of", "16/06/2027 08:00", db=database_url)
    assert len(first) == 16 and again == []
    assert set(first[0]) == {
        "at",
        "obligation",
        "kind",
        "unit",
        "case",
        "step",
        "repeat",
        "recipients",
        "late_flag",
    }


def test_readme_walkthrough_prints_a_year_and_changes_nothing(fresh_db: str) -> None:
    hanbao("init", db=fresh_db)
    hanbao("units", "import", str(SAMPLE_UNITS), db=fresh_db)
    assert len(hanbao_json("units", "list", db=fresh_db)) == 18
    before = hanbao_json("status", db=fresh_db)
    events = hanbao_json("simulate", "--from", "01/01/2027", "--to", "31/01/2028", db=fresh_db)
    assert hanbao_json("status", db=fresh_db) == before == []
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
    flags = [e for e in events if e["late_flag"]]
    assert {f["recipients"][0] for f in flags} == {"laodong@huyenmau.tinhmau.example"}
    assert {f["kind"] for f in flags} == {"six_monthly", "annual"}
    text = hanbao("simulate", "--from", "01/06/2027", "--to", "30/06/2027", db=fresh_db).stdout
    assert "Thời điểm" in text and "before_10" in text


def test_calendar_commands_need_no_database(fresh_db: str) -> None:
    due = hanbao_json("calendar", "deadline", "29/08/2026", "--working-days", "1", db=fresh_db)
    assert due == {"due": "2026-09-03T23:59:59+07:00"}
    days = hanbao_json("calendar", "days", "2026", db=fresh_db)
    assert {"date": "2026-09-02", "name": "Quốc khánh", "working": False} in days
    assert {d["date"] for d in days if d["working"]} == {"2026-01-10", "2026-08-22"}


LOADS = """
import sys
from scheduler.cli import main
sys.argv = ["hanbao", *sys.argv[1:]]
try:
    main()
finally:
    heavy = ("sqlalchemy", "sqlmodel", "alembic", "fastapi", "prometheus_client", "aiosmtplib",
             "holidays.countries")  # the package's 250 countries, for Vietnam alone
    print(sorted(m for m in heavy if m in sys.modules), file=sys.stderr)
"""


def test_a_calendar_command_loads_no_database_mail_or_web_library(fresh_db: str) -> None:
    env = {**os.environ, "HANBAO_CONFIG": str(CONFIG_PATH), "HANBAO_DATABASE_URL": fresh_db}
    args = ("calendar", "deadline", "29/08/2026", "--working-days", "1", "--json")
    result = subprocess.run(
        [sys.executable, "-c", LOADS, *args], capture_output=True, text=True, env=env, check=True
    )
    assert json.loads(result.stdout) == {"due": "2026-09-03T23:59:59+07:00"}
    assert result.stderr.strip().splitlines()[-1] == "[]"


def test_a_bad_units_file_is_rejected_whole(fresh_db: str, tmp_path: Path) -> None:
    hanbao("init", db=fresh_db)
    bad = tmp_path / "units.csv"
    bad.write_text(
        "code,name,kind,parent,email,officer,leader,supervisor\n"
        "T01,UBND tỉnh,province,,vt@tinhmau.example,,ld@tinhmau.example,s@tinhmau.example\n"
        "X01,UBND xã A,commune,T01,u@a.tinhmau.example,o@gmail.com,l@a.tinhmau.example,\n",
        encoding="utf-8",
    )
    result = hanbao("units", "import", str(bad), db=fresh_db, ok=False)
    assert result.returncode == 2
    assert "dòng/row 3 (X01): o@gmail.com ngoài các miền được phép" in result.stderr
    assert "Traceback" not in result.stderr
    assert hanbao_json("units", "list", db=fresh_db) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("calendar", "deadline", "31/02/2027", "--working-days", "1"), "dd/mm/yyyy"),
        (
            (
                "case",
                "open",
                "VV-1",
                "--unit",
                "X99",
                "--verified",
                "01/03/2027 10:00",
                "--as-of",
                "02/03/2027 10:00",
            ),
            "unknown unit 'X99'",
        ),
        (("submit", "999", "--at", "01/03/2027 10:00"), "unknown obligation 999"),
        (("simulate", "--from", "02/01/2027", "--to", "01/01/2027"), "--to must not be before"),
    ],
)
def test_errors_say_what_to_fix(fresh_db: str, args: tuple[str, ...], message: str) -> None:
    hanbao("init", db=fresh_db)
    hanbao("units", "import", str(SAMPLE_UNITS), db=fresh_db)
    result = hanbao(*args, db=fresh_db, ok=False)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr


def test_a_relative_sqlite_file_in_the_settings_lies_beside_the_settings(tmp_path: Path) -> None:
    folder, elsewhere = tmp_path / "etc", tmp_path / "elsewhere"
    folder.mkdir()
    elsewhere.mkdir()
    settings = write_settings(folder, "sqlite:///state.sqlite3", 8025)
    env = {"HANBAO_CONFIG": str(settings)}
    ready = hanbao_json("init", db=None, env=env, cwd=elsewhere)
    assert ready["database"] == f"sqlite:///{folder / 'state.sqlite3'}"
    assert (folder / "state.sqlite3").is_file() and list(elsewhere.iterdir()) == []
    # from yet another folder the same database is found, initialised
    assert hanbao_json("status", db=None, env=env, cwd=tmp_path) == []
    # a URL typed by the user stays relative to where it was typed
    hanbao("init", "--db", "sqlite:///typed.sqlite3", db=None, env=env, cwd=elsewhere)
    assert (elsewhere / "typed.sqlite3").is_file()


def test_an_uninitialised_database_is_refused_with_the_fix(fresh_db: str) -> None:
    result = hanbao("status", db=fresh_db, ok=False)
    assert result.returncode == 2
    assert "hanbao init" in result.stderr


@pytest.fixture
def relay() -> Iterator[tuple[Sink, dict[str, str]]]:
    """A capture server, and the environment that points hanbao at it."""
    handler, port = Sink(), free_port()
    controller = start(handler, port)
    yield (
        handler,
        {
            "HANBAO_SMTP_HOST": "127.0.0.1",
            "HANBAO_SMTP_PORT": str(port),
            "HANBAO_SMTP_SECURITY": "none",
        },
    )
    controller.stop()


def test_mail_from_the_command_line(fresh_db: str, relay: tuple[Sink, dict[str, str]]) -> None:
    handler, env = relay
    hanbao("init", db=fresh_db)
    hanbao("units", "import", str(SAMPLE_UNITS), db=fresh_db)
    officer = "treem@anbinh.huyenmau.tinhmau.example"
    test = hanbao_json("send-test", officer, db=fresh_db, env=env)
    assert test["answer"].startswith("2.0.0") or "accepted" in test["answer"]
    assert handler.received[0].subject.startswith("[THỬ]")
    # an address that is no unit's contact is refused before any connection
    refused = hanbao(
        "send-test", "someone@huyenmau.tinhmau.example", db=fresh_db, env=env, ok=False
    )
    assert refused.returncode == 2 and "not a contact" in refused.stderr

    hanbao(
        "case",
        "open",
        "VV-CLI",
        "--unit",
        "X01",
        "--verified",
        "03/03/2027 10:00",
        "--as-of",
        "03/03/2027 10:05",
        db=fresh_db,
    )
    hanbao("sweep", "--as-of", "03/03/2027 10:05", db=fresh_db)
    handler.refuse["chutich@anbinh.huyenmau.tinhmau.example"] = "550 5.1.1 No such user"
    result = hanbao_json("deliver", "--once", "--as-of", "03/03/2027 10:05", db=fresh_db, env=env)
    assert {k: result[k] for k in ("queued", "sent", "failed")} == {
        "queued": 2,
        "sent": 1,
        "failed": 1,
    }
    (failed,) = hanbao_json("outbox", "list", "--state", "failed", db=fresh_db)
    assert failed["last_error"].startswith("550")
    # the commune fixes its mailbox; the operator sends the mail again
    handler.refuse.clear()
    hanbao("outbox", "retry", str(failed["id"]), "--as-of", "03/03/2027 11:00", db=fresh_db)
    again = hanbao_json("deliver", "--once", "--as-of", "03/03/2027 11:00", db=fresh_db, env=env)
    assert again["sent"] == 1
    assert {m["state"] for m in hanbao_json("outbox", "list", db=fresh_db)} == {"sent"}
    assert hanbao("deliver", db=fresh_db, ok=False).returncode == 2  # --once is required


def test_a_token_is_shown_once_and_stored_only_hashed(fresh_db: str, tmp_path: Path) -> None:
    hanbao("init", db=fresh_db)
    hanbao("units", "import", str(SAMPLE_UNITS), db=fresh_db)
    created = hanbao_json("token", "create", "--unit", "H01", "--role", "supervisor", db=fresh_db)
    assert created["token"].startswith("hb_") and created["role"] == "supervisor"
    database = Path(fresh_db.removeprefix("sqlite:///"))
    stored = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    assert created["token"].encode() not in stored
    wrong = hanbao("token", "create", "--unit", "H01", "--role", "king", db=fresh_db, ok=False)
    assert wrong.returncode == 2 and "officer, supervisor, leader, admin" in wrong.stderr


def refused(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Exit status 2 and a message naming what to fix, never a traceback."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in result.stderr


def test_a_folder_given_as_settings_is_refused_naming_the_file_to_give(
    fresh_db: str, tmp_path: Path
) -> None:
    result = hanbao("status", "--config", str(tmp_path), db=fresh_db, ok=False)
    refused(result, "is a folder", str(tmp_path / "hanbao.yaml"))


def test_the_overdue_report_into_a_missing_folder_is_refused(fresh_db: str, tmp_path: Path) -> None:
    hanbao("init", db=fresh_db)
    target = tmp_path / "missing" / "qua-han.xlsx"
    result = hanbao("report", "overdue", "-o", str(target), db=fresh_db, ok=False)
    refused(result, str(target), "existing folder")


def test_calendar_days_of_year_zero_is_refused(fresh_db: str) -> None:
    refused(hanbao("calendar", "days", "0", db=fresh_db, ok=False), "year out of range", "2027")


def test_an_absurd_number_of_working_days_is_refused_at_once(fresh_db: str) -> None:
    result = hanbao(
        "calendar", "deadline", "04/02/2027", "--working-days", "100000000", db=fresh_db, ok=False
    )
    refused(result, "working days must be 1 to 3660")


def test_demo_with_its_mail_port_busy_writes_nothing(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {"HANBAO_SMTP_PORT": str(port), "HANBAO_HTTP_PORT": str(free_port())}
        folder = tmp_path / "demo"
        result = hanbao("demo", "--folder", str(folder), db=None, env=env, ok=False)
    refused(result, f"127.0.0.1:{port}", "HANBAO_SMTP_PORT")
    assert not folder.exists()


def test_a_verification_decades_old_is_refused_unless_backfilled(fresh_db: str) -> None:
    hanbao("init", db=fresh_db)
    hanbao("units", "import", str(SAMPLE_UNITS), db=fresh_db)
    old = ("case", "open", "VV-1990", "--unit", "X01", "--verified", "01/01/1990")
    now = ("--as-of", "01/03/2027 10:00")
    refused(hanbao(*old, *now, db=fresh_db, ok=False), "more than 365 days ago", "--backfill")
    assert hanbao_json("status", db=fresh_db) == []
    opened = hanbao_json(*old, "--backfill", *now, db=fresh_db)
    assert opened[0]["kind"] == "urgent_report" and opened[0]["days_late"] > 13_000


def commands() -> dict[str, TyperCommand]:
    """Every command of the Typer app, by its full name (``units import``)."""
    found: dict[str, TyperCommand] = {}

    def walk(group: TyperGroup, prefix: str) -> None:
        for name, command in group.commands.items():
            if isinstance(command, TyperGroup):
                walk(command, f"{prefix}{name} ")
            else:
                assert isinstance(command, TyperCommand)
                found[prefix + name] = command

    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    walk(root, "")
    return found


def test_every_argument_and_option_has_help() -> None:
    missing = [
        f"{name} {param.name}"
        for name, command in commands().items()
        for param in command.params
        if not getattr(param, "help", None)
    ]
    assert missing == []


def test_every_command_that_prints_takes_json() -> None:
    quiet = {"run"}  # the daemon only logs
    assert [
        n for n, c in commands().items() if n not in quiet and not options(c) >= {"--json"}
    ] == []


# every command that records or shows a moment read from the clock (README: --as-of)
READS_THE_CLOCK = {
    "units import",
    "case open",
    "case report",
    "adhoc request",
    "submit",
    "confirm",
    "dispute",
    "periodic generate",
    "sweep",
    "status",
    "deliver",
    "outbox retry",
    "send-test",
    "report overdue",
    "report timeliness",
    "token create",
    "token revoke",
}


def test_every_command_that_reads_the_clock_takes_as_of() -> None:
    found = commands()
    assert set(found) >= READS_THE_CLOCK
    assert [n for n in sorted(READS_THE_CLOCK) if "--as-of" not in options(found[n])] == []


def options(command: TyperCommand) -> set[str]:
    return {opt for param in command.params for opt in param.opts}


def test_status_of_an_unknown_unit_is_an_error(fresh_db: str) -> None:
    hanbao("init", db=fresh_db)
    refused(hanbao("status", "--unit", "NOPE", db=fresh_db, ok=False), "unknown unit 'NOPE'")


def test_the_overdue_report_says_what_it_wrote_in_json(database_url: str, tmp_path: Path) -> None:
    hanbao("periodic", "generate", "--year", "2027", "--as-of", "01/01/2027 00:00", db=database_url)
    target = tmp_path / "qua-han.csv"
    written = hanbao_json(
        "report",
        "overdue",
        "--format",
        "csv",
        "-o",
        str(target),
        "--as-of",
        "02/07/2027 09:00",
        db=database_url,
    )
    assert written == {"file": str(target), "format": "csv", "rows": 16}
    assert len(target.read_text(encoding="utf-8-sig").splitlines()) == 1 + 16


@pytest.mark.parametrize(
    ("args", "english"),
    [
        (("deliver",), "deliver makes one pass: add --once"),
        (("outbox", "list", "--state", "lost"), "--state: trạng thái không có / unknown state"),
        (("report", "overdue", "--format", "pdf"), "xlsx hoặc / or csv, không phải / not 'pdf'"),
        (("token", "create", "--unit", "H01", "--role", "king"), "unknown role 'king'"),
    ],
)
def test_command_line_refusals_are_in_vietnamese_and_english(
    fresh_db: str, args: tuple[str, ...], english: str
) -> None:
    hanbao("init", db=fresh_db)
    refused(hanbao(*args, db=fresh_db, ok=False), english)


def test_readme_tour_sends_no_reminder_for_a_plan_submitted_before_delivery(
    fresh_db: str, relay: tuple[Sink, dict[str, str]]
) -> None:
    handler, env = relay
    hanbao("init", db=fresh_db)
    hanbao("units", "import", str(SAMPLE_UNITS), db=fresh_db)
    opened = hanbao_json(
        "case",
        "open",
        "VV-2027-001",
        "--unit",
        "X03",
        "--verified",
        "04/02/2027 15:00",
        "--as-of",
        "04/02/2027 16:00",
        db=fresh_db,
    )
    plan = next(o["id"] for o in opened if o["kind"] == "support_plan")
    report = ("--stage", "urgent", "--at", "11/02/2027 09:00", "--as-of", "11/02/2027 10:00")
    hanbao("case", "report", "VV-2027-001", *report, db=fresh_db)
    hanbao("sweep", "--as-of", "18/02/2027 09:00", db=fresh_db)  # the plan is 1 day overdue
    hanbao(
        "submit", str(plan), "--at", "18/02/2027 10:30", "--as-of", "18/02/2027 10:30", db=fresh_db
    )
    result = hanbao_json("deliver", "--once", "--as-of", "18/02/2027 10:45", db=fresh_db, env=env)
    assert result["sent"] == len(handler.received) > 0  # the written report is still overdue
    assert all("Kế hoạch hỗ trợ" not in r.text() for r in handler.received)
    assert result["cancelled"] == 2
    cancelled = hanbao_json("outbox", "list", "--state", "cancelled", db=fresh_db)
    assert sorted(m["recipient"] for m in cancelled) == [
        "chutich@camlo.huyenmau.tinhmau.example",
        "treem@camlo.huyenmau.tinhmau.example",
    ]
    for message in cancelled:
        assert "Kế hoạch hỗ trợ" in message["subject"]
        assert f"nghĩa vụ {plan} đã nộp lúc 18/02/2027 10:30" in message["last_error"]
    assert "cancelled" in hanbao("outbox", "list", db=fresh_db).stdout


def test_the_receiving_unit_confirms_and_disputes_from_the_command_line(
    database_url: str,
) -> None:
    db = database_url
    # verified on 29 Tết: the urgent report is due 11/02 (the README's tour)
    opening = ["case", "open", "VV-CLI", "--unit", "X03", "--verified", "04/02/2027 15:00"]
    hanbao(*opening, "--as-of", "04/02/2027 16:00", db=db)
    report = ["case", "report", "VV-CLI", "--stage", "urgent", "--at", "11/02/2027 09:00"]
    urgent = hanbao_json(*report, "--as-of", "11/02/2027 10:00", db=db)[0]
    ident = str(urgent["id"])
    assert (urgent["submitted_via"], urgent["confirmed_at"]) == ("cli", None)
    (confirmed,) = hanbao_json("confirm", ident, "--as-of", "11/02/2027 11:00", db=db)
    assert (confirmed["state"], confirmed["confirmed_at"]) == (
        "submitted",
        "2027-02-11T11:00:00+07:00",
    )
    table = hanbao("confirm", ident, "--as-of", "11/02/2027 12:00", db=db).stdout
    assert "Cấp trên đã xác nhận đã nhận (11/02/2027 11:00)" in table  # twice: unchanged
    bad = hanbao("dispute", ident, "--reason", "chau bi danh", db=db, ok=False)
    assert bad.returncode == 2
    assert "unknown reason 'chau bi danh'" in bad.stderr
    assert "not_received (Chưa nhận được báo cáo)" in bad.stderr and "unreadable" in bad.stderr
    (disputed,) = hanbao_json(
        "dispute", ident, "--reason", "not_received", "--as-of", "12/02/2027 09:00", db=db
    )
    assert (disputed["state"], disputed["days_late"], disputed["submitted_at"]) == (
        "overdue",
        1,
        None,
    )
    assert (disputed["confirmed_at"], disputed["submitted_via"], disputed["disputed_at"]) == (
        None,
        None,
        "2027-02-12T09:00:00+07:00",
    )
    (shown,) = [o for o in hanbao_json("status", "--unit", "X03", db=db) if o["id"] == urgent["id"]]
    assert shown["disputed_at"] == disputed["disputed_at"]
    flags = hanbao_json("sweep", "--as-of", "12/02/2027 09:00", db=db)
    assert [e["step"] for e in flags if e["obligation"] == urgent["id"] and e["late_flag"]] == [
        "late_flag"
    ]


# --- bad input from the sweep of issue 17: a message and exit 2, nothing written --------------


def file_digest(url: str) -> str:
    return hashlib.sha256(Path(url.removeprefix("sqlite:///")).read_bytes()).hexdigest()


def test_a_deadline_counted_from_the_year_9999_is_refused(fresh_db: str) -> None:
    result = hanbao(
        "calendar", "deadline", "31/12/9999", "--working-days", "1", db=fresh_db, ok=False
    )
    refused(result, "31/12/9999", "falls outside the calendar", "check the year typed")


@pytest.mark.parametrize(
    ("args", "english"),
    [
        (("submit", TOO_BIG, "--at", "01/03/2027 10:00"), "unknown obligation"),
        (("confirm", TOO_BIG), "unknown obligation"),
        (("dispute", TOO_BIG, "--reason", "not_received"), "unknown obligation"),
        (("outbox", "retry", TOO_BIG), "unknown message"),
        (("token", "revoke", TOO_BIG), "unknown token"),
    ],
)
def test_an_id_no_database_can_hold_is_an_unknown_record(
    fresh_db: str, args: tuple[str, ...], english: str
) -> None:
    hanbao("init", db=fresh_db)
    before = file_digest(fresh_db)
    refused(hanbao(*args, db=fresh_db, ok=False), f"{english} {TOO_BIG}", "the id is a number")
    assert file_digest(fresh_db) == before


def test_a_unit_row_with_its_code_twice_is_refused(fresh_db: str, tmp_path: Path) -> None:
    hanbao("init", db=fresh_db)
    units = tmp_path / "units.yaml"
    units.write_text(
        "units:\n  - {code: X77, name: UBND xã Mới, kind: commune, parent: H01,\n"
        "     email: ubnd@moi.huyenmau.tinhmau.example, code: X78}\n",
        encoding="utf-8",
    )
    before = file_digest(fresh_db)
    refused(
        hanbao("units", "import", str(units), db=fresh_db, ok=False),
        str(units),
        "key 'code' is given twice",
        "line 3",
    )
    assert file_digest(fresh_db) == before


@pytest.mark.parametrize(
    ("file", "line", "again"),
    [
        ("hanbao.yaml", "sweep_batch: 500\n", "allowed_domains: ['*.example']\n"),
        ("rules.yaml", "    deadline: {working_days: 1}\n", "    deadline: {hours: 12}\n"),
        ("calendar-overrides.yaml", "  - date: 02/01/2026\n", "    date: 03/01/2026\n"),
    ],
)
def test_a_key_given_twice_in_a_configuration_file_is_refused(
    tmp_path: Path, file: str, line: str, again: str
) -> None:
    folder = tmp_path / "config"
    shutil.copytree(CONFIG_PATH.parent, folder)
    text = (folder / file).read_text(encoding="utf-8")
    assert text.count(line) == 1
    (folder / file).write_text(text.replace(line, line + again), encoding="utf-8")
    result = hanbao("check-config", "--config", str(folder / "hanbao.yaml"), db=None, ok=False)
    key = again.split(":")[0].strip()
    refused(result, str(folder / file), f"key '{key}' is given twice", "keep one")


def test_db_current_on_a_database_file_that_is_not_there_says_so_and_leaves_no_file(
    tmp_path: Path,
) -> None:
    never = tmp_path / "typo.sqlite3"
    result = hanbao("db", "current", "--json", db=f"sqlite:///{never}", ok=False)
    refused(result, str(never), "no database at", "hanbao init")
    assert result.stdout == ""
    assert not never.exists()


def test_status_on_a_database_never_initialised_leaves_no_file(tmp_path: Path) -> None:
    never = tmp_path / "never.sqlite3"
    refused(hanbao("status", db=f"sqlite:///{never}", ok=False), "hanbao init")
    assert not never.exists()
