"""The sections of the settings file that belong to no room of their own: the keys at its top,
``catch_up``, ``daemon``, ``web``, ``metrics`` and ``logging``; each a checked dataclass with
the environment variables that override it.

A container sets them from the environment: ``HANBAO_ALLOWED_DOMAINS`` (comma-separated),
``HANBAO_HTTP_HOST``, ``HANBAO_HTTP_PORT``, ``HANBAO_BASE_URL``, ``HANBAO_BEHIND_TLS_PROXY``
(``true`` or ``false``), ``HANBAO_PROXY_ADDRESSES``, ``HANBAO_METRICS_UNIT_LABELS`` and
``HANBAO_LOG_FORMAT``. The signing key comes only from ``HANBAO_SIGNING_KEY`` or the file named
by ``HANBAO_SIGNING_KEY_FILE``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
    with_config,
)

from scheduler.errors import ConfigError
from scheduler.mail.settings import Port
from scheduler.monitoring.logs import LogFormat
from scheduler.records import UnitLabels
from scheduler.settings.location import DEFAULT_DATABASE_URL
from scheduler.validation import Flag, need, read_section, refuse, with_secret

Seconds = Annotated[float, Field(gt=0), need("cần số giây > 0 / seconds > 0")]
Days = Annotated[int, Field(ge=1), need("cần số ngày > 0 / a number of days > 0")]
Text = Annotated[str, Field(min_length=1)]
_SIGNING_KEY_HINT = (
    "cần ít nhất 32 ký tự ngẫu nhiên / at least 32 random characters, e.g. `python -c 'import "
    "secrets; print(secrets.token_urlsafe(48))'`"
)


@with_config(ConfigDict(extra="forbid"))
@dataclass(frozen=True)
class TopSettings:
    """The keys at the top of the file (the sections aside)."""

    database_url: str = DEFAULT_DATABASE_URL
    rules: str = "rules.yaml"
    calendar_overrides: str | None = None
    allowed_domains: Annotated[
        tuple[Text, ...],
        Field(min_length=1, validate_default=True),
        need(
            "cần danh sách miền / a list of mail domains is required, ví dụ / e.g. "
            "['*.gov.vn'] (HANBAO_ALLOWED_DOMAINS='*.gov.vn,huyen.vn')"
        ),
    ] = ()
    sweep_batch: Annotated[
        int, Field(ge=1), need("cần số nguyên dương / a positive whole number")
    ] = 500
    backfill_horizon_days: Days = 365


@with_config(ConfigDict(extra="forbid"))
@dataclass(frozen=True)
class CatchUpSettings:
    coalesce: Flag = True


@with_config(ConfigDict(extra="forbid"))
@dataclass(frozen=True)
class LoggingSettings:
    format: Annotated[
        LogFormat,
        need("text hoặc / or json (json: một đối tượng JSON mỗi dòng / one JSON object per line)"),
    ] = "text"


@with_config(ConfigDict(extra="forbid"))
@dataclass(frozen=True)
class DaemonSettings:
    """How often each job runs, where /metrics and /healthz listen, when health fails."""

    sweep_seconds: Seconds = 60
    deliver_seconds: Seconds = 30
    digest_seconds: Seconds = 300
    periodic_seconds: Seconds = 3600
    housekeeping_seconds: Seconds = 86400
    changes_seconds: Seconds = 1  # how often the daemon looks for work recorded by another process
    stall_seconds: Seconds = 900
    http_host: str = "127.0.0.1"
    http_port: Port = 9464


def _signing_key(value: object) -> object:
    if isinstance(value, str):
        if len(value) < 32:
            raise refuse(_SIGNING_KEY_HINT)
        return value.encode()
    return value


def _http_address(url: str) -> str:
    if not url.startswith(("http://", "https://")):
        raise ValueError("not http")  # said by ``need``
    return url.rstrip("/")


@with_config(ConfigDict(extra="forbid"))
@dataclass(frozen=True)
class WebSettings:
    """The API, the acknowledgement links and the leaders' page.

    ``signing_key`` (HMAC for links and sessions) comes only from ``HANBAO_SIGNING_KEY`` or the
    file named by ``HANBAO_SIGNING_KEY_FILE``; without it mails carry no link and nobody can
    log in to the page. A non-loopback ``daemon.http_host`` needs ``tls_certfile`` and
    ``tls_keyfile``, or ``behind_tls_proxy: true`` when a reverse proxy terminates TLS.
    """

    base_url: Annotated[
        str,
        AfterValidator(_http_address),
        need(
            "cần địa chỉ http:// hoặc https:// / an http:// or https:// address, ví dụ / e.g. "
            "https://hanbao.huyen.gov.vn"
        ),
    ] = "http://127.0.0.1:9464"  # by default, the daemon's own address
    link_days: Days = 30
    signing_key: Annotated[bytes | None, BeforeValidator(_signing_key)] = field(
        default=None, repr=False
    )
    behind_tls_proxy: Flag = False
    proxy_addresses: Annotated[
        tuple[Text, ...],
        need(
            "cần danh sách địa chỉ IP của reverse proxy / a list of the reverse proxy's IP "
            "addresses, e.g. ['10.0.0.5']"
        ),
    ] = ("127.0.0.1", "::1")  # whose X-Forwarded-For is believed
    tls_certfile: Path | None = None
    tls_keyfile: Path | None = None
    max_body_bytes: Annotated[
        int, Field(ge=1024), need("cần số byte >= 1024 / a number of bytes >= 1024")
    ] = 1024 * 1024

    @model_validator(mode="after")
    def _both_tls_files(self) -> WebSettings:
        if (self.tls_certfile is None) != (self.tls_keyfile is None):
            raise refuse(
                "cần cả tls_certfile và tls_keyfile / needs both tls_certfile and tls_keyfile"
            )
        return self


@with_config(ConfigDict(extra="forbid"))
@dataclass(frozen=True)
class MetricsSettings:
    """``/metrics``: series of the state gauges per ``unit`` (every commune its own) or per
    ``parent`` (a national deployment keeps its 10,000 communes off Prometheus); how often, at
    most, the state is read again (``refresh_seconds``)."""

    unit_labels: Annotated[
        UnitLabels,
        need(
            "unit (mỗi đơn vị một chuỗi số liệu / a series per unit) hoặc / or parent (theo đơn "
            "vị cấp trên / per parent unit)"
        ),
    ] = "unit"
    refresh_seconds: Seconds = 15


def parse_top(document: Mapping[str, Any], path: Path, env: Mapping[str, str]) -> TopSettings:
    variables = {"HANBAO_ALLOWED_DOMAINS": "allowed_domains"}
    return read_section(TopSettings, document, "", path, env, variables, lists=("allowed_domains",))


def parse_catch_up(document: Mapping[str, Any], path: Path) -> CatchUpSettings:
    return read_section(CatchUpSettings, document, "catch_up", path, {})


def parse_logging(document: Mapping[str, Any], path: Path, env: Mapping[str, str]) -> LogFormat:
    """``HANBAO_LOG_FORMAT`` wins over ``logging.format``; both are text or json."""
    variables = {"HANBAO_LOG_FORMAT": "format"}
    return read_section(LoggingSettings, document, "logging", path, env, variables).format


def parse_daemon(document: Mapping[str, Any], path: Path, env: Mapping[str, str]) -> DaemonSettings:
    variables = {"HANBAO_HTTP_HOST": "http_host", "HANBAO_HTTP_PORT": "http_port"}
    return read_section(DaemonSettings, document, "daemon", path, env, variables)


def parse_web(
    document: Mapping[str, Any], path: Path, env: Mapping[str, str], own_url: str
) -> WebSettings:
    """``own_url`` (the daemon's own address) is the default ``base_url`` of links; the TLS
    files are relative to ``path``."""
    web = document.get("web")
    values = dict(web) if isinstance(web, dict) else web
    if isinstance(values, dict):
        values.setdefault("base_url", own_url)
        for key in ("tls_certfile", "tls_keyfile"):
            values[key] = path.parent / str(values[key]) if values.get(key) else None
    env = with_secret(
        env,
        "HANBAO_SIGNING_KEY",
        env.get("HANBAO_SIGNING_KEY_FILE"),
        "HANBAO_SIGNING_KEY_FILE",
        "tệp khoá ký / the signing key file",
    )
    if env.get("HANBAO_SIGNING_KEY") == "":
        raise ConfigError(f"HANBAO_SIGNING_KEY: {_SIGNING_KEY_HINT}")
    variables = {
        "HANBAO_BASE_URL": "base_url",
        "HANBAO_BEHIND_TLS_PROXY": "behind_tls_proxy",
        "HANBAO_PROXY_ADDRESSES": "proxy_addresses",
        "HANBAO_SIGNING_KEY": "signing_key",
    }
    secrets = {
        "signing_key": "khoá ký đặt trong / the signing key goes in HANBAO_SIGNING_KEY hoặc / or "
        "HANBAO_SIGNING_KEY_FILE, không ghi trong tệp / never in the file"
    }
    return read_section(
        WebSettings,
        {"web": values},
        "web",
        path,
        env,
        variables,
        lists=("proxy_addresses",),
        secrets=secrets,
    )


def parse_metrics(
    document: Mapping[str, Any], path: Path, env: Mapping[str, str]
) -> MetricsSettings:
    variables = {"HANBAO_METRICS_UNIT_LABELS": "unit_labels"}
    return read_section(MetricsSettings, document, "metrics", path, env, variables)
