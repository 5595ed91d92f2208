"""How to reach the mail relay, and the mail policy: the ``smtp:`` and ``mail:`` settings.

Environment variables override the file: ``HANBAO_SMTP_HOST``, ``HANBAO_SMTP_PORT``,
``HANBAO_SMTP_SECURITY`` (``starttls``, ``tls`` or ``none``), ``HANBAO_SMTP_USERNAME``,
``HANBAO_SMTP_PASSWORD`` or ``HANBAO_SMTP_PASSWORD_FILE``, ``HANBAO_MAIL_FROM``,
``HANBAO_MAIL_RATE_PER_MINUTE`` (what the relay allows, told by its operator). The password
never comes from the settings file itself, and never appears in a ``repr`` or a log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from email.utils import parseaddr
from pathlib import Path
from typing import Any, Literal

from scheduler.errors import ConfigError

Security = Literal["starttls", "tls", "none"]
SECURITIES: tuple[Security, ...] = ("starttls", "tls", "none")
LOOPBACK = ("127.0.0.1", "::1", "localhost")
_SMTP_KEYS = {"host", "port", "security", "username", "password_file", "timeout", "ca_file"}
_MAIL_KEYS = {
    "from",
    "rate_per_minute",
    "batch_size",
    "lease_seconds",
    "retry_base_seconds",
    "retry_cap_seconds",
    "group_by_recipient",
    "digest_late_flags",
    "digest_time",
}


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: int = 587
    security: Security = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    ca_file: Path | None = None


@dataclass(frozen=True)
class MailSettings:
    sender: str
    rate_per_minute: int = 60
    batch_size: int = 50
    lease_seconds: int = 300
    retry_base_seconds: int = 30
    retry_cap_seconds: int = 900
    group_by_recipient: bool = True
    digest_late_flags: bool = True
    digest_time: time = time(8, 30)

    @property
    def domain(self) -> str:
        """The sender's domain: the right-hand side of every Message-ID we make."""
        return parseaddr(self.sender)[1].rsplit("@", 1)[-1] or "hanbao.invalid"


def _section(
    document: Mapping[str, Any], key: str, allowed: set[str], path: Path
) -> dict[str, Any]:
    section = document.get(key) or {}
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: {key} cần một bảng khoá: giá trị / must be a mapping")
    unknown = sorted(set(section) - allowed)
    if unknown:
        hint = (
            " (mật khẩu đặt trong / the password goes in HANBAO_SMTP_PASSWORD hoặc / or "
            "password_file)"
            if ("password" in unknown)
            else ""
        )
        raise ConfigError(
            f"{path}: {key}: khoá không có / unknown keys {', '.join(unknown)}"
            f"{hint}; dùng / use {', '.join(sorted(allowed))}"
        )
    return section


def _number(path: Path, key: str, value: Any, minimum: float = 1) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise ConfigError(
            f"{path}: {key} cần số / a number >= {minimum:g}, không phải / not {value!r}"
        )
    return value


def flag(where: str, value: object) -> bool:
    """A yes/no setting, strictly: a YAML boolean, or ``true``/``false``/``1``/``0`` as text
    (environment variables); anything else is an error rather than a guess."""
    if isinstance(value, bool):
        return value
    text = value.strip().lower() if isinstance(value, str) else None
    if text not in ("true", "1", "false", "0"):
        raise ConfigError(
            f"{where}: viết true hoặc false / write true or false, không phải / not {value!r}"
        )
    return text in ("true", "1")


