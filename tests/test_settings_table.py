"""README's tables of settings and the models that check them say the same: every key a model
accepts has its row, every row names a key a model accepts, with the same default."""

from __future__ import annotations

import dataclasses
import re
from datetime import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from scheduler.settings import SECTIONS
from scheduler.validation import fields

README = Path(__file__).resolve().parent.parent / "README.md"
# what the environment alone gives: README names their variables, not a key
ENV_ONLY = {
    "smtp.password": "HANBAO_SMTP_PASSWORD",
    "web.signing_key": "HANBAO_SIGNING_KEY",
    "intake.imap.password": "HANBAO_INTAKE_IMAP_PASSWORD",
}
NO_DEFAULT = {"none", "required", "system CAs", "off"}  # said of None, "" and ()
SAID = {  # defaults that README says in words, and what they are
    "by security: 587/465/25": 587,
    "the daemon's own address": "http://127.0.0.1:9464",
    "sqlite:///hanbao.sqlite3, beside the settings file": "sqlite:///hanbao.sqlite3",
    "32 MiB": 32 * 1024 * 1024,
    "993 (tls) or 143 (starttls)": None,
}


def model_defaults(model: Any, prefix: str) -> dict[str, Any]:
    """Each key as written (``intake.smtp.port``) with its default, through nested sections."""
    found: dict[str, Any] = {}
    defaults = _defaults(model)
    for key, hint in fields(model).items():
        name = f"{prefix}{key}"
        inner = getattr(hint, "__origin__", hint)
        if dataclasses.is_dataclass(inner) or (
            isinstance(inner, type) and issubclass(inner, BaseModel)
        ):
            found.update(model_defaults(inner, f"{name}."))
        else:
            found[name] = defaults[key]
    return found


def _defaults(model: Any) -> dict[str, Any]:
    if isinstance(model, type) and issubclass(model, BaseModel):
        return {(f.alias or n): f.default for n, f in model.model_fields.items()}
    hints = fields(model)
    by_name = dict(zip([f.name for f in dataclasses.fields(model)], hints, strict=True))
    return {by_name[f.name]: f.default for f in dataclasses.fields(model)}


def documented() -> dict[str, str]:
    """The keys of README's settings tables, each with its default as written."""
    rows: dict[str, str] = {}
    header: list[str] = []
    for line in README.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            header = []
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if not header:
            header = cells
            continue
        if header[0] != "key" or set(cells[0]) <= {"-"} or "HANBAO_" in cells[0]:
            continue
        keys = re.findall(r"`([^`]+)`", cells[0])
        keys = [k if "." in k or i == 0 else f"{keys[0].rsplit('.', 1)[0]}.{k}" for i, k in
                enumerate(keys)]  # fmt: skip
        said = cells[header.index("default")].replace("`", "")
        parts = [p.strip() for p in re.split(r"[,;] (?![^\[]*\])", said)]
        if said in SAID or len(parts) != len(keys):
            parts = [said] * len(keys) if said in SAID or len(parts) < len(keys) else parts
        if keys and keys[0] == "intake.imap.host":
            parts = ["off", "993 (tls) or 143 (starttls)"]
        rows.update(zip(keys, parts[: len(keys)], strict=True))
    return rows


def shown(value: Any) -> str:
    """A default as README writes it."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, tuple):
        return "[" + ", ".join(f'"{v}"' for v in value) + "]"
    return str(value)


def test_every_setting_has_its_row_in_readme_with_its_default() -> None:
    models: dict[str, Any] = {}
    for section, model in SECTIONS.items():
        models.update(model_defaults(model, f"{section}." if section else ""))
    rows = documented()
    table = README.read_text(encoding="utf-8")
    for key, variable in ENV_ONLY.items():
        assert models.pop(key, "gone") is None, key
        assert f"`{variable}`" in table, variable
    assert sorted(set(models) - set(rows)) == [], "settings without a row in README"
    assert sorted(set(rows) - set(models)) == [], "README rows that no model accepts"
    for key, default in models.items():
        written = rows[key]
        if written in SAID:
            assert SAID[written] == default, key
        elif written in NO_DEFAULT:
            assert not default, key
        else:
            assert written == shown(default), key
