"""The long-running commands: the service itself (``run``) and the whole of it on sample data
(``demo``). Only these load the scheduler, the web stack and the metrics."""

from __future__ import annotations

import secrets
import socket
import sys
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from scheduler.cli import service
from scheduler.cli.common import ConfigOpt, DbOpt, JsonOpt
from scheduler.cli.environment import open_env, writing
from scheduler.cli.output import print_json
from scheduler.errors import ConfigError
from scheduler.settings import DEFAULT_CONFIG

SAMPLE_UNITS = DEFAULT_CONFIG.parent / "units.sample.yaml"


def run_command(
    config: ConfigOpt = None,
    db: DbOpt = None,
    log_level: Annotated[
        str, typer.Option("--log-level", help="DEBUG, INFO, WARNING hoặc/or ERROR")
    ] = service.DEFAULT_LOG_LEVEL,
) -> None:
    """Chạy dịch vụ: quét hạn, gửi thư, tổng hợp hằng ngày, /metrics và /healthz."""
    service.run(config, db, log_level)  # usually started by service.quick_run, without Typer


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
    from scheduler.lifecycle import ledger, unit_import
    from scheduler.mail.settings import LOOPBACK
    from scheduler.monitoring.logs import configure as configure_logs
    from scheduler.store import migrate
    from scheduler.web.access import create_token

    env = open_env(config, f"sqlite:///{folder.resolve() / 'hanbao.sqlite3'}", need_schema=False)
    configure_logs("INFO", env.config.log_format)
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
    with writing(env) as store:
        if not store.units():
            unit_import.import_units(store, env.config, SAMPLE_UNITS, env.now, "demo")
        fresh = not store.obligations()
        if fresh and empty:
            code = f"VV-DEMO-{env.now:%Y%m%d-%H%M}"
            ledger.open_case(store, env.config, code, "X01", "xam_hai", env.now, env.now, "demo")
        _, token = create_token(store, "H01", "supervisor", "demo", env.now)
    if fresh and not empty:
        from scheduler.cli.demo_history import record_year

        print("hanbao demo: ghi lịch sử một năm / recording a year of history...", file=sys.stderr)
        record_year(env.engine, env.config, env.now)
    mail = folder.resolve() / "mail"
    from scheduler.mail.capture import start_capture

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
        service.serve(env)
    finally:
        capture.stop()
