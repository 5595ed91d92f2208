"""Reading ``config/rules.yaml`` into the values of ``rules``, once, as a whole.

The document is checked by pydantic models (``rules_kind``, ``rules_parts``): one run lists
every problem, each with the file, the kind, the key and what to write instead, in Vietnamese
and English. Problems between kinds (an ``after`` that names no kind, a loop of them, a role
played twice) are listed with them. Roles a file does not declare are given by place. After that
the code trusts the rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError

from scheduler import yamlfile
from scheduler.deadlines.rules import ROLE_TRIGGERS, Kind, Role, Rules
from scheduler.deadlines.rules_kind import KindDoc
from scheduler.deadlines.rules_parts import Clock
from scheduler.errors import ConfigError
from scheduler.validation import problems


class RulesDoc(BaseModel):
    reminder_time: Clock = Field(default="08:00", validate_default=True)
    kinds: dict[str, KindDoc]


def load_rules(path: Path) -> Rules:
    try:
        document = yamlfile.load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: không có tệp quy tắc / rules file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: YAML không hợp lệ / invalid YAML: {exc}") from None
    return parse_rules(document, path)


def parse_rules(document: Any, path: Path) -> Rules:
    if not isinstance(document, dict) or not isinstance(document.get("kinds"), dict):
        raise ConfigError(
            f"{path}: cần khoá 'kinds' chứa các loại nghĩa vụ / 'kinds' mapping missing"
        )
    raw = {str(kind_id): value for kind_id, value in document["kinds"].items()}
    found: list[tuple[str, str]] = []
    parsed: RulesDoc | None = None
    try:
        parsed = RulesDoc.model_validate({**document, "kinds": raw})
    except ValidationError as exc:
        found = problems(exc)
    found += _between_kinds(raw)
    if found or parsed is None:
        raise ConfigError(
            "quy tắc không hợp lệ / invalid rules:\n"
            + "\n".join(f"  - {path}: {where}: {message}" for where, message in found)
        )
    kinds = {kind_id: kind.value(kind_id) for kind_id, kind in parsed.kinds.items()}
    return Rules(kinds=_with_roles(kinds), reminder_time=parsed.reminder_time)


def _between_kinds(raw: dict[str, Any]) -> list[tuple[str, str]]:
    """What no one kind shows: an ``after`` naming no kind, a loop of them, a role played
    twice."""
    found = []
    after = {
        kind_id: str(value["after"])
        for kind_id, value in raw.items()
        if isinstance(value, dict) and value.get("after") is not None
    }
    for kind_id, target in after.items():
        if target not in raw:
            found.append(
                (
                    f"kinds.{kind_id}.after",
                    f"không có loại {target!r} / no such kind; có / known: {', '.join(raw)}",
                )
            )
    for loop in _after_loops(after):
        found.append(
            (
                f"kinds.{loop[0]}.after",
                f"vòng lặp / a loop of after: {' -> '.join([*loop, loop[0]])}; mỗi chuỗi after "
                "phải bắt đầu từ một loại có trigger khác / every chain must start at a kind "
                "with another trigger (case_verified, request, yearly, once)",
            )
        )
    for role in ROLE_TRIGGERS:
        playing = [k for k, v in raw.items() if isinstance(v, dict) and v.get("role") == role]
        if len(playing) > 1:
            found.append(
                (
                    f"kinds.{playing[1]}.role",
                    f"chỉ một loại giữ vai trò {role} / only one kind plays {role}: "
                    f"{', '.join(playing)}",
                )
            )
    return found


def _after_loops(after: dict[str, str]) -> list[list[str]]:
    """Each loop of ``after:`` links once: kinds that could only ever start one another."""
    loops: dict[frozenset[str], list[str]] = {}
    for start in after:
        chain: list[str] = []
        current: str | None = start
        while current is not None and current not in chain:
            chain.append(current)
            current = after.get(current)
        if current == start:
            loops.setdefault(frozenset(chain), chain)
    return list(loops.values())


def _with_roles(kinds: dict[str, Kind]) -> dict[str, Kind]:
    """A rules file written before roles existed says none: each role undeclared goes to the
    kind that has always played it, by its place in the file, never by its id: the first
    ``case_verified`` kind is the urgent notice, the first ``after`` it is its written follow-up,
    the first ``request`` kind is what an ad-hoc request asks for."""
    declared: dict[Role, str] = {k.role: k.id for k in kinds.values() if k.role is not None}
    first: dict[Role, Callable[[Kind], bool]] = {
        "urgent_notice": lambda k: k.trigger == "case_verified",
        "written_follow_up": lambda k: (
            k.after is not None and k.after == declared.get("urgent_notice")
        ),
        "adhoc_request": lambda k: k.trigger == "request",
    }
    inferred: dict[str, Role] = {}
    for role, plays in first.items():
        if role not in declared:
            kind_id = next((k.id for k in kinds.values() if plays(k)), None)
            if kind_id is not None:
                declared[role] = kind_id
                inferred[kind_id] = role
    return {
        kind_id: replace(kind, role=inferred[kind_id]) if kind_id in inferred else kind
        for kind_id, kind in kinds.items()
    }
