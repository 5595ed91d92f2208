"""The ``hanbao`` command line. Every command takes ``--json``, ``--config`` and ``--db``.

The clock is read here, once per command (``--as-of`` replaces it), and passed inward.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from scheduler import ledger, outbox, receipt, report, timeliness, timeliness_export
from scheduler.access import create_token, revoke_token
from scheduler.clock import SystemClock, clock_from
from scheduler.errors import ConfigError, DeliveryError, HanbaoError, InvalidInput
from scheduler.hierarchy.life import tree_on
from scheduler.logs import configure as configure_logs
from scheduler.mail_settings import LOOPBACK
from scheduler.output import print_json, print_table
from scheduler.records import Obligation
from scheduler.render import Renderer
from scheduler.settings import DEFAULT_CONFIG, Config, config_path, load_config
from scheduler.simulate import simulate
from scheduler.store import migrate
from scheduler.store.connection import check_writable
from scheduler.store.queries import Store, transaction
from scheduler.store.schema import make_engine
from scheduler.sweep import Emitted, sweep
from scheduler.vntime import (
    VN_TZ,
    check_year,
    end_of_day,
    fmt_date,
    iso,
    parse_date,
    parse_datetime,
    parse_deadline,
)

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="hanbao: hạn báo cáo bảo vệ trẻ em / child-protection report deadlines",
)
units_app = typer.Typer(no_args_is_help=True, help="Đơn vị và địa chỉ liên hệ / units and contacts")
calendar_app = typer.Typer(no_args_is_help=True, help="Lịch ngày làm việc / working-day calendar")
case_app = typer.Typer(no_args_is_help=True, help="Vụ việc / cases")
adhoc_app = typer.Typer(no_args_is_help=True, help="Báo cáo đột xuất / ad-hoc reports")
periodic_app = typer.Typer(no_args_is_help=True, help="Báo cáo định kỳ / periodic reports")
outbox_app = typer.Typer(no_args_is_help=True, help="Hộp thư đi / the outbox")
db_app = typer.Typer(no_args_is_help=True, help="Lược đồ cơ sở dữ liệu / the database schema")
for sub, name in (
    (units_app, "units"),
    (calendar_app, "calendar"),
    (case_app, "case"),
    (adhoc_app, "adhoc"),
    (periodic_app, "periodic"),
    (outbox_app, "outbox"),
    (db_app, "db"),
):
    app.add_typer(sub, name=name)

JsonOpt = Annotated[bool, typer.Option("--json", help="JSON output for machines")]
ConfigOpt = Annotated[str | None, typer.Option("--config", help="settings file (HANBAO_CONFIG)")]
DbOpt = Annotated[str | None, typer.Option("--db", help="database URL (HANBAO_DATABASE_URL)")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="act as if now were dd/mm/yyyy HH:MM")]
CaseCodeArg = Annotated[
    str, typer.Argument(help="mã vụ việc, không ghi tên / case code, never a name")
]
MAX_ID = 2**63 - 1  # the largest id SQLite and PostgreSQL (bigint) can hold


def _record_id(vi: str, en: str, listing: str) -> Callable[[str], int]:
    """Parses an id as typed; what is not a number, or one no database can hold, names no
    record and is refused here (the driver would fail on it with an overflow)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if not 1 <= value <= MAX_ID:
            raise InvalidInput(
                f"không có {vi} / unknown {en} {text}: mã là số trong `{listing}` / "
                f"the id is a number from `{listing}`"
            )
        return value

    return parse


ObligationArg = Annotated[
    int,
    typer.Argument(
        help="mã nghĩa vụ (cột Mã của status) / the obligation's id",
        parser=_record_id("nghĩa vụ", "obligation", "hanbao status"),
    ),
]
SAMPLE_UNITS = DEFAULT_CONFIG.parent / "units.sample.yaml"
OBLIGATION_COLUMNS = (
    ("id", "Mã"),
    ("unit", "Đơn vị"),
    ("kind", "Loại"),
    ("case", "Vụ việc"),
    ("period", "Kỳ"),
    ("due", "Hạn"),
    ("state", "Trạng thái"),
    ("submitted_at", "Đã nộp"),
    ("days_late", "Số ngày trễ"),
    ("standing", "Tình trạng nộp"),  # the unit's word, or the receiving unit's (not in --json)
)
STATE_VI = {
    "open": "đang mở",
    "overdue": "quá hạn",
    "submitted": "đã nộp",
    "superseded": "đơn vị kế thừa báo cáo",
}


@dataclass(frozen=True)
class Env:
    config: Config
    engine: Engine
    now: datetime


