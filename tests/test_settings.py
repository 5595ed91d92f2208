"""The settings file and the environment variables that override it (a container has no
other way in), each checked strictly with a message that names what to fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from scheduler.errors import ConfigError
from scheduler.settings import Config, load_config
from tests.conftest import CONFIG_PATH


def settings(**env: str) -> Config:
    return load_config(CONFIG_PATH, "sqlite://", env)


def test_behind_tls_proxy_comes_from_the_environment() -> None:
    assert settings().web.behind_tls_proxy is False
    assert settings(HANBAO_BEHIND_TLS_PROXY="true").web.behind_tls_proxy is True
    assert settings(HANBAO_BEHIND_TLS_PROXY="TRUE").web.behind_tls_proxy is True
    assert settings(HANBAO_BEHIND_TLS_PROXY="0").web.behind_tls_proxy is False


@pytest.mark.parametrize("value", ["yes", "on", "ture", "2"])
def test_a_flag_that_is_not_true_or_false_is_refused_naming_the_variable(value: str) -> None:
    with pytest.raises(ConfigError, match=r"HANBAO_BEHIND_TLS_PROXY: .*write true or false"):
        settings(HANBAO_BEHIND_TLS_PROXY=value)


def shipped_with(folder: Path, **changes: Any) -> Path:
    """The shipped settings with ``changes`` (a section's keys merged into it), in ``folder``."""
    document = yaml.safe_load(CONFIG_PATH.read_text(encoding="utf-8"))
    document["rules"] = str(CONFIG_PATH.parent / "rules.yaml")
    document["calendar_overrides"] = str(CONFIG_PATH.parent / "calendar-overrides.yaml")
    for key, value in changes.items():
        merged = isinstance(value, dict) and isinstance(document.get(key), dict)
        document[key] = {**document[key], **value} if merged else value
    path = folder / "hanbao.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def test_a_flag_in_the_file_written_as_text_is_not_taken_for_true(tmp_path: Path) -> None:
    path = shipped_with(tmp_path, web={"behind_tls_proxy": "no"})
    with pytest.raises(ConfigError, match=rf"{path}: web\.behind_tls_proxy: .*'no'"):
        load_config(path, "sqlite://", {})


def test_the_backfill_horizon_is_a_year_unless_set(tmp_path: Path) -> None:
    assert settings().backfill_horizon_days == 365
    path = shipped_with(tmp_path, backfill_horizon_days=30)
    assert load_config(path, "sqlite://", {}).backfill_horizon_days == 30
    with pytest.raises(ConfigError, match=r"backfill_horizon_days: .*a number of days > 0"):
        load_config(shipped_with(tmp_path, backfill_horizon_days=0), "sqlite://", {})


def test_allowed_domains_come_from_the_environment_comma_separated() -> None:
    assert settings().allowed_domains == ("tinhmau.example", "*.tinhmau.example")
    domains = settings(HANBAO_ALLOWED_DOMAINS="huyen.gov.vn, *.huyen.gov.vn").allowed_domains
    assert domains == ("huyen.gov.vn", "*.huyen.gov.vn")


def test_an_empty_entry_in_allowed_domains_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"HANBAO_ALLOWED_DOMAINS: .*list of mail domains"):
        settings(HANBAO_ALLOWED_DOMAINS="huyen.gov.vn,,")


def test_base_url_comes_from_the_environment() -> None:
    assert settings().web.base_url == "http://127.0.0.1:9464"
    proxied = settings(HANBAO_BASE_URL="https://hanbao.huyen.gov.vn/")
    assert proxied.web.base_url == "https://hanbao.huyen.gov.vn"


def test_a_base_url_without_its_scheme_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"HANBAO_BASE_URL: .*http:// or https://"):
        settings(HANBAO_BASE_URL="hanbao.huyen.gov.vn")


@pytest.mark.parametrize(
    ("changes", "key", "english"),
    [
        ({"sweep_batch": 0}, "sweep_batch", "a positive whole number"),
        ({"catch_up": {"coalesce": "no"}}, "catch_up.coalesce", "write true or false"),
        ({"web": {"link_days": 0}}, "web.link_days", "a number of days > 0"),
        ({"web": {"tls_certfile": "cert.pem"}}, "web", "needs both tls_certfile and tls_keyfile"),
        ({"web": {"signing_key": "x"}}, "web", "the signing key goes in HANBAO_SIGNING_KEY"),
        ({"daemon": {"sweep_seconds": 0}}, "daemon.sweep_seconds", "seconds > 0"),
        ({"daemon": {"colour": "red"}}, "daemon", "has only the keys"),
        ({"daemon": {"http_port": "web"}}, "daemon.http_port", "a port number"),
        ({"smtp": {"security": "ssl"}}, "smtp.security", "use starttls, tls or none"),
        ({"smtp": {"host": "relay.example", "security": "none"}}, "smtp.security", "loopback"),
        ({"mail": {"digest_time": "8h"}}, "mail.digest_time", "needs HH:MM"),
        ({"mail": {"batch_size": 0}}, "mail.batch_size", "a number >= 1"),
        ({"mail": {"group_by_recipient": "yes"}}, "mail.group_by_recipient", "true or false"),
    ],
)
def test_a_settings_error_names_the_file_and_key_in_vietnamese_and_english(
    tmp_path: Path, changes: dict[str, Any], key: str, english: str
) -> None:
    path = shipped_with(tmp_path, **changes)
    with pytest.raises(ConfigError) as error:
        load_config(path, "sqlite://", {})
    message = str(error.value)
    assert message.startswith(f"{path}: {key}")
    assert english in message and " / " in message


def test_secrets_come_from_the_files_the_environment_names(tmp_path: Path) -> None:
    key, password = tmp_path / "signing.key", tmp_path / "imap.password"
    key.write_text("k" * 48 + "\n", encoding="utf-8")
    password.write_text("mật-khẩu\n", encoding="utf-8")
    loaded = settings(
        HANBAO_SIGNING_KEY_FILE=str(key),
        HANBAO_INTAKE_IMAP_HOST="imap.huyen.example",
        HANBAO_INTAKE_IMAP_USERNAME="baocao",
        HANBAO_INTAKE_IMAP_PASSWORD_FILE=str(password),
    )
    assert loaded.web.signing_key == b"k" * 48
    assert loaded.intake.imap.password == "mật-khẩu"
    with pytest.raises(ConfigError, match=r"^HANBAO_SIGNING_KEY_FILE: .*cannot read"):
        settings(HANBAO_SIGNING_KEY_FILE=str(tmp_path / "missing"))
    key.write_text("short", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"^HANBAO_SIGNING_KEY: .*at least 32"):
        settings(HANBAO_SIGNING_KEY_FILE=str(key))
