"""The working-day calendar and the check of the settings, rules and calendar files: these
commands read files only, never the database."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer

from scheduler.cli.common import ConfigOpt, DbOpt, JsonOpt, settings
from scheduler.output import print_json, print_table
from scheduler.vntime import check_year, fmt_date, iso, parse_datetime

calendar_app = typer.Typer(no_args_is_help=True, help="Lịch ngày làm việc / working-day calendar")


def check_config(json_out: JsonOpt = False, config: ConfigOpt = None, db: DbOpt = None) -> None:
    """Kiểm tra cấu hình / validate the settings, rules and calendar files."""
    from scheduler.store.connection import checked_url

    loaded = settings(config, db)
    checked_url(loaded.database_url)  # a URL hanbao cannot use is a settings error too
    kinds = [
        {
            "kind": k.id,
            "name": k.name,
            "trigger": k.trigger,
            "deadline": k.deadline.describe(),
            "steps": [s.name for s in k.ladder],
        }
        for k in loaded.rules.kinds.values()
    ]
    if json_out:
        print_json({"config": str(loaded.path), "ok": True, "kinds": kinds})
        return
    print(f"Cấu hình hợp lệ / configuration valid: {loaded.path}")
    print_table(
        kinds, (("kind", "Loại"), ("name", "Tên"), ("deadline", "Hạn"), ("steps", "Các bậc nhắc"))
    )


@calendar_app.command("deadline")
def calendar_deadline(
    start: Annotated[str, typer.Argument(help="dd/mm/yyyy [HH:MM]: the event (not counted)")],
    working_days: Annotated[int, typer.Option("--working-days", help="N working days")],
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Hạn sau N ngày làm việc (BLDS 2015, Điều 147-148)."""
    loaded = settings(config, db)
    due = loaded.calendar.working_days_deadline(parse_datetime(start), working_days)
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
    cal = settings(config, db).calendar
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