def _now(as_of: str | None) -> datetime:
    return parse_datetime(as_of) if as_of else datetime.now(VN_TZ)


def _env(
    config: str | None, db: str | None, as_of: str | None = None, *, need_schema: bool = True
) -> Env:
    loaded = load_config(config_path(config), db)
    engine = make_engine(loaded.database_url)
    if need_schema:
        migrate.check(engine)
    return Env(loaded, engine, _now(as_of))


@contextmanager
def _writing(env: Env) -> Iterator[Store]:
    with transaction(env.engine) as store:
        yield store


def _show_obligations(items: list[Obligation], now: datetime, json_out: bool) -> None:
    rows = [o.as_json(now) for o in items]
    if json_out:
        print_json(rows)
        return
    for row, item in zip(rows, items, strict=True):
        row["unit"] = item.owner
        row["state"] = STATE_VI[row["state"]]
        row["due"] = _short(row["due"])
        row["submitted_at"] = _short(row["submitted_at"])
        row["standing"] = receipt.describe(item)
    print_table(rows, OBLIGATION_COLUMNS)


def _short(value: str | None) -> str | None:
    return None if value is None else datetime.fromisoformat(value).strftime("%d/%m/%Y %H:%M")


def emitted_json(e: Emitted) -> dict[str, Any]:
    return {
        "at": iso(e.at),
        "obligation": e.obligation.id,
        "kind": e.obligation.kind,
        "unit": e.obligation.unit,
        "case": e.obligation.case_code,
        "step": e.step,
        "repeat": e.repeat,
        "recipients": list(e.recipients),
        "late_flag": e.late_flag,
    }


def _show_emitted(items: list[Emitted], json_out: bool) -> None:
    rows = [emitted_json(e) for e in items]
    if json_out:
        print_json(rows)
        return
    for row in rows:
        row["at"] = _short(row["at"])
    print_table(
        rows,
        (
            ("at", "Thời điểm"),
            ("obligation", "Nghĩa vụ"),
            ("unit", "Đơn vị"),
            ("kind", "Loại"),
            ("step", "Bậc"),
            ("late_flag", "Báo trễ"),
            ("recipients", "Người nhận"),
        ),
    )


# --- setup ------------------------------------------------------------------------------------


@app.command()
def init(json_out: JsonOpt = False, config: ConfigOpt = None, db: DbOpt = None) -> None:
    """Tạo cơ sở dữ liệu / create the database schema (safe to run again)."""
    env = _env(config, db, need_schema=False)
    migrate.create(env.engine)
    url = env.engine.url.render_as_string(hide_password=True)
    print_json({"database": url, "ready": True}) if json_out else print(f"Đã khởi tạo {url}")


@db_app.command("current")
def db_current(json_out: JsonOpt = False, config: ConfigOpt = None, db: DbOpt = None) -> None:
    """Lược đồ của cơ sở dữ liệu so với mã / the database's schema revision and the code's."""
    env = _env(config, db, need_schema=False)
    found = migrate.state(env.engine)
    if json_out:
        print_json(found.as_json())
        return
    where = found.revision or ("phiên bản 1 (chưa có Alembic)" if found.legacy else "trống")
    verdict = "mới nhất / up to date" if found.up_to_date else "cần `hanbao db upgrade`"
    print(f"Lược đồ: {where}; mã: {found.head} - {verdict}")


@db_app.command("upgrade")
def db_upgrade(json_out: JsonOpt = False, config: ConfigOpt = None, db: DbOpt = None) -> None:
    """Nâng lược đồ lên bản mới nhất, giữ nguyên dữ liệu (sao lưu trước) / upgrade in place."""
    env = _env(config, db, need_schema=False)
    before, after = migrate.upgrade(env.engine)
    if json_out:
        print_json({"from": before.revision, **after.as_json()})
        return
    if before.revision == after.revision:
        print(f"Lược đồ đã mới nhất / already up to date: {after.revision}")
    else:
        print(f"Đã nâng lược đồ / upgraded: {before.revision or 'phiên bản 1'} -> {after.revision}")


