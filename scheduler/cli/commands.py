"""The command line as Typer reads it: every command and group, from its area's module."""

from __future__ import annotations

import typer

from scheduler.cli import calendar, cases, daemon, db, mail, obligations, reports, units, web

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="hanbao: hạn báo cáo bảo vệ trẻ em / child-protection report deadlines",
)
for sub, name in (
    (units.units_app, "units"),
    (calendar.calendar_app, "calendar"),
    (cases.case_app, "case"),
    (cases.adhoc_app, "adhoc"),
    (obligations.periodic_app, "periodic"),
    (mail.outbox_app, "outbox"),
    (db.db_app, "db"),
    (reports.report_app, "report"),
    (web.token_app, "token"),
):
    app.add_typer(sub, name=name)

for command, name in (
    (db.init, "init"),
    (calendar.check_config, "check-config"),
    (obligations.submit, "submit"),
    (obligations.confirm, "confirm"),
    (obligations.dispute, "dispute"),
    (obligations.sweep_command, "sweep"),
    (obligations.status, "status"),
    (obligations.simulate_command, "simulate"),
    (mail.deliver_command, "deliver"),
    (mail.send_test_command, "send-test"),
    (daemon.run_command, "run"),
    (daemon.demo_command, "demo"),
    (web.audit_command, "audit"),
):
    app.command(name)(command)
