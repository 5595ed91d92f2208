"""The settings file (``config/hanbao.yaml``), read once and checked into a typed ``Config``.

Paths inside it are relative to the file, a relative SQLite ``database_url`` too.
``HANBAO_DATABASE_URL`` (or ``--db``, both relative to the current directory) overrides it.
Each section is checked by its own model (:data:`SECTIONS`), with the environment over it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from scheduler.deadlines.calendar import WorkCalendar
from scheduler.deadlines.plan import CatchUp
from scheduler.deadlines.rules import Rules
from scheduler.deadlines.rules_file import load_rules
from scheduler.errors import ConfigError
from scheduler.intake.settings import IntakeSettings, parse_intake
from scheduler.mail.settings import MailSettings, SmtpSettings, parse_mail, parse_smtp
from scheduler.monitoring.logs import LogFormat
from scheduler.settings import location
from scheduler.settings.location import read_document
from scheduler.settings.sections import (
    CatchUpSettings,
    DaemonSettings,
    LoggingSettings,
    MetricsSettings,
    TopSettings,
    WebSettings,
    parse_catch_up,
    parse_daemon,
    parse_logging,
    parse_metrics,
    parse_top,
    parse_web,
)
from scheduler.validation import fields

SECTIONS: dict[str, type] = {  # "" is the top of the file
    "": TopSettings,
    "catch_up": CatchUpSettings,
    "smtp": SmtpSettings,
    "mail": MailSettings,
    "daemon": DaemonSettings,
    "web": WebSettings,
    "intake": IntakeSettings,
    "logging": LoggingSettings,
    "metrics": MetricsSettings,
}


@dataclass(frozen=True)
class Config:
    path: Path
    database_url: str
    rules: Rules
    calendar: WorkCalendar
    allowed_domains: tuple[str, ...]
    catch_up: CatchUp
    sweep_batch: int
    backfill_horizon_days: int
    smtp: SmtpSettings
    mail: MailSettings
    daemon: DaemonSettings
    web: WebSettings
    intake: IntakeSettings = field(default_factory=IntakeSettings)
    log_format: LogFormat = "text"  # logging.format, HANBAO_LOG_FORMAT: text (logfmt) or json
    metrics: MetricsSettings = field(default_factory=MetricsSettings)


def load_config(
    path: Path, database_url: str | None = None, env: Mapping[str, str] | None = None
) -> Config:
    """Read and check the settings; ``env`` (default: the process environment) overrides."""
    env = os.environ if env is None else env
    document = read_document(path)
    known = sorted({*fields(TopSettings), *SECTIONS} - {""})
    unknown = sorted(set(document) - set(known))
    if unknown:
        raise ConfigError(
            f"{path}: khoá không có / unknown keys {', '.join(unknown)}; "
            f"dùng / use {', '.join(known)}"
        )
    base = path.parent
    top_keys = {k: v for k, v in document.items() if k not in SECTIONS and v is not None}
    top = parse_top(top_keys, path, env)  # a key left empty (null) takes its default
    catch_up = parse_catch_up(document, path)
    daemon = parse_daemon(document, path, env)
    return Config(
        path=path,
        database_url=location.database_url(path, top.database_url, database_url, env),
        rules=load_rules(base / top.rules),
        calendar=location.work_calendar(path, top.calendar_overrides),
        allowed_domains=top.allowed_domains,
        catch_up=CatchUp(coalesce=catch_up.coalesce),
        sweep_batch=top.sweep_batch,
        backfill_horizon_days=top.backfill_horizon_days,
        smtp=parse_smtp(document, path, env),
        mail=parse_mail(document, path, env),
        daemon=daemon,
        web=parse_web(document, path, env, f"http://{daemon.http_host}:{daemon.http_port}"),
        intake=parse_intake(document, path, env),
        log_format=parse_logging(document, path, env),
        metrics=parse_metrics(document, path, env),
    )