@app.command("check-config")
def check_config(json_out: JsonOpt = False, config: ConfigOpt = None, db: DbOpt = None) -> None:
    """Kiểm tra cấu hình / validate the settings, rules and calendar files."""
    env = _env(config, db, need_schema=False)
    kinds = [
        {
            "kind": k.id,
            "name": k.name,
            "trigger": k.trigger,
            "deadline": k.deadline.describe(),
            "steps": [s.name for s in k.ladder],
        }
        for k in env.config.rules.kinds.values()
    ]
    mail = _mail_drain(env)
    if json_out:
        print_json({"config": str(env.config.path), "ok": True, "kinds": kinds, "mail": mail})
        return
    print(f"Cấu hình hợp lệ / configuration valid: {env.config.path}")
    print_table(
        kinds, (("kind", "Loại"), ("name", "Tên"), ("deadline", "Hạn"), ("steps", "Các bậc nhắc"))
    )
    line = f"Máy chủ thư / relay: {mail['rate_per_minute']} thư/phút / messages a minute"
    if "waiting" in mail:
        minutes = mail["drain_seconds_estimate"] / 60
        line += (
            f"; {mail['waiting']} thư đang chờ, gửi hết trong khoảng / waiting, drained in about "
            f"{minutes:.0f} phút / minutes"
        )
    print(line)


def _mail_drain(env: Env) -> dict[str, Any]:
    """The relay's rate and, when the database is there, how long its backlog takes at it. A
    database that is not there is not created."""
    rate = env.config.mail.rate_per_minute
    found: dict[str, Any] = {"rate_per_minute": rate}
    url = env.engine.url
    if url.get_backend_name() == "sqlite" and not (url.database and Path(url.database).exists()):
        return found
    try:
        with transaction(env.engine) as store:
            counts = outbox.counts(store)
    except SQLAlchemyError:  # no database, or not initialised: the settings are still checked
        return found
    found["waiting"] = counts.get("pending", 0) + counts.get("sending", 0)
    found["drain_seconds_estimate"] = outbox.drain_seconds(counts, rate)
    return found


# --- units ------------------------------------------------------------------------------------


