"""Checking what people write (a settings file, the environment over it) with pydantic, and
saying what is wrong the way every hanbao message does: where (the file and the key, or the
environment variable), what is needed and what was found, in Vietnamese and English.

The checked types are plain frozen dataclasses (or pydantic models) whose fields carry their
requirement: ``Annotated[int, Field(ge=1), need("cần số / a number >= 1")]``. pydantic checks
them once, when a file is read (:func:`check`); after that the code trusts them, and
``dataclasses.replace`` on them checks nothing. A validator refuses with :func:`refuse`.
:func:`explain` turns a ``ValidationError`` into one line per problem.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, BeforeValidator, TypeAdapter, ValidationError, WrapValidator
from pydantic_core import PydanticCustomError

from scheduler.errors import ConfigError

T = TypeVar("T")
Loc = tuple[str | int, ...]
OURS = "setting"  # the error type of a refusal worded by us
_MAPPING = {"dataclass_type", "model_type", "model_attributes_type", "dict_type"}
_UNKNOWN = {"unexpected_keyword_argument", "extra_forbidden"}
_AT = "hanbao_at"  # the context key of the key a refusal is about


def refuse(text: str, *, at: str | None = None) -> PydanticCustomError:
    """A validator's refusal, worded in full (``raise refuse(...)``); ``at`` names the key it is
    about, inside the model the validator checks."""
    return PydanticCustomError(OURS, text, {_AT: at})  # pydantic fills in {hanbao_at} only


def need(text: str) -> WrapValidator:
    """A field's requirement: any value its type refuses, a yes/no too, is answered
    ``{text}, không phải / not {value}``."""

    def required(value: Any, handler: Callable[[Any], Any]) -> Any:
        if not isinstance(value, bool):
            try:
                return handler(value)
            except ValidationError:
                pass
        raise refuse(f"{text}, không phải / not {value!r}")

    return WrapValidator(required)


def _flag(value: object) -> object:
    """A yes/no, strictly: a YAML boolean, or ``true``/``false``/``1``/``0`` as text (the
    environment's); anything else is an error rather than a guess."""
    if isinstance(value, bool):
        return value
    text = value.strip().lower() if isinstance(value, str) else None
    if text not in ("true", "1", "false", "0"):
        raise refuse(f"viết true hoặc false / write true or false, không phải / not {value!r}")
    return text in ("true", "1")


Flag = typing.Annotated[bool, BeforeValidator(_flag)]


_ADAPTERS: dict[type, TypeAdapter[Any]] = {}  # each built once, when first needed


def _adapter(model: type) -> TypeAdapter[Any]:
    if model not in _ADAPTERS:
        _ADAPTERS[model] = TypeAdapter(model)
    return _ADAPTERS[model]


def check(model: type[T], values: Any, where: Callable[[Loc], str]) -> T:
    """``values`` as a ``model``, or :class:`ConfigError` listing every problem, each line
    beginning with ``where(location)``."""
    try:
        return typing.cast(T, _adapter(model).validate_python(values))
    except ValidationError as error:
        raise ConfigError("\n".join(explain(error, model, where))) from None


def explain(error: ValidationError, model: Any, where: Callable[[Loc], str]) -> list[str]:
    """pydantic's errors, one line each: ``where(location): what is needed, what was found``."""
    lines = []
    for problem in error.errors(include_url=False):
        loc: Loc = tuple(problem["loc"])
        at = (problem.get("ctx") or {}).get(_AT)
        kind = problem["type"]
        if at:
            loc = (*loc, at)
        loc = _as_written(model, loc)
        if kind == OURS:
            text = str(problem["msg"])
        elif kind in _UNKNOWN:
            known = ", ".join(keys(model, loc[:-1]))
            text = f"khoá không có / unknown key; chỉ có các khoá / has only the keys {known}"
        elif kind in _MAPPING:
            text = "cần một bảng khoá: giá trị / must be a mapping"
        elif kind == "missing":
            text = "thiếu, cần có / missing, required"
        elif kind == "value_error":
            text = str(problem["msg"]).removeprefix("Value error, ")
        else:
            text = f"giá trị không hợp lệ / invalid value {problem['input']!r}: {problem['msg']}"
        lines.append(f"{where(loc)}: {text}")
    return lines


def keys(model: Any, loc: Loc = ()) -> list[str]:
    """The keys a mapping may hold at ``loc`` inside ``model``, as they are written."""
    return sorted(fields(_inside(model, loc)))


def fields(model: Any) -> dict[str, Any]:
    """A dataclass's or pydantic model's keys, as written (aliases), with their types."""
    if isinstance(model, type) and issubclass(model, BaseModel):
        return {(info.alias or name): info.annotation for name, info in model.model_fields.items()}
    if dataclasses.is_dataclass(model):
        hints = typing.get_type_hints(model, include_extras=True)
        return {_alias(f.name, hints[f.name]): hints[f.name] for f in dataclasses.fields(model)}
    return {}


def _as_written(model: Any, loc: Loc) -> Loc:
    """``loc`` with each field's name as the file writes it (a default checked is located by
    its field's name, not its alias)."""
    written: list[str | int] = []
    for part in loc:
        hints = typing.get_type_hints(model, include_extras=True) if _has_fields(model) else {}
        hint = hints.get(str(part))
        written.append(_alias(str(part), hint) if hint is not None else part)
        model = _bare(hint) if hint is not None else _inside(model, (part,))
    return tuple(written)


def _has_fields(model: Any) -> bool:
    return dataclasses.is_dataclass(model) or (
        isinstance(model, type) and issubclass(model, BaseModel)
    )


def _alias(name: str, hint: Any) -> str:
    for extra in getattr(hint, "__metadata__", ()):
        if getattr(extra, "alias", None):
            return str(extra.alias)
    return name


def _inside(model: Any, loc: Loc) -> Any:
    """The type found at ``loc`` from ``model``: its fields' types, through ``X | None``."""
    for part in loc:
        hint = fields(model).get(str(part))
        if hint is None:
            return None
        model = _bare(hint)
    return model


def _bare(hint: Any) -> Any:
    hint = getattr(hint, "__origin__", hint) if hasattr(hint, "__metadata__") else hint
    inner = [a for a in typing.get_args(hint) if a is not type(None)]
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and inner:
        return _bare(inner[0])
    return hint


def read_section(
    model: type[T],
    document: Mapping[str, Any],
    key: str,
    path: Path,
    env: Mapping[str, str],
    variables: Mapping[str, str] = {},
    *,
    lists: tuple[str, ...] = (),
    secrets: Mapping[str, str] = {},
) -> T:
    """The ``key:`` section of the settings file ``path`` as a ``model``, with the environment
    over it: ``variables`` maps each variable to the key it sets (``smtp.port`` within
    ``intake``), and those named in ``lists`` are comma-separated; ``key`` "" is the top of the
    file. A key of ``secrets`` may
    come only from the environment: in the file it is refused with its hint. A problem names
    the variable when the value came from there, else the file and the key."""
    values = document if key == "" else document.get(key)
    values = {} if values is None else values
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: {key}: cần một bảng khoá: giá trị / must be a mapping")
    values = {k: dict(v) if isinstance(v, dict) else v for k, v in values.items()}
    for name, hint in secrets.items():
        *parents, last = name.split(".")
        holder: Any = values
        for parent in parents:
            holder = holder.get(parent) if isinstance(holder, dict) else None
        if isinstance(holder, dict) and last in holder:
            raise ConfigError(f"{path}: {key}.{name}: {hint}")
    sources: dict[Loc, str] = {}
    for variable, name in variables.items():
        text = env.get(variable)
        if not text:
            continue
        *parents, last = name.split(".")
        holder = values
        for parent in parents:
            holder = holder.setdefault(parent, {}) if isinstance(holder, dict) else {}
        if isinstance(holder, dict):
            holder[last] = [t.strip() for t in text.split(",")] if name in lists else text
        sources[tuple(name.split("."))] = variable

    def where(loc: Loc) -> str:
        parts = tuple(str(part) for part in loc)
        for end in range(len(parts), 0, -1):  # an item of a list came with the list
            if parts[:end] in sources:
                return sources[parts[:end]]
        dotted = ".".join(p for p in (key, *parts) if p)
        return f"{path}: {dotted}" if dotted else str(path)

    return check(model, values, where)


def with_secret(
    env: Mapping[str, str], variable: str, file: object, where: str, what: str
) -> Mapping[str, str]:
    """``env`` with ``variable`` set from ``file`` (a secret's file, named by the settings or
    the environment) unless the environment gives the secret itself; ``where`` and ``what``
    (Vietnamese / English) say which file could not be read."""
    if env.get(variable) or not file:
        return env
    try:
        return {**env, variable: Path(str(file)).read_text(encoding="utf-8").strip()}
    except OSError as exc:
        vi, en = what.split(" / ")
        raise ConfigError(
            f"{where}: không đọc được {vi} / cannot read {en} {file}: {exc.strerror}"
        ) from None


def place(loc: Sequence[str | int]) -> str:
    """A location inside a rules document as its reader counts: ``("kinds", "k", "ladder", 0,
    "at")`` -> ``kinds.k.ladder[1].at``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part + 1}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def problems(exc: ValidationError) -> list[tuple[str, str]]:
    """Every error of ``exc`` as (place, message), in pydantic's order: an unknown key named at
    the mapping that holds it, our refusals as written, pydantic's own said in both languages."""
    found = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        if error["type"] in _UNKNOWN:
            found.append((place(loc[:-1]), f"khoá không có / unknown key {loc[-1]!r}"))
        elif error["type"] == OURS:
            found.append((place(loc), error["msg"]))
        else:
            found.append((place(loc), f"giá trị không hợp lệ / invalid value: {error['msg']}"))
    return found
