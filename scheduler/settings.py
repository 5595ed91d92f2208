"""The settings file (``config/hanbao.yaml``), read once and validated into a typed ``Config``.

Paths inside it are relative to the file, a relative SQLite ``database_url`` too.
``HANBAO_DATABASE_URL`` (or ``--db``, both relative to the current directory) overrides it;
the ``smtp`` and ``mail`` sections and their environment variables are in ``mail_settings``.
A container sets the rest from the environment too: ``HANBAO_ALLOWED_DOMAINS``
(comma-separated), ``HANBAO_HTTP_HOST``, ``HANBAO_HTTP_PORT``, ``HANBAO_BASE_URL`` and
``HANBAO_BEHIND_TLS_PROXY`` (``true`` or ``false``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast, get_args

import yaml

from scheduler import shipped, yamlfile
from scheduler.deadlines.calendar import WorkCalendar, load_overrides
from scheduler.deadlines.plan import CatchUp
from scheduler.deadlines.rules import Rules
from scheduler.deadlines.rules_file import load_rules
from scheduler.errors import ConfigError
from scheduler.intake.settings import IntakeSettings, parse_intake
from scheduler.mail.settings import MailSettings, SmtpSettings, flag, parse_mail, parse_smtp
from scheduler.monitoring.logs import LOG_FORMATS, LogFormat
from scheduler.records import UnitLabels

DEFAULT_CONFIG = shipped.CONFIG / "hanbao.yaml"
_KEYS = {
    "database_url",
    "rules",
    "calendar_overrides",
    "allowed_domains",
    "catch_up",
    "sweep_batch",
    "backfill_horizon_days",
    "smtp",
    "mail",
    "daemon",
    "web",
    "intake",
    "logging",
    "metrics",
}
_DAEMON_INTERVALS = (
    "changes_seconds",
    "sweep_seconds",
    "deliver_seconds",
    "digest_seconds",
    "periodic_seconds",
    "housekeeping_seconds",
)


@dataclass(frozen=True)
class DaemonSettings:
    """How often each job runs, where /metrics and /healthz listen, when health fails."""

    sweep_seconds: float = 60
    deliver_seconds: float = 30
    digest_seconds: float = 300
    periodic_seconds: float = 3600
    housekeeping_seconds: float = 86400
    changes_seconds: float = 1  # how often the daemon looks for work recorded by another process
    stall_seconds: float = 900
    http_host: str = "127.0.0.1"
    http_port: int = 9464


@dataclass(frozen=True)
class WebSettings:
    """The API, the acknowledgement links and the leaders' page.

    ``signing_key`` (HMAC for links and sessions) comes only from ``HANBAO_SIGNING_KEY`` or the
    file named by ``HANBAO_SIGNING_KEY_FILE``; without it mails carry no link and nobody can
    log in to the page. A non-loopback ``daemon.http_host`` needs ``tls_certfile`` and
    ``tls_keyfile``, or ``behind_tls_proxy: true`` when a reverse proxy terminates TLS.
    """

    base_url: str = "http://127.0.0.1:9464"
    link_days: int = 30
    signing_key: bytes | None = field(default=None, repr=False)
    behind_tls_proxy: bool = False
    proxy_addresses: tuple[str, ...] = ("127.0.0.1", "::1")  # whose X-Forwarded-For is believed
    tls_certfile: Path | None = None
    tls_keyfile: Path | None = None
    max_body_bytes: int = 1024 * 1024


@dataclass(frozen=True)
class MetricsSettings:
    """``/metrics``: series of the state gauges per ``unit`` (every commune its own) or per
    ``parent`` (a national deployment keeps its 10,000 communes off Prometheus); how often, at
    most, the state is read again (``refresh_seconds``)."""

    unit_labels: UnitLabels = "unit"
    refresh_seconds: float = 15


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
    unknown = sorted(set(document) - _KEYS)
    if unknown:
        raise ConfigError(
            f"{path}: khoá không có / unknown keys {', '.join(unknown)}; "
            f"dùng / use {', '.join(sorted(_KEYS))}"
        )
    base = path.parent
    domains = _allowed_domains(document, path, env)
    batch = document.get("sweep_batch", 500)
    if not isinstance(batch, int) or batch < 1:
        raise ConfigError(
            f"{path}: sweep_batch cần số nguyên dương / a positive whole number, "
            f"không phải / not {batch!r}"
        )
    horizon = document.get("backfill_horizon_days", 365)
    if isinstance(horizon, bool) or not isinstance(horizon, int) or horizon < 1:
        raise ConfigError(
            f"{path}: backfill_horizon_days cần số ngày > 0 / a number of days > 0, "
            f"không phải / not {horizon!r}"
        )
    catch_up = document.get("catch_up", {}) or {}
    if not isinstance(catch_up, dict) or set(catch_up) - {"coalesce"}:
        raise ConfigError(
            f"{path}: catch_up chỉ có khoá coalesce (true/false) / catch_up has only coalesce"
        )
    overrides = document.get("calendar_overrides")
    return Config(
        path=path,
        database_url=database_url
        or env.get("HANBAO_DATABASE_URL")
        or _sqlite_beside(base, str(document.get("database_url") or "sqlite:///hanbao.sqlite3")),
        rules=load_rules(base / str(document.get("rules", "rules.yaml"))),
        calendar=WorkCalendar(*load_overrides(base / str(overrides)))
        if overrides
        else WorkCalendar(),
        allowed_domains=domains,
        catch_up=CatchUp(
            coalesce=flag(f"{path}: catch_up.coalesce", catch_up.get("coalesce", True))
        ),
        sweep_batch=batch,
        backfill_horizon_days=horizon,
        smtp=parse_smtp(document, path, env),
        mail=parse_mail(document, path, env),
        daemon=(daemon := _daemon(document, path, env)),
        web=_web(document, path, env, f"http://{daemon.http_host}:{daemon.http_port}"),
        intake=parse_intake(document, path, env),
        log_format=_log_format(document, path, env),
        metrics=_metrics(document, path, env),
    )


def _log_format(document: dict[str, Any], path: Path, env: Mapping[str, str]) -> LogFormat:
    """``HANBAO_LOG_FORMAT`` wins over ``logging.format``; both are text or json."""
    section = document.get("logging") or {}
    if not isinstance(section, dict) or set(section) - {"format"}:
        raise ConfigError(f"{path}: logging: chỉ có khoá / has only the key format (text | json)")
    text = env.get("HANBAO_LOG_FORMAT")
    where = "HANBAO_LOG_FORMAT" if text else f"{path}: logging.format"
    chosen = text if text else section.get("format", "text")
    for known in LOG_FORMATS:
        if chosen == known:
            return known
    raise ConfigError(
        f"{where}: text hoặc / or json, không phải / not {chosen!r} (json: một đối tượng JSON "
        "mỗi dòng / one JSON object per line)"
    )


def _allowed_domains(
    document: dict[str, Any], path: Path, env: Mapping[str, str]
) -> tuple[str, ...]:
    """``HANBAO_ALLOWED_DOMAINS`` (comma-separated) wins over ``allowed_domains`` in the file."""
    text = env.get("HANBAO_ALLOWED_DOMAINS")
    if text:
        domains: Any = [d.strip() for d in text.split(",")]
        where = "HANBAO_ALLOWED_DOMAINS"
    else:
        domains = document.get("allowed_domains")
        where = f"{path}: allowed_domains"
    if (
        not isinstance(domains, list)
        or not domains
        or not all(isinstance(d, str) and d for d in domains)
    ):
        raise ConfigError(
            f"{where}: cần danh sách miền / a list of mail domains is required, ví dụ / e.g. "
            "['*.gov.vn'] (HANBAO_ALLOWED_DOMAINS='*.gov.vn,huyen.vn')"
        )
    return tuple(domains)


def _sqlite_beside(folder: Path, url: str) -> str:
    """A relative SQLite file named in the settings file lies beside that file, like every other
    path in it; ``--db`` and ``HANBAO_DATABASE_URL`` stay relative to the current directory."""
    scheme, _, file = url.partition(":///")
    if not scheme.startswith("sqlite") or not file or file.startswith(("/", ":memory:", "file:")):
        return url
    return f"{scheme}:///{os.path.normpath(folder.resolve() / file)}"


def _web(document: dict[str, Any], path: Path, env: Mapping[str, str], own_url: str) -> WebSettings:
    """``own_url`` (the daemon's own address) is the default ``base_url`` of links."""
    section = document.get("web") or {}
    known = {
        "base_url",
        "link_days",
        "behind_tls_proxy",
        "tls_certfile",
        "tls_keyfile",
        "max_body_bytes",
        "proxy_addresses",
    }
    if not isinstance(section, dict) or set(section) - known:
        raise ConfigError(
            f"{path}: web: chỉ có các khoá / has only the keys {', '.join(sorted(known))} "
            "(khoá ký đặt trong / the signing key goes in HANBAO_SIGNING_KEY hoặc / or "
            "HANBAO_SIGNING_KEY_FILE)"
        )
    key = env.get("HANBAO_SIGNING_KEY")
    key_file = env.get("HANBAO_SIGNING_KEY_FILE")
    if key is None and key_file:
        try:
            key = Path(key_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                f"HANBAO_SIGNING_KEY_FILE: không đọc được / cannot read {key_file}: {exc.strerror}"
            ) from None
    if key is not None and len(key) < 32:
        raise ConfigError(
            "HANBAO_SIGNING_KEY cần ít nhất 32 ký tự ngẫu nhiên / at least 32 "
            "random characters, e.g. `python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))'`"
        )
    days = section.get("link_days", 30)
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ConfigError(
            f"{path}: web.link_days cần số ngày > 0 / a number of days > 0, "
            f"không phải / not {days!r}"
        )
    limit = section.get("max_body_bytes", 1024 * 1024)
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1024:
        raise ConfigError(
            f"{path}: web.max_body_bytes cần số byte >= 1024 / a number of bytes >= 1024, "
            f"không phải / not {limit!r}"
        )
    tls = {
        k: path.parent / str(section[k]) for k in ("tls_certfile", "tls_keyfile") if section.get(k)
    }
    if len(tls) == 1:
        raise ConfigError(
            f"{path}: web cần cả tls_certfile và tls_keyfile / needs both tls_certfile and "
            "tls_keyfile"
        )
    base_url = env.get("HANBAO_BASE_URL") or str(section.get("base_url", own_url))
    if not base_url.startswith(("http://", "https://")):
        raise ConfigError(
            f"{path}: web.base_url / HANBAO_BASE_URL: cần địa chỉ http:// hoặc https:// / an "
            f"http:// or https:// address, e.g. https://hanbao.huyen.gov.vn, not {base_url!r}"
        )
    proxy_env = env.get("HANBAO_BEHIND_TLS_PROXY")
    behind_tls_proxy = (
        flag("HANBAO_BEHIND_TLS_PROXY", proxy_env)
        if proxy_env
        else flag(f"{path}: web.behind_tls_proxy", section.get("behind_tls_proxy", False))
    )
    proxies_env = env.get("HANBAO_PROXY_ADDRESSES")
    proxies: Any = (
        [p.strip() for p in proxies_env.split(",")]
        if proxies_env
        else section.get("proxy_addresses", ["127.0.0.1", "::1"])
    )
    if not isinstance(proxies, list) or not all(isinstance(p, str) and p for p in proxies):
        raise ConfigError(
            f"{path}: web.proxy_addresses / HANBAO_PROXY_ADDRESSES: cần danh sách địa chỉ IP của "
            "reverse proxy / a list of the reverse proxy's IP addresses, e.g. ['10.0.0.5']"
        )
    return WebSettings(
        base_url=base_url.rstrip("/"),
        proxy_addresses=tuple(proxies),
        link_days=days,
        signing_key=key.encode() if key else None,
        behind_tls_proxy=behind_tls_proxy,
        max_body_bytes=limit,
        **tls,
    )


def _metrics(document: dict[str, Any], path: Path, env: Mapping[str, str]) -> MetricsSettings:
    section = document.get("metrics") or {}
    known = {"unit_labels", "refresh_seconds"}
    if not isinstance(section, dict) or set(section) - known:
        raise ConfigError(
            f"{path}: metrics: chỉ có các khoá / has only the keys {', '.join(sorted(known))}"
        )
    labels = env.get("HANBAO_METRICS_UNIT_LABELS") or section.get("unit_labels", "unit")
    if labels not in get_args(UnitLabels):
        raise ConfigError(
            f"{path}: metrics.unit_labels / HANBAO_METRICS_UNIT_LABELS: unit (mỗi đơn vị một "
            f"chuỗi số liệu / a series per unit) hoặc / or parent (theo đơn vị cấp trên / per "
            f"parent unit), không phải / not {labels!r}"
        )
    every = section.get("refresh_seconds", 15)
    if isinstance(every, bool) or not isinstance(every, int | float) or every <= 0:
        raise ConfigError(
            f"{path}: metrics.refresh_seconds cần số giây > 0 / seconds > 0, "
            f"không phải / not {every!r}"
        )
    return MetricsSettings(unit_labels=cast(UnitLabels, labels), refresh_seconds=float(every))


def _daemon(document: dict[str, Any], path: Path, env: Mapping[str, str]) -> DaemonSettings:
    section = document.get("daemon") or {}
    known = {*_DAEMON_INTERVALS, "stall_seconds", "http_host", "http_port"}
    if not isinstance(section, dict) or set(section) - known:
        raise ConfigError(
            f"{path}: daemon: chỉ có các khoá / has only the keys {', '.join(sorted(known))}"
        )
    values: dict[str, Any] = {}
    for key in (*_DAEMON_INTERVALS, "stall_seconds"):
        if key in section:
            value = section[key]
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ConfigError(
                    f"{path}: daemon.{key} cần số giây > 0 / seconds > 0, "
                    f"không phải / not {value!r}"
                )
            values[key] = float(value)
    port = env.get("HANBAO_HTTP_PORT") or section.get("http_port", 9464)
    try:
        values["http_port"] = int(port)
    except (TypeError, ValueError):
        raise ConfigError(
            f"{path}: daemon.http_port / HANBAO_HTTP_PORT: cần số cổng / a port number, "
            f"không phải / not {port!r}"
        ) from None
    values["http_host"] = env.get("HANBAO_HTTP_HOST") or str(section.get("http_host", "127.0.0.1"))
    return DaemonSettings(**values)