@units_app.command("import")
def units_import(
    file: Annotated[
        Path, typer.Argument(help="tệp YAML, CSV hoặc XLSX / a YAML, CSV or XLSX file")
    ],
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Nhập đơn vị từ YAML, CSV hoặc XLSX: thêm và cập nhật, không xoá đơn vị; một dòng sai thì
    không ghi gì; đơn vị hết hiệu lực chuyển việc cho đơn vị kế thừa / adds and updates units,
    never deletes one; a bad row and nothing is written; a closed unit hands over to its
    successor."""
    env = _env(config, db, as_of)
    with _writing(env) as store:
        count = ledger.import_units(store, env.config, file, env.now, "cli")
    if json_out:
        print_json({"imported": count, "file": str(file)})
    else:
        print(f"Đã nhập {count} đơn vị từ {file}")


@units_app.command("list")
def units_list(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="cây đơn vị như ngày dd/mm/yyyy / tree of a day")
    ] = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Danh sách đơn vị / list units with their contacts; --as-of: as the tree was that day."""
    env = _env(config, db, as_of)
    with _writing(env) as store:
        stored = store.units()
        if as_of:
            stored = tree_on(stored, store.earlier_parents(), env.now.date())
    units = list(stored.values())
    rows: list[dict[str, Any]] = [
        {
            "code": u.code,
            "name": u.name,
            "kind": u.kind,
            "parent": u.parent,
            "email": u.email,
            "contacts": {role: list(a) for role, a in u.contacts.items()},
            "valid_from": u.valid_from.isoformat() if u.valid_from else None,
            "valid_to": u.valid_to.isoformat() if u.valid_to else None,
            "successor": u.successor,
        }
        for u in units
    ]
    if json_out:
        print_json(rows)
        return
    for row, u in zip(rows, units, strict=True):
        row["contacts"] = "; ".join(f"{r}: {', '.join(a)}" for r, a in u.contacts.items())
        row["valid_to"] = fmt_date(u.valid_to) if u.valid_to else None
    print_table(
        rows,
        (
            ("code", "Mã"),
            ("name", "Tên"),
            ("kind", "Loại"),
            ("parent", "Cấp trên"),
            ("contacts", "Liên hệ"),
            ("valid_to", "Hiệu lực đến"),
            ("successor", "Kế thừa"),
        ),
    )


# --- calendar ---------------------------------------------------------------------------------


@calendar_app.command("deadline")
def calendar_deadline(
    start: Annotated[str, typer.Argument(help="dd/mm/yyyy [HH:MM]: the event (not counted)")],
    working_days: Annotated[int, typer.Option("--working-days", help="N working days")],
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Hạn sau N ngày làm việc (BLDS 2015, Điều 147-148)."""
    env = _env(config, db, need_schema=False)
    due = env.config.calendar.working_days_deadline(parse_datetime(start), working_days)
    print_json({"due": iso(due)}) if json_out else print(f"Hạn: hết ngày {fmt_date(due.date())}")


@calendar_app.command("days")
def calendar_days(
    year: Annotated[int, typer.Argument(help="năm, ví dụ 2027 / the year, e.g. 2027")],
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Các ngày nghỉ và ngày làm bù trong năm / days off and swapped working days."""
    check_year(year)
    env = _env(config, db, need_schema=False)
    cal = env.config.calendar
    rows = [
        {"date": d.day.isoformat(), "name": d.name, "working": False} for d in cal.days_off(year)
    ]
    rows += [
        {"date": d.day.isoformat(), "name": d.name, "working": True}
        for d in cal.swapped_working_days(year)
    ]
    rows.sort(key=lambda r: str(r["date"]))
    if json_out:
        print_json(rows)
        return
    for row in rows:
        row["date"] = fmt_date(date.fromisoformat(str(row["date"])))
        row["working"] = "làm việc (làm bù)" if row["working"] else "nghỉ"
    print_table(rows, (("date", "Ngày"), ("working", "Loại"), ("name", "Tên")))


# --- cases, requests, submissions ------------------------------------------------------------


@case_app.command("open")
def case_open(
    code: CaseCodeArg,
    unit: Annotated[str, typer.Option("--unit", help="mã xã / commune code")],
    verified: Annotated[str, typer.Option("--verified", help="dd/mm/yyyy HH:MM xác thực")],
    category: Annotated[str, typer.Option("--category", help="loại vụ việc")] = "xam_hai",
    backfill: Annotated[
        bool,
        typer.Option(
            "--backfill",
            help="nhập bù vụ việc xác thực trước backfill_horizon_days / "
            "record a case verified longer ago than backfill_horizon_days",
        ),
    ] = False,
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Mở vụ việc đã xác thực: tạo nghĩa vụ báo cáo nhanh (01 ngày làm việc)."""
    env = _env(config, db, as_of)
    with _writing(env) as store:
        created = ledger.open_case(
            store,
            env.config,
            code,
            unit,
            category,
            parse_datetime(verified),
            env.now,
            "cli",
            backfill=backfill,
        )
    _show_obligations(created, env.now, json_out)


@case_app.command("report")
def case_report(
    code: CaseCodeArg,
    stage: Annotated[str, typer.Option("--stage", help="urgent | written (or a kind id)")],
    at: Annotated[str, typer.Option("--at", help="dd/mm/yyyy HH:MM gửi")],
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Ghi nhận đã gửi báo cáo của vụ việc (báo cáo nhanh qua thư, hoặc văn bản)."""
    env = _env(config, db, as_of)
    with _writing(env) as store:
        done, started = ledger.report_case(
            store, env.config, code, stage, parse_datetime(at), env.now, "cli", via="cli"
        )
    _show_obligations([done, *started], env.now, json_out)


@adhoc_app.command("request")
def adhoc_request(
    unit: Annotated[str, typer.Option("--unit", help="đơn vị phải báo cáo")],
    reference: Annotated[str, typer.Option("--reference", help="số/ký hiệu văn bản yêu cầu")],
    due: Annotated[str, typer.Option("--due", help="hạn dd/mm/yyyy [HH:MM]")],
    requested_by: Annotated[str, typer.Option("--requested-by", help="cơ quan yêu cầu")],
    kind: Annotated[
        str, typer.Option("--kind", help="loại báo cáo theo yêu cầu / a request kind in the rules")
    ] = "adhoc_report",
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Yêu cầu báo cáo đột xuất với hạn do cơ quan yêu cầu đặt (ngày không giờ: hết ngày)."""
    env = _env(config, db, as_of)
    due_at = parse_deadline(due)
    with _writing(env) as store:
        created = ledger.request_adhoc(
            store, env.config, unit, reference, due_at, requested_by, env.now, "cli", kind
        )
    _show_obligations([created], env.now, json_out)


@app.command()
def submit(
    obligation_id: ObligationArg,
    at: Annotated[str, typer.Option("--at", help="dd/mm/yyyy HH:MM nộp")],
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Ghi nhận đã nộp báo cáo: dừng nhắc ngay; nộp trễ được giữ là trễ."""
    env = _env(config, db, as_of)
    with _writing(env) as store:
        done, started = ledger.submit(
            store, env.config, obligation_id, parse_datetime(at), env.now, "cli", via="cli"
        )
    _show_obligations([done, *started], env.now, json_out)


@app.command()
def confirm(
    obligation_id: ObligationArg,
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Cấp trên xác nhận đã nhận báo cáo / the receiving unit confirms it has the report."""
    env = _env(config, db, as_of)
    with _writing(env) as store:
        confirmed = receipt.confirm(store, env.config, obligation_id, env.now, "cli")
    _show_obligations([confirmed], env.now, json_out)


@app.command()
def dispute(
    obligation_id: ObligationArg,
    reason: Annotated[
        str, typer.Option("--reason", help="lý do / why: " + " | ".join(receipt.DISPUTE_REASONS))
    ],
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Cấp trên báo chưa nhận được: báo cáo mở lại, nhắc tiếp, trễ tính theo hạn / the receiving
    unit does not have the report: it is open again and its reminders resume."""
    env = _env(config, db, as_of)
    with _writing(env) as store:
        disputed = receipt.dispute(store, env.config, obligation_id, reason, env.now, "cli")
    _show_obligations([disputed], env.now, json_out)


@periodic_app.command("generate")
def periodic_generate(
    year: Annotated[int, typer.Option("--year", help="năm, ví dụ 2027 / the year, e.g. 2027")],
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Tạo các nghĩa vụ báo cáo định kỳ của năm cho mọi đơn vị (chạy lại không tạo trùng)."""
    env = _env(config, db, as_of)
    with _writing(env) as store:
        result = ledger.generate_periodic(store, env.config, year, env.now, "cli")
    if json_out:
        print_json({"year": year, "created": result.created, "existing": result.existing})
    else:
        print(f"Năm {year}: tạo mới {result.created}, đã có {result.existing}")


# --- the plan ----------------------------------------------------------------------------------


@app.command("sweep")
def sweep_command(
    as_of: AsOfOpt = None, json_out: JsonOpt = False, config: ConfigOpt = None, db: DbOpt = None
) -> None:
    """Ghi nhận các bậc nhắc đến hạn (mỗi bậc đúng một lần) / record the steps due now."""
    env = _env(config, db, as_of)
    _show_emitted(sweep(env.engine, env.config, env.now), json_out)


@app.command()
def status(
    as_of: AsOfOpt = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="chỉ nghĩa vụ quá hạn")] = False,
    unit: Annotated[
        str | None, typer.Option("--unit", help="chỉ một đơn vị / only this unit's obligations")
    ] = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Tình trạng các nghĩa vụ / each obligation with its deadline and state."""
    env = _env(config, db, as_of)
    with _writing(env) as store:
        if unit is not None:
            ledger.require_unit(store, unit)
        items = store.obligations(
            unit=unit, open_only=overdue, due_before=env.now if overdue else None, moved_out=True
        )
    _show_obligations(items, env.now, json_out)


@app.command("simulate")
def simulate_command(
    start: Annotated[str, typer.Option("--from", help="dd/mm/yyyy")],
    end: Annotated[str, typer.Option("--to", help="dd/mm/yyyy (inclusive)")],
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Mô phỏng mọi lời nhắc, leo thang và báo trễ trong khoảng, không thay đổi cơ sở dữ liệu."""
    env = _env(config, db)
    begin, finish = parse_datetime(start), end_of_day(parse_date(end))
    if finish < begin:
        raise InvalidInput("--to phải sau --from / --to must not be before --from")
    last_month: list[str] = []

    def progress(now: datetime, count: int) -> None:
        month = now.strftime("%m/%Y")
        if not last_month or last_month[-1] != month:
            last_month.append(month)
            print(f"... {month}: {count} sự kiện", file=sys.stderr)

    _show_emitted(simulate(env.engine, env.config, begin, finish, progress), json_out)


def main() -> None:
    try:
        app()
    except HanbaoError as exc:
        print(f"lỗi / error: {exc}", file=sys.stderr)
        sys.exit(2)


# --- mail ---------------------------------------------------------------------------------------


@app.command("deliver")
def deliver_command(
    once: Annotated[bool, typer.Option("--once", help="một lượt rồi thoát / one pass")] = False,
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Soạn thư cho các bậc nhắc đã ghi nhận, bản tổng hợp hằng ngày, rồi gửi thư đến hạn."""
    if not once:
        raise InvalidInput(
            "hanbao deliver chạy một lượt: thêm --once (chạy liên tục: hanbao run) / "
            "deliver makes one pass: add --once (to keep running: hanbao run)"
        )
    env = _env(config, db, as_of)
    clock = (lambda: env.now) if as_of else SystemClock().now
    from scheduler.deliver import run_once  # aiosmtplib: only for the commands that mail

    queued, report = asyncio.run(run_once(env.engine, env.config, clock))
    result = {
        "queued": queued,
        "sent": report.sent,
        "retrying": report.retrying,
        "failed": report.failed,
        "refused": report.refused,
        "cancelled": report.cancelled,
        "errors": report.errors,
    }
    if json_out:
        print_json(result)
        return
    print(
        f"Soạn {queued} thư; đã gửi {report.sent}, chờ gửi lại {report.retrying}, "
        f"lỗi {report.failed}, bị chặn {report.refused}, huỷ vì đã nộp {report.cancelled}"
    )
    for error in dict.fromkeys(report.errors):
        print(f"  - {error}")


@outbox_app.command("list")
def outbox_list(
    state: Annotated[str | None, typer.Option("--state", help="|".join(outbox.STATES))] = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Các thư trong hộp thư đi (mới nhất trước)."""
    env = _env(config, db)
    with _writing(env) as store:
        messages = outbox.listing(store, state)
    rows = [
        {
            "id": m.id,
            "state": m.state,
            "template": m.template,
            "recipient": m.recipient,
            "subject": m.subject,
            "attempts": m.attempts,
            "created_at": iso(m.created_at),
            "next_attempt_at": iso(m.next_attempt_at),
            "finished_at": iso(m.finished_at) if m.finished_at else None,
            "last_error": m.last_error,
        }
        for m in messages
    ]
    if json_out:
        print_json(rows)
        return
    print_table(
        rows,
        (
            ("id", "Mã"),
            ("state", "Trạng thái"),
            ("recipient", "Người nhận"),
            ("attempts", "Lần thử"),
            ("subject", "Tiêu đề"),
            ("last_error", "Lỗi"),
        ),
    )


@outbox_app.command("retry")
def outbox_retry(
    message_id: Annotated[
        int,
        typer.Argument(
            help="mã thư (outbox list) / the message's id",
            parser=_record_id("thư", "message", "hanbao outbox list"),
        ),
    ],
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Gửi lại một thư lỗi (failed) hoặc bị chặn (refused), sau khi đã sửa địa chỉ."""
    env = _env(config, db, as_of)
    with _writing(env) as store:
        outbox.retry(store, message_id, env.now)
        store.audit(env.now, "cli", "message_retry", message=message_id)
    print_json({"id": message_id, "state": "pending"}) if json_out else print(
        f"Thư {message_id} sẽ được gửi lại ở lượt gửi tới"
    )


@app.command("send-test")
def send_test_command(
    address: Annotated[
        str, typer.Argument(help="địa chỉ liên hệ của một đơn vị / a unit's contact address")
    ],
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Gửi một thư kiểm tra tới địa chỉ liên hệ đã cấu hình, qua máy chủ thư thật."""
    env = _env(config, db, as_of)
    with _writing(env) as store:
        concerned = [
            u
            for u in store.units().values()
            if any(address in values for values in u.contacts.values())
        ]
    try:
        from scheduler.deliver import send_test

        answer = asyncio.run(send_test(env.config, address, concerned, env.now))
    except DeliveryError as error:
        raise InvalidInput(f"gửi thử thất bại / test failed: {error.answer}") from None
    with _writing(env) as store:
        store.audit(env.now, "cli", "send_test", recipient=address, answer=answer)
    smtp = env.config.smtp
    result = {
        "recipient": address,
        "relay": f"{smtp.host}:{smtp.port}",
        "security": smtp.security,
        "answer": answer,
    }
    print_json(result) if json_out else print(
        f"Đã gửi thư thử tới {address} qua {smtp.host}:{smtp.port} ({smtp.security}): {answer}"
    )


# --- the daemon, the demo, the leaders' table ------------------------------------------------


def _serve(env: Env) -> None:
    check_writable(env.engine)  # a daemon that could not record would remind for ever
    clock = clock_from(os.environ.get("HANBAO_CLOCK"))
    Renderer(env.config.mail.domain).test("x@x.invalid", env.now, "startup-check")  # templates ok
    try:
        from scheduler import daemon  # the web stack and the scheduler: only for run and demo

        asyncio.run(daemon.run(env.config, env.engine, clock))
    except OSError as error:
        raise ConfigError(
            f"không mở được cổng HTTP {env.config.daemon.http_host}:{env.config.daemon.http_port}"
            f" / cannot listen: {error.strerror} (đổi / change daemon.http_port, "
            "HANBAO_HTTP_PORT)"
        ) from None


@app.command("run")
def run_command(
    config: ConfigOpt = None,
    db: DbOpt = None,
    log_level: Annotated[
        str, typer.Option("--log-level", help="DEBUG, INFO, WARNING hoặc/or ERROR")
    ] = "INFO",
) -> None:
    """Chạy dịch vụ: quét hạn, gửi thư, tổng hợp hằng ngày, /metrics và /healthz."""
    configure_logs(log_level)
    _serve(_env(config, db))


def _port_free(host: str, port: int, setting: str) -> None:
    """Refuse a port that another program listens on, naming the setting that moves it."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind
        try:
            probe.bind((host, port))
        except OSError as error:
            raise ConfigError(
                f"cổng {host}:{port} đang bận / port in use ({error.strerror}): dừng chương "
                f"trình đang dùng cổng, hoặc đổi {setting} / stop the program using it, or "
                f"change {setting}"
            ) from None


@app.command("demo")
def demo_command(
    folder: Annotated[
        Path, typer.Option("--folder", help="nơi chứa CSDL và thư / where the database and mail go")
    ] = Path("hanbao-demo"),
    empty: Annotated[
        bool,
        typer.Option("--empty", help="không ghi lịch sử một năm / without the year of history"),
    ] = False,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
) -> None:
    """Chạy thử trọn bộ: SQLite, đơn vị mẫu, một năm lịch sử, máy chủ thư cục bộ ghi thư."""
    configure_logs("INFO")
    env = _env(config, f"sqlite:///{folder.resolve() / 'hanbao.sqlite3'}", need_schema=False)
    smtp = env.config.smtp
    if smtp.security != "none" or smtp.host not in LOOPBACK:
        raise ConfigError(
            f"{env.config.path}: smtp: demo cần smtp.security: none trên 127.0.0.1 (máy chủ thư "
            "cục bộ) / the demo needs smtp.security: none on 127.0.0.1 (its local mail capture)"
        )
    # before anything is written: a busy port used to fail after the units, a case and a token
    _port_free(smtp.host, smtp.port, "smtp.port / HANBAO_SMTP_PORT")
    _port_free(
        env.config.daemon.http_host,
        env.config.daemon.http_port,
        "daemon.http_port / HANBAO_HTTP_PORT",
    )
    folder.mkdir(parents=True, exist_ok=True)
    if env.config.web.signing_key is None:  # a key for this demo only, so links and login work
        web = replace(env.config.web, signing_key=secrets.token_urlsafe(48).encode())
        env = replace(env, config=replace(env.config, web=web))
    migrate.create(env.engine)
    with _writing(env) as store:
        if not store.units():
            ledger.import_units(store, env.config, SAMPLE_UNITS, env.now, "demo")
        fresh = not store.obligations()
        if fresh and empty:
            code = f"VV-DEMO-{env.now:%Y%m%d-%H%M}"
            ledger.open_case(store, env.config, code, "X01", "xam_hai", env.now, env.now, "demo")
        _, token = create_token(store, "H01", "supervisor", "demo", env.now)
    if fresh and not empty:
        from scheduler.demo import record_year

        print("hanbao demo: ghi lịch sử một năm / recording a year of history...", file=sys.stderr)
        record_year(env.engine, env.config, env.now)
    mail = folder.resolve() / "mail"
    from scheduler.capture import start_capture

    capture = start_capture(mail, smtp.port)
    site = f"http://{env.config.daemon.http_host}:{env.config.daemon.http_port}"
    if json_out:
        print_json(
            {
                "mail": str(mail),
                "login": f"{site}/login",
                "token": token,
                "api": f"{site}/openapi.json",
                "metrics": f"{site}/metrics",
            }
        )
    else:
        print(
            f"hanbao demo\n  thư / mail:            {mail}/\n"
            f"  trang tổng quan:       {site}/login  token: {token}\n"
            f"  API:                   {site}/openapi.json\n"
            f"  số liệu / metrics:     {site}/metrics\n  dừng / stop:           Ctrl-C",
            file=sys.stderr,
        )
    try:
        _serve(env)
    finally:
        capture.stop()


report_app = typer.Typer(no_args_is_help=True, help="Báo cáo cho lãnh đạo / leaders' tables")
app.add_typer(report_app, name="report")


def _write_file(target: Path, data: bytes) -> None:
    try:
        target.write_bytes(data)
    except OSError as error:
        raise InvalidInput(
            f"-o {target}: không ghi được / cannot write: {error.strerror}; -o cần một tệp trong "
            "thư mục đã có / -o needs a file in an existing folder"
        ) from None


@report_app.command("overdue")
def report_overdue(
    format: Annotated[str, typer.Option("--format", help="xlsx | csv")] = "xlsx",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="tệp ghi ra / the file to write (qua-han-YYYYMMDD)"),
    ] = None,
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Bảng báo cáo quá hạn (mở bằng Excel), theo đơn vị cấp trên và đơn vị."""
    if format not in ("xlsx", "csv"):
        raise InvalidInput(f"--format xlsx hoặc / or csv, không phải / not {format!r}")
    env = _env(config, db, as_of)
    with _writing(env) as store:
        items = store.obligations(open_only=True, due_before=env.now)
        units = store.units()
    rows = report.overdue_rows(items, units, env.config.rules, env.now)
    data = report.to_csv(rows) if format == "csv" else report.to_xlsx(rows, env.now)
    target = output or Path(f"qua-han-{env.now:%Y%m%d}.{format}")
    _write_file(target, data)
    if json_out:
        print_json({"file": str(target), "format": format, "rows": len(rows)})
    else:
        print(f"Đã ghi {len(rows)} báo cáo quá hạn vào {target}", file=sys.stderr)


@report_app.command("timeliness")
def report_timeliness(
    start: Annotated[str, typer.Option("--from", help="dd/mm/yyyy: hạn từ ngày / due from")],
    end: Annotated[str, typer.Option("--to", help="dd/mm/yyyy: đến ngày (kể cả) / to, included")],
    kind: Annotated[str | None, typer.Option("--kind", help="chỉ một loại / one kind")] = None,
    unit: Annotated[
        str | None, typer.Option("--unit", help="một đơn vị và cấp dưới / a unit's subtree")
    ] = None,
    format: Annotated[
        str | None, typer.Option("--format", help="json | csv | xlsx (mặc định xlsx; --json: json)")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="tệp ghi ra / the file to write")
    ] = None,
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Tỷ lệ báo cáo đúng hạn theo đơn vị, loại và kỳ, tổng hợp lên cấp trên."""
    chosen = format or ("json" if json_out else "xlsx")
    if chosen not in ("json", "csv", "xlsx"):
        raise InvalidInput(f"--format json, csv hoặc / or xlsx, không phải / not {chosen!r}")
    first, last = parse_date(start), parse_date(end)
    if last < first:
        raise InvalidInput("--to phải sau --from / --to must not be before --from")
    env = _env(config, db, as_of)
    with _writing(env) as store:
        if kind is not None:
            env.config.rules.kind(kind)
        if unit is not None:
            ledger.require_unit(store, unit)
        facts, units = timeliness.read(store, env.config.calendar, first, last, env.now, kind)
    rows = timeliness.table(timeliness.within(facts, unit) if unit else facts, top=unit)
    if chosen == "json" and output is None:
        print_json([r.as_json() for r in rows])
        return
    names = {k: v.name for k, v in env.config.rules.kinds.items()}
    data = {
        "json": lambda: json.dumps([r.as_json() for r in rows], ensure_ascii=False).encode(),
        "csv": lambda: timeliness_export.to_csv(rows, units, names),
        "xlsx": lambda: timeliness_export.to_xlsx(rows, units, names, first, last),
    }[chosen]()
    target = output or Path(f"dung-han-{first:%Y%m%d}-{last:%Y%m%d}.{chosen}")
    _write_file(target, data)
    if json_out:
        print_json({"file": str(target), "format": chosen, "rows": len(rows)})
    else:
        print(f"Đã ghi {len(rows)} dòng tỷ lệ đúng hạn vào {target}", file=sys.stderr)


token_app = typer.Typer(no_args_is_help=True, help="Token API / API tokens")
app.add_typer(token_app, name="token")


@token_app.command("create")
def token_create(
    unit: Annotated[str, typer.Option("--unit", help="đơn vị của token")],
    role: Annotated[str, typer.Option("--role", help="officer | supervisor | leader | admin")],
    label: Annotated[str, typer.Option("--label", help="ghi chú: của ai, dùng ở đâu")] = "",
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Tạo token cho API và trang tổng quan; token chỉ hiện một lần, CSDL chỉ giữ mã băm."""
    env = _env(config, db, as_of)
    with _writing(env) as store:
        token_id, token = create_token(store, unit, role, label, env.now)
    if json_out:
        print_json({"id": token_id, "unit": unit, "role": role, "token": token})
    else:
        print(f"Token {token_id} ({role}, {unit}) - lưu ngay, sẽ không hiện lại:\n{token}")


@token_app.command("revoke")
def token_revoke(
    token_id: Annotated[
        int,
        typer.Argument(
            help="mã token (token create) / the token's id",
            parser=_record_id("token", "token", "hanbao token create"),
        ),
    ],
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Thu hồi token (bị lộ, người dùng chuyển công tác): hết hiệu lực ngay."""
    env = _env(config, db, as_of)
    with _writing(env) as store:
        revoke_token(store, token_id, env.now)
    print_json({"id": token_id, "revoked": True}) if json_out else print(
        f"Đã thu hồi token {token_id}"
    )
