"""Obligations: their state, what the units and their superiors record about them, the
periodic ones of a year, and the plan of reminders (recorded now, or simulated)."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Annotated

import typer

from scheduler.cli import show
from scheduler.cli.common import AsOfOpt, ConfigOpt, DbOpt, JsonOpt, ObligationArg
from scheduler.cli.environment import now, open_env, writing
from scheduler.cli.output import print_json
from scheduler.deadlines.vntime import end_of_day, parse_date, parse_datetime
from scheduler.errors import InvalidInput
from scheduler.records import DISPUTE_REASONS

periodic_app = typer.Typer(no_args_is_help=True, help="Báo cáo định kỳ / periodic reports")


def submit(
    obligation_id: ObligationArg,
    at: Annotated[str, typer.Option("--at", help="dd/mm/yyyy HH:MM nộp")],
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Ghi nhận đã nộp báo cáo: dừng nhắc ngay; nộp trễ được giữ là trễ."""
    from scheduler.lifecycle import ledger

    env = open_env(config, db, as_of)
    with writing(env) as store:
        done, started = ledger.submit(
            store, env.config, obligation_id, parse_datetime(at), env.now, "cli", via="cli"
        )
    show.obligations([done, *started], env.now, json_out)


def confirm(
    obligation_id: ObligationArg,
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Cấp trên xác nhận đã nhận báo cáo / the receiving unit confirms it has the report."""
    from scheduler.lifecycle import receipt

    env = open_env(config, db, as_of)
    with writing(env) as store:
        confirmed = receipt.confirm(store, env.config, obligation_id, env.now, "cli")
    show.obligations([confirmed], env.now, json_out)


def dispute(
    obligation_id: ObligationArg,
    reason: Annotated[
        str, typer.Option("--reason", help="lý do / why: " + " | ".join(DISPUTE_REASONS))
    ],
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Cấp trên báo chưa nhận được: báo cáo mở lại, nhắc tiếp, trễ tính theo hạn / the receiving
    unit does not have the report: it is open again and its reminders resume."""
    from scheduler.lifecycle import receipt

    env = open_env(config, db, as_of)
    with writing(env) as store:
        disputed = receipt.dispute(store, env.config, obligation_id, reason, env.now, "cli")
    show.obligations([disputed], env.now, json_out)


@periodic_app.command("generate")
def periodic_generate(
    year: Annotated[int, typer.Option("--year", help="năm, ví dụ 2027 / the year, e.g. 2027")],
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Tạo các nghĩa vụ báo cáo định kỳ của năm cho mọi đơn vị (chạy lại không tạo trùng)."""
    from scheduler.lifecycle import ledger

    env = open_env(config, db, as_of)
    with writing(env) as store:
        result = ledger.generate_periodic(store, env.config, year, env.now, "cli")
    if json_out:
        print_json({"year": year, "created": result.created, "existing": result.existing})
    else:
        print(f"Năm {year}: tạo mới {result.created}, đã có {result.existing}")


def sweep_command(
    as_of: AsOfOpt = None, json_out: JsonOpt = False, config: ConfigOpt = None, db: DbOpt = None
) -> None:
    """Ghi nhận các bậc nhắc đến hạn (mỗi bậc đúng một lần) / record the steps due now."""
    from scheduler.lifecycle.sweep import sweep

    env = open_env(config, db, as_of)
    show.emitted(sweep(env.engine, env.config, env.now), json_out)


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
    from scheduler.settings.location import config_path, quick_database_url
    from scheduler.store import quick

    at = now(as_of)
    due_before = at if overdue else None
    url = quick_database_url(config_path(config), db)
    found = (
        quick.obligations(url, unit=unit, open_only=overdue, due_before=due_before, moved_out=True)
        if url is not None
        else None
    )
    if found is None:  # not a plain SQLite file, or something to say about it: the store's way
        env = open_env(config, db, as_of)
        with writing(env) as store:
            if unit is not None:
                from scheduler.lifecycle import ledger

                ledger.require_unit(store, unit)
            found = store.obligations(
                unit=unit, open_only=overdue, due_before=due_before, moved_out=True
            )
    show.obligations(found, at, json_out)


def simulate_command(
    start: Annotated[str, typer.Option("--from", help="dd/mm/yyyy")],
    end: Annotated[str, typer.Option("--to", help="dd/mm/yyyy (inclusive)")],
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Mô phỏng mọi lời nhắc, leo thang và báo trễ trong khoảng, không thay đổi cơ sở dữ liệu."""
    from scheduler.lifecycle.simulate import steps

    env = open_env(config, db)
    begin, finish = parse_datetime(start), end_of_day(parse_date(end))
    if finish < begin:
        raise InvalidInput("--to phải sau --from / --to must not be before --from")
    last_month: list[str] = []

    def progress(now: datetime, count: int) -> None:
        month = now.strftime("%m/%Y")
        if not last_month or last_month[-1] != month:
            last_month.append(month)
            print(f"... {month}: {count} sự kiện", file=sys.stderr)

    show.emitted(steps(env.engine, env.config, begin, finish, progress), json_out)
