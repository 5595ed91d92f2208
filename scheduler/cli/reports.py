"""The leaders' tables: overdue reports, and the share of reports sent on time."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from scheduler.cli.common import AsOfOpt, ConfigOpt, DbOpt, JsonOpt
from scheduler.cli.environment import open_env, writing
from scheduler.cli.output import print_json
from scheduler.deadlines.vntime import parse_date
from scheduler.errors import InvalidInput

report_app = typer.Typer(no_args_is_help=True, help="Báo cáo cho lãnh đạo / leaders' tables")


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
    from scheduler.reports import overdue as report

    if format not in ("xlsx", "csv"):
        raise InvalidInput(f"--format xlsx hoặc / or csv, không phải / not {format!r}")
    env = open_env(config, db, as_of)
    with writing(env) as store:
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
    from scheduler.lifecycle import ledger
    from scheduler.reports import timeliness, timeliness_export

    chosen = format or ("json" if json_out else "xlsx")
    if chosen not in ("json", "csv", "xlsx"):
        raise InvalidInput(f"--format json, csv hoặc / or xlsx, không phải / not {chosen!r}")
    first, last = parse_date(start), parse_date(end)
    if last < first:
        raise InvalidInput("--to phải sau --from / --to must not be before --from")
    env = open_env(config, db, as_of)
    with writing(env) as store:
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
