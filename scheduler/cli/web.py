"""Access to the API and the pages: tokens, made and revoked; the audit trail, failed logins
included."""

from __future__ import annotations

from typing import Annotated

import typer

from scheduler.cli.common import AsOfOpt, ConfigOpt, DbOpt, JsonOpt, record_id
from scheduler.cli.environment import open_env, writing
from scheduler.cli.output import print_json, print_table

token_app = typer.Typer(no_args_is_help=True, help="Token API / API tokens")


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
    from scheduler.web.access import create_token

    env = open_env(config, db, as_of)
    with writing(env) as store:
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
            parser=record_id("token", "token", "hanbao token create"),
        ),
    ],
    as_of: AsOfOpt = None,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Thu hồi token (bị lộ, người dùng chuyển công tác): hết hiệu lực ngay."""
    from scheduler.web.access import revoke_token

    env = open_env(config, db, as_of)
    with writing(env) as store:
        revoke_token(store, token_id, env.now)
    print_json({"id": token_id, "revoked": True}) if json_out else print(
        f"Đã thu hồi token {token_id}"
    )


def audit_command(
    action: Annotated[
        str | None,
        typer.Option("--action", help="chỉ một loại, vd. / only one action, e.g. login_failed"),
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="từ ngày / from the day dd/mm/yyyy")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=100_000, help="tối đa / at most")
    ] = 100,
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
) -> None:
    """Nhật ký kiểm tra, mới nhất trước / the audit trail, newest first
    (``--action login_failed``: the failed logins, with the client's address)."""
    import json
    from datetime import time

    from scheduler.deadlines.vntime import at, parse_date

    env = open_env(config, db)
    start = at(parse_date(since), time(0)) if since is not None else None
    with writing(env) as store:
        rows = [e.as_json() for e in store.audit_log.latest(action, start, limit)]
    if json_out:
        print_json(rows)
        return
    for row in rows:
        row["detail"] = json.dumps(row["detail"], ensure_ascii=False)
    print_table(
        rows,
        (
            ("at", "Lúc"),
            ("actor", "Ai"),
            ("action", "Việc"),
            ("obligation", "Nghĩa vụ"),
            ("case", "Vụ việc"),
            ("detail", "Chi tiết"),
        ),
    )
