"""Cases and requests: what starts obligations (a verified case, a report sent, an ad-hoc
request)."""

from __future__ import annotations

from typing import Annotated

import typer

from scheduler.cli import show
from scheduler.cli.common import AsOfOpt, CaseCodeArg, ConfigOpt, DbOpt, JsonOpt
from scheduler.cli.environment import open_env, writing
from scheduler.deadlines.vntime import parse_datetime, parse_deadline

case_app = typer.Typer(no_args_is_help=True, help="Vụ việc / cases")
adhoc_app = typer.Typer(no_args_is_help=True, help="Báo cáo đột xuất / ad-hoc reports")


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
    from scheduler.lifecycle import ledger

    env = open_env(config, db, as_of)
    with writing(env) as store:
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
    show.obligations(created, env.now, json_out)


@case_app.command("event")
def case_event(
    code: CaseCodeArg,
    kind: Annotated[
        str,
        typer.Option(
            "--kind", help="emergency_received | child_removed (các sự kiện trong rules.yaml)"
        ),
    ],
    at: Annotated[str, typer.Option("--at", help="dd/mm/yyyy HH:MM xảy ra / when it happened")],
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Ghi nhận sự kiện của vụ việc (Nghị định 56/2017): nhận tin trẻ em cần bảo vệ khẩn cấp
    (12 giờ), tạm thời cách ly trẻ em (15 ngày) / an event that starts its own deadline."""
    from scheduler.lifecycle import ledger

    env = open_env(config, db, as_of)
    with writing(env) as store:
        created = ledger.case_event(
            store, env.config, code, kind, parse_datetime(at), env.now, "cli"
        )
    show.obligations(created, env.now, json_out)


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
    from scheduler.lifecycle import ledger

    env = open_env(config, db, as_of)
    with writing(env) as store:
        done, started = ledger.report_case(
            store, env.config, code, stage, parse_datetime(at), env.now, "cli", via="cli"
        )
    show.obligations([done, *started], env.now, json_out)


@adhoc_app.command("request")
def adhoc_request(
    unit: Annotated[str, typer.Option("--unit", help="đơn vị phải báo cáo")],
    reference: Annotated[str, typer.Option("--reference", help="số/ký hiệu văn bản yêu cầu")],
    due: Annotated[str, typer.Option("--due", help="hạn dd/mm/yyyy [HH:MM]")],
    requested_by: Annotated[str, typer.Option("--requested-by", help="cơ quan yêu cầu")],
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind",
            help="loại báo cáo theo yêu cầu / a request kind in the rules (mặc định / default: "
            "the kind with role adhoc_request)",
        ),
    ] = None,
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Yêu cầu báo cáo đột xuất với hạn do cơ quan yêu cầu đặt (ngày không giờ: hết ngày)."""
    from scheduler.lifecycle import ledger

    env = open_env(config, db, as_of)
    due_at = parse_deadline(due)
    with writing(env) as store:
        created = ledger.request_adhoc(
            store, env.config, unit, reference, due_at, requested_by, env.now, "cli", kind
        )
    show.obligations([created], env.now, json_out)
