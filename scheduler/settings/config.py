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
from typing import Any

import yaml

from scheduler import shipped, yamlfile
from scheduler.deadlines.calendar import WorkCalendar, load_overrides
from scheduler.deadlines.plan import CatchUp
from scheduler.deadlines.rules import Rules
from scheduler.deadlines.rules_file import load_rules
from scheduler.errors import ConfigError
from scheduler.intake.settings import IntakeSettings, parse_intake
from scheduler.mail.settings import MailSettings, SmtpSettings, parse_mail, parse_smtp
from scheduler.monitoring.logs import LogFormat
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

DEFAULT_CONFIG = shipped.CONFIG / "hanbao.yaml"
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


def config_path(option: str | None) -> Path:
    """``--config``, else ``$HANBAO_CONFIG``, else ``./config/hanbao.yaml``, else the shipped one"""
    if option:
        return Path(option)
    if os.environ.get("HANBAO_CONFIG"):
        return Path(os.environ["HANBAO_CONFIG"])
    local = Path("config/hanbao.yaml")
    return local if local.is_file() else DEFAULT_CONFIG


def load_config(
    path: Path, database_url: str | None = None, env: Mapping[str, str] | None = None
) -> Config:
    """Read and check the settings; ``env`` (default: the process environment) overrides."""
    env = os.environ if env is None else env
    document = _document(path)
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
        database_url=database_url
        or env.get("HANBAO_DATABASE_URL")
        or _sqlite_beside(base, top.database_url),
        rules=load_rules(base / top.rules),
        calendar=WorkCalendar(*load_overrides(base / top.calendar_overrides))
        if top.calendar_overrides
        else WorkCalendar(),
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


def _document(path: Path) -> dict[str, Any]:
    """The file's mapping of settings, or a message saying what is wrong with the file."""
    try:
        document: Any = yamlfile.load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: không có tệp cấu hình / settings file not found "
            "(dùng --config hoặc HANBAO_CONFIG)"
        ) from None
    except IsADirectoryError:
        raise ConfigError(
            f"{path}: là thư mục, không phải tệp cấu hình / is a folder, not a settings file: "
            f"--config (HANBAO_CONFIG) {path / 'hanbao.yaml'}"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path}: không đọc được tệp cấu hình / cannot read the settings file: {exc}"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: YAML không hợp lệ / invalid YAML: {exc}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: cần một bảng khoá: giá trị / a mapping of settings")
    return document


def _sqlite_beside(folder: Path, url: str) -> str:
    """A relative SQLite file named in the settings file lies beside that file, like every other
    path in it; ``--db`` and ``HANBAO_DATABASE_URL`` stay relative to the current directory."""
    scheme, _, file = url.partition(":///")
    if not scheme.startswith("sqlite") or not file or file.startswith(("/", ":memory:", "file:")):
        return url
    return f"{scheme}:///{os.path.normpath(folder.resolve() / file)}"
