"""The working-day calendar and the check of the settings, rules and calendar files: these
commands read files only, never the database."""

from __future__ import annotations

import sys
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import typer

from scheduler.cli.common import AsOfOpt, ConfigOpt, DbOpt, JsonOpt
from scheduler.cli.environment import now, settings, work_calendar
from scheduler.cli.output import print_json, print_table
from scheduler.deadlines.vntime import check_year, fmt_date, iso, parse_datetime

if TYPE_CHECKING:
    from scheduler.deadlines.calendar import WorkCalendar

calendar_app = typer.Typer(no_args_is_help=True, help="Lịch ngày làm việc / working-day calendar")


def unconfirmed_warnings(calendar: WorkCalendar, overrides: str, at: datetime) -> list[str]:
    """What check-config says about years whose days off nobody has confirmed yet."""
    return [
        f"lịch nghỉ năm {year} chưa được xác nhận / the days off of {year} are not confirmed: "
        f"so với thông báo của Chính phủ (`hanbao calendar check {year}`), rồi thêm "
        f"{{year: {year}, source: …}} vào confirmed trong {overrides} / compare with the "
        "Government's announcement, then list the year under confirmed"
        for year in calendar.awaiting_confirmation(at)
    ]


def check_config(
    as_of: AsOfOpt = None, json_out: JsonOpt = False, config: ConfigOpt = None, db: DbOpt = None
) -> None:
    """Kiểm tra cấu hình / validate the settings, rules and calendar files."""
    from scheduler.cli.mail import mail_drain
    from scheduler.store.connection import checked_url

    loaded = settings(config, db)
    checked_url(loaded.database_url)  # a URL hanbao cannot use is a settings error too
    overrides = f"calendar_overrides của / of {loaded.path}"
    warnings = unconfirmed_warnings(loaded.calendar, overrides, now(as_of))
    kinds = [
        {
            "kind": k.id,
            "name": k.name,
            "trigger": k.trigger,
            "role": k.role,
            "deadline": k.deadline.describe(),
            "steps": [s.name for s in k.ladder],
        }
        for k in loaded.rules.kinds.values()
    ]
    mail = mail_drain(loaded)
    if json_out:
        print_json(
            {
                "config": str(loaded.path),
                "ok": True,
                "kinds": kinds,
                "warnings": warnings,
                "mail": mail,
            }
        )
        return
    print(f"Cấu hình hợp lệ / configuration valid: {loaded.path}")
    for warning in warnings:
        print(f"cảnh báo / warning: {warning}", file=sys.stderr)
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


@calendar_app.command("deadline")
def calendar_deadline(
    start: Annotated[str, typer.Argument(help="dd/mm/yyyy [HH:MM]: the event (not counted)")],
    working_days: Annotated[int, typer.Option("--working-days", help="N working days")],
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Hạn sau N ngày làm việc (BLDS 2015, Điều 147-148)."""
    due = work_calendar(config, db).working_days_deadline(parse_datetime(start), working_days)
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
    cal = work_calendar(config, db)
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


@calendar_app.command("check")
def calendar_check(
    year: Annotated[
        int | None,
        typer.Argument(
            help="năm; mặc định năm cần xác nhận / the year; default: the one to confirm"
        ),
    ] = None,
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Các ngày nghỉ hanbao đang dùng cho một năm và năm đó đã được xác nhận chưa / the days off
    hanbao assumes for a year, to compare with the Government's announcement."""
    from importlib.metadata import version

    at = now(as_of)
    cal = work_calendar(config, db)
    chosen = year if year is not None else (cal.awaiting_confirmation(at) or [at.year])[-1]
    check_year(chosen)
    result = {
        "year": chosen,
        "confirmed": chosen in cal.confirmed,
        "source": cal.confirmed.get(chosen),
        "package_version": version("holidays"),
        "days_off": [{"date": d.day.isoformat(), "name": d.name} for d in cal.days_off(chosen)],
        "working_days": [
            {"date": d.day.isoformat(), "name": d.name} for d in cal.swapped_working_days(chosen)
        ],
    }
    if json_out:
        print_json(result)
        return
    state = (
        f"đã xác nhận / confirmed: {result['source']}"
        if result["confirmed"]
        else "CHƯA xác nhận / NOT confirmed: so với thông báo của Chính phủ rồi thêm vào "
        "confirmed trong calendar-overrides.yaml / compare, then list it under confirmed"
    )
    print(f"Lịch nghỉ năm {chosen} (holidays {result['package_version']}): {state}")
    rows = [
        {"date": fmt_date(d.day), "working": "nghỉ", "name": d.name} for d in cal.days_off(chosen)
    ]
    rows += [
        {"date": fmt_date(d.day), "working": "làm việc (làm bù)", "name": d.name}
        for d in cal.swapped_working_days(chosen)
    ]
    print_table(rows, (("date", "Ngày"), ("working", "Loại"), ("name", "Tên")))
