"""The ``intake:`` settings: where report mail comes in, and which addresses it may be for.

``intake.addresses`` (``HANBAO_INTAKE_ADDRESSES``, comma-separated) are the addresses the SMTP
intake accepts mail for. ``intake.smtp`` is a listener the district's mail server forwards or
copies report mail to (``HANBAO_INTAKE_SMTP_ENABLED``, ``HANBAO_INTAKE_SMTP_HOST``,
``HANBAO_INTAKE_SMTP_PORT``): on loopback by default; any other address needs a certificate, and
then clients must use STARTTLS. ``intake.imap`` watches a mailbox, reading headers only
(``HANBAO_INTAKE_IMAP_HOST``, ``…_PORT``, ``…_USERNAME``, ``…_PASSWORD`` or
``…_PASSWORD_FILE``); its password never comes from the settings file itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from scheduler.validation import read_section, with_secret

LOOPBACK = ("127.0.0.1", "::1", "localhost")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IntakeSmtp(_Strict):
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=8026, ge=1, le=65535)
    tls_certfile: Path | None = None
    tls_keyfile: Path | None = None
    max_message_bytes: int = Field(default=32 * 1024 * 1024, ge=64 * 1024)

    @model_validator(mode="after")
    def _tls_off_loopback(self) -> IntakeSmtp:
        if (self.tls_certfile is None) != (self.tls_keyfile is None):
            raise ValueError(
                "cần cả tls_certfile và tls_keyfile / needs both tls_certfile and tls_keyfile"
            )
        if self.enabled and self.host not in LOOPBACK and self.tls_certfile is None:
            raise ValueError(
                f"nghe trên {self.host} (ngoài máy) cần chứng thư: đặt tls_certfile và "
                "tls_keyfile (STARTTLS) / listening off loopback needs a certificate for STARTTLS"
            )
        return self


class IntakeImap(_Strict):
    host: str | None = None
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["tls", "starttls"] = "tls"
    username: str | None = None
    password: str | None = Field(default=None, repr=False)
    password_file: Path | None = None
    folder: str = "INBOX"
    poll_seconds: float = Field(default=60, gt=0)
    lookback_days: int = Field(default=14, ge=1)
    ca_file: Path | None = None

    @property
    def enabled(self) -> bool:
        return self.host is not None

    @property
    def effective_port(self) -> int:
        return self.port or (993 if self.security == "tls" else 143)

    @model_validator(mode="after")
    def _credentials(self) -> IntakeImap:
        if self.host is not None and not (self.username and self.password):
            raise ValueError(
                "cần tên đăng nhập và mật khẩu hộp thư: HANBAO_INTAKE_IMAP_USERNAME và "
                "HANBAO_INTAKE_IMAP_PASSWORD (hoặc _PASSWORD_FILE) / the mailbox needs a "
                "username and a password"
            )
        return self


class IntakeSettings(_Strict):
    addresses: tuple[str, ...] = ()
    smtp: IntakeSmtp = IntakeSmtp()
    imap: IntakeImap = IntakeImap()

    @model_validator(mode="after")
    def _addresses(self) -> IntakeSettings:
        if self.smtp.enabled and not self.addresses:
            raise ValueError(
                "intake.smtp cần intake.addresses (HANBAO_INTAKE_ADDRESSES): các địa chỉ nhận "
                "báo cáo / the SMTP intake needs the addresses it accepts mail for"
            )
        if any("@" not in address for address in self.addresses):
            raise ValueError("intake.addresses: mỗi mục là một địa chỉ thư / each is an address")
        return self


_VARIABLES = {
    "HANBAO_INTAKE_ADDRESSES": "addresses",
    "HANBAO_INTAKE_SMTP_ENABLED": "smtp.enabled",
    "HANBAO_INTAKE_SMTP_HOST": "smtp.host",
    "HANBAO_INTAKE_SMTP_PORT": "smtp.port",
    "HANBAO_INTAKE_IMAP_HOST": "imap.host",
    "HANBAO_INTAKE_IMAP_PORT": "imap.port",
    "HANBAO_INTAKE_IMAP_USERNAME": "imap.username",
    "HANBAO_INTAKE_IMAP_PASSWORD": "imap.password",
    "HANBAO_INTAKE_IMAP_PASSWORD_FILE": "imap.password_file",
}
_SECRETS = {
    "imap.password": "mật khẩu không ghi trong tệp cấu hình; đặt HANBAO_INTAKE_IMAP_PASSWORD "
    "hoặc password_file / the password never goes in the file"
}


def parse_intake(document: Mapping[str, Any], path: Path, env: Mapping[str, str]) -> IntakeSettings:
    """The ``intake`` section with the environment over it; file paths are relative to ``path``."""
    section = document.get("intake")
    values = (
        {k: dict(v) if isinstance(v, dict) else v for k, v in section.items()}
        if isinstance(section, dict)
        else section
    )
    if isinstance(values, dict):
        for part, key in (("smtp", "tls_certfile"), ("smtp", "tls_keyfile"), ("imap", "ca_file")):
            if isinstance(values.get(part), dict) and values[part].get(key):
                values[part][key] = path.parent / str(values[part][key])
        imap: dict[str, Any] = values["imap"] if isinstance(values.get("imap"), dict) else {}
        env = with_secret(
            env,
            "HANBAO_INTAKE_IMAP_PASSWORD",
            env.get("HANBAO_INTAKE_IMAP_PASSWORD_FILE") or imap.get("password_file"),
            "intake.imap.password_file / HANBAO_INTAKE_IMAP_PASSWORD_FILE",
            "tệp mật khẩu / the password file",
        )
    return read_section(
        IntakeSettings,
        {"intake": values},
        "intake",
        path,
        env,
        _VARIABLES,
        lists=("addresses",),
        secrets=_SECRETS,
    )
