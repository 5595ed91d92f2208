"""Access to the API and the pages: tokens, made and revoked."""

from __future__ import annotations

from typing import Annotated

import typer

from scheduler.cli.common import AsOfOpt, ConfigOpt, DbOpt, JsonOpt, open_env, record_id, writing
from scheduler.output import print_json

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
    from scheduler.access import create_token

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
    from scheduler.access import revoke_token

    env = open_env(config, db, as_of)
    with writing(env) as store:
        revoke_token(store, token_id, env.now)
    print_json({"id": token_id, "revoked": True}) if json_out else print(
        f"Đã thu hồi token {token_id}"
    )