def parse_smtp(document: Mapping[str, Any], path: Path, env: Mapping[str, str]) -> SmtpSettings:
    section = _section(document, "smtp", _SMTP_KEYS, path)
    host = env.get("HANBAO_SMTP_HOST") or str(section.get("host", "127.0.0.1"))
    security = env.get("HANBAO_SMTP_SECURITY") or str(section.get("security", "starttls"))
    if security not in SECURITIES:
        raise ConfigError(
            f"{path}: smtp.security / HANBAO_SMTP_SECURITY: dùng starttls, tls hoặc none / use "
            f"starttls, tls or none, không phải / not {security!r}"
        )
    if security == "none" and host not in LOOPBACK:
        raise ConfigError(
            f"{path}: smtp.security none (không mã hoá) chỉ dùng cho relay cục bộ "
            f"127.0.0.1/localhost, không phải {host!r} / plain SMTP only to a relay on "
            "loopback: dùng / use starttls hoặc / or tls"
        )
    default_port = {"starttls": 587, "tls": 465, "none": 25}[security]
    port_text = env.get("HANBAO_SMTP_PORT") or section.get("port", default_port)
    try:
        port = int(port_text)
    except (TypeError, ValueError):
        raise ConfigError(
            f"{path}: smtp.port / HANBAO_SMTP_PORT: cần số cổng / a port number, "
            f"không phải / not {port_text!r}"
        ) from None
    password = env.get("HANBAO_SMTP_PASSWORD")
    password_file = env.get("HANBAO_SMTP_PASSWORD_FILE") or section.get("password_file")
    if password is None and password_file:
        secret = Path(str(password_file))
        try:
            password = secret.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(
                f"smtp.password_file / HANBAO_SMTP_PASSWORD_FILE: không đọc được tệp mật "
                f"khẩu SMTP / cannot read the SMTP password file {secret}: {exc.strerror}"
            ) from None
    username = env.get("HANBAO_SMTP_USERNAME") or section.get("username")
    if password and not username:
        raise ConfigError(
            f"{path}: smtp.username / HANBAO_SMTP_USERNAME: có mật khẩu SMTP nhưng thiếu tên "
            "đăng nhập / a password is set but no username"
        )
    ca_file = section.get("ca_file")
    return SmtpSettings(
        host=host,
        port=port,
        security=security,
        username=str(username) if username else None,
        password=password or None,
        timeout=float(_number(path, "smtp.timeout", section.get("timeout", 30.0))),
        ca_file=path.parent / str(ca_file) if ca_file else None,
    )


def parse_mail(document: Mapping[str, Any], path: Path, env: Mapping[str, str]) -> MailSettings:
    section = _section(document, "mail", _MAIL_KEYS, path)
    sender = env.get("HANBAO_MAIL_FROM") or section.get("from")
    if not sender or "@" not in parseaddr(str(sender))[1]:
        raise ConfigError(
            f"{path}: mail.from / HANBAO_MAIL_FROM cần địa chỉ gửi / the sender's address, "
            "ví dụ / e.g. 'Nhắc hạn báo cáo <nhac-han@huyen.gov.vn>'"
        )
    digest_time = str(section.get("digest_time", "08:30"))
    try:
        hour, minute = (int(part) for part in digest_time.split(":"))
        digest_at = time(hour, minute)
    except ValueError:
        raise ConfigError(
            f"{path}: mail.digest_time cần / needs HH:MM, không phải / not {digest_time!r}"
        ) from None
    numbers = {
        key: _number(path, f"mail.{key}", section[key])
        for key in (
            "rate_per_minute",
            "batch_size",
            "lease_seconds",
            "retry_base_seconds",
            "retry_cap_seconds",
        )
        if key in section
    }
    rate = env.get("HANBAO_MAIL_RATE_PER_MINUTE")
    if rate is not None:
        if not rate.strip().isdigit():
            raise ConfigError(
                f"HANBAO_MAIL_RATE_PER_MINUTE cần số nguyên / a whole number >= 1, không phải / "
                f"not {rate!r}"
            )
        numbers["rate_per_minute"] = _number(path, "HANBAO_MAIL_RATE_PER_MINUTE", int(rate.strip()))
    settings = MailSettings(
        sender=str(sender),
        group_by_recipient=flag(
            f"{path}: mail.group_by_recipient", section.get("group_by_recipient", True)
        ),
        digest_late_flags=flag(
            f"{path}: mail.digest_late_flags", section.get("digest_late_flags", True)
        ),
        digest_time=digest_at,
        **{key: int(value) for key, value in numbers.items()},
    )
    batch_seconds = settings.batch_size * 60 / settings.rate_per_minute
    if batch_seconds >= settings.lease_seconds:
        raise ConfigError(
            f"{path}: mail.lease_seconds ({settings.lease_seconds}) phải dài hơn thời gian gửi một "
            f"lô / must be longer than one batch takes at the set rate: mail.batch_size "
            f"({settings.batch_size}) x 60 / mail.rate_per_minute ({settings.rate_per_minute})"
            f" = {batch_seconds:g} s; tăng / raise lease_seconds, hoặc / or lower batch_size"
        )
    return settings
