"""The settings file (``config/hanbao.yaml``), read once and validated into a typed ``Config``.

Paths inside it are relative to the file. ``HANBAO_DATABASE_URL`` overrides ``database_url``;
the ``smtp`` and ``mail`` sections and their environment variables are in ``mail_settings``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from scheduler.calendar import WorkCalendar, load_changes
from scheduler.errors import ConfigError
from scheduler.mail_settings import MailSettings, SmtpSettings, parse_mail, parse_smtp
from scheduler.plan import CatchUp
from scheduler.rules import Rules, load_rules

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config" / "hanbao.yaml"
_KEYS = {
    "database_url",
    "rules",
    "calendar_overrides",
    "allowed_domains",
    "catch_up",
    "sweep_batch",
    "smtp",
    "mail",
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
    smtp: SmtpSettings
    mail: MailSettings


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
    try:
        document: Any = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: không có tệp cấu hình / settings file not found "
            "(dùng --config hoặc HANBAO_CONFIG)"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: YAML không hợp lệ / invalid YAML: {exc}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: cần một bảng khoá: giá trị / a mapping of settings")
    unknown = sorted(set(document) - _KEYS)
    if unknown:
        raise ConfigError(
            f"{path}: khoá không có / unknown keys {', '.join(unknown)}; "
            f"dùng {', '.join(sorted(_KEYS))}"
        )
    base = path.parent
    domains = document.get("allowed_domains")
    if not isinstance(domains, list) or not domains or not all(isinstance(d, str) for d in domains):
        raise ConfigError(f"{path}: allowed_domains cần danh sách miền, ví dụ ['*.gov.vn']")
    batch = document.get("sweep_batch", 500)
    if not isinstance(batch, int) or batch < 1:
        raise ConfigError(f"{path}: sweep_batch cần số nguyên dương, không phải {batch!r}")
    catch_up = document.get("catch_up", {}) or {}
    if not isinstance(catch_up, dict) or set(catch_up) - {"coalesce"}:
        raise ConfigError(f"{path}: catch_up chỉ có khoá coalesce (true/false)")
    overrides = document.get("calendar_overrides")
    return Config(
        path=path,
        database_url=database_url
        or env.get("HANBAO_DATABASE_URL")
        or str(document.get("database_url") or "sqlite:///hanbao.sqlite3"),
        rules=load_rules(base / str(document.get("rules", "rules.yaml"))),
        calendar=WorkCalendar(load_changes(base / str(overrides)) if overrides else ()),
        allowed_domains=tuple(domains),
        catch_up=CatchUp(coalesce=bool(catch_up.get("coalesce", True))),
        sweep_batch=batch,
        smtp=parse_smtp(document, path, env),
        mail=parse_mail(document, path, env),
    )
