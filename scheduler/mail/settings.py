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
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
    with_config,
)

from scheduler.validation import Flag, need, read_section, refuse, with_secret

Security = Literal["starttls", "tls", "none"]
SECURITIES: tuple[Security, ...] = ("starttls", "tls", "none")
LOOPBACK = ("127.0.0.1", "::1", "localhost")
_PORTS = {"starttls": 587, "tls": 465, "none": 25}
Port = Annotated[int, need("cần số cổng / a port number")]
AtLeastOne = Annotated[int, Field(ge=1), need("cần số / a number >= 1")]


@with_config(ConfigDict(extra="forbid"))
@dataclass(frozen=True)
class SmtpSettings:
    host: str = "127.0.0.1"
    port: Port = 587  # by default, the port of the ``security`` chosen
    security: Annotated[
        Security, need("dùng starttls, tls hoặc none / use starttls, tls or none")
    ] = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: Annotated[float, Field(ge=1), need("cần số / a number >= 1")] = 30.0
    ca_file: Path | None = None
    password_file: Path | None = None  # read into ``password`` when the settings are read

    @model_validator(mode="before")
    @classmethod
    def _port_of_security(cls, values: Any) -> Any:
        if isinstance(values, dict) and "port" not in values:
            return {**values, "port": _PORTS.get(str(values.get("security", "starttls")), 587)}
        return values

    @model_validator(mode="after")
    def _safe(self) -> SmtpSettings:
        if self.security == "none" and self.host not in LOOPBACK:
            raise refuse(
                f"none (không mã hoá) chỉ dùng cho relay cục bộ 127.0.0.1/localhost, không phải "
                f"{self.host!r} / plain SMTP only to a relay on loopback: dùng / use starttls "
                "hoặc / or tls",
                at="security",
            )
        if self.password and not self.username:
            raise refuse(
                "có mật khẩu SMTP nhưng thiếu tên đăng nhập (HANBAO_SMTP_USERNAME) / a password "
                "is set but no username",
                at="username",
            )
        return self


def _an_address(sender: str) -> str:
    if "@" not in parseaddr(sender)[1]:
        raise ValueError("no address")  # said by ``need``
    return sender


def _hour_minute(value: object) -> time:
    """``HH:MM`` as text (unquoted, YAML would read 08:30 as a number of minutes)."""
    if isinstance(value, time):
        return value
    if not isinstance(value, str):
        raise ValueError("not HH:MM")  # said by ``need``
    hour, minute = (int(part) for part in value.split(":"))
    return time(hour, minute)


@with_config(ConfigDict(extra="forbid"))
@dataclass(frozen=True)
class MailSettings:
    sender: Annotated[
        str,
        Field(alias="from", validate_default=True),
        AfterValidator(_an_address),
        need(
            "cần địa chỉ gửi (HANBAO_MAIL_FROM) / the sender's address, ví dụ / e.g. "
            "'Nhắc hạn báo cáo <nhac-han@huyen.gov.vn>'"
        ),
    ] = ""
    rate_per_minute: AtLeastOne = 60
    batch_size: AtLeastOne = 50
    connections: AtLeastOne = 1
    lease_seconds: AtLeastOne = 300
    retry_base_seconds: AtLeastOne = 30
    retry_cap_seconds: AtLeastOne = 900
    group_by_recipient: Flag = True
    digest_late_flags: Flag = True
    digest_time: Annotated[time, BeforeValidator(_hour_minute), need("cần / needs HH:MM")] = time(
        8, 30
    )

    @property
    def domain(self) -> str:
        """The sender's domain: the right-hand side of every Message-ID we make."""
        return parseaddr(self.sender)[1].rsplit("@", 1)[-1] or "hanbao.invalid"

    @model_validator(mode="after")
    def _lease_outlasts_a_batch(self) -> MailSettings:
        batch_seconds = self.batch_size * 60 / self.rate_per_minute
        if batch_seconds >= self.lease_seconds:
            raise refuse(
                f"{self.lease_seconds} s phải dài hơn thời gian gửi một lô / must be longer than "
                f"one batch takes at the set rate: mail.batch_size ({self.batch_size}) x 60 / "
                f"mail.rate_per_minute ({self.rate_per_minute}) = {batch_seconds:g} s; tăng / "
                "raise lease_seconds, hoặc / or lower batch_size",
                at="lease_seconds",
            )
        return self


SMTP_VARIABLES = {
    "HANBAO_SMTP_HOST": "host",
    "HANBAO_SMTP_PORT": "port",
    "HANBAO_SMTP_SECURITY": "security",
    "HANBAO_SMTP_USERNAME": "username",
    "HANBAO_SMTP_PASSWORD": "password",
    "HANBAO_SMTP_PASSWORD_FILE": "password_file",
}
MAIL_VARIABLES = {"HANBAO_MAIL_FROM": "from", "HANBAO_MAIL_RATE_PER_MINUTE": "rate_per_minute"}


def parse_smtp(document: Mapping[str, Any], path: Path, env: Mapping[str, str]) -> SmtpSettings:
    """The ``smtp`` section with the environment over it; ``ca_file`` is relative to ``path``."""
    smtp = document.get("smtp")
    values = dict(smtp) if isinstance(smtp, dict) else smtp
    if isinstance(values, dict):
        env = with_secret(
            env,
            "HANBAO_SMTP_PASSWORD",
            env.get("HANBAO_SMTP_PASSWORD_FILE") or values.get("password_file"),
            "smtp.password_file / HANBAO_SMTP_PASSWORD_FILE",
            "tệp mật khẩu SMTP / the SMTP password file",
        )
        if values.get("ca_file"):
            values["ca_file"] = path.parent / str(values["ca_file"])
    secrets = {
        "password": "mật khẩu đặt trong / the password goes in HANBAO_SMTP_PASSWORD hoặc / or "
        "password_file (HANBAO_SMTP_PASSWORD_FILE), không ghi trong tệp / never in the file"
    }
    return read_section(
        SmtpSettings, {"smtp": values}, "smtp", path, env, SMTP_VARIABLES, secrets=secrets
    )


def parse_mail(document: Mapping[str, Any], path: Path, env: Mapping[str, str]) -> MailSettings:
    """The ``mail`` section with the environment over it."""
    return read_section(MailSettings, document, "mail", path, env, MAIL_VARIABLES)
