"""pydantic's validation errors said the way hanbao says every configuration problem.

Each error becomes a place and a message: the keys joined by dots, an item of a list as its
1-based row (``ladder[1]``), an unknown key named at the mapping that holds it. A validator says
its problem with ``problem(...)``, in Vietnamese and English with the fix, and that text is kept
as it is; pydantic's own messages (a type it checked by itself) are prefixed so that they too say
"invalid value" in both languages.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

_OURS = "hanbao"


def problem(message: str) -> PydanticCustomError:
    """An error to raise in a validator: ``message`` names the fix, and is shown as written."""
    return PydanticCustomError(_OURS, message)


def where(loc: Sequence[str | int]) -> str:
    """``("kinds", "k", "ladder", 0, "at")`` -> ``kinds.k.ladder[1].at``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part + 1}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def problems(exc: ValidationError) -> list[tuple[str, str]]:
    """Every error of ``exc`` as (place, message), in pydantic's order."""
    found = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        if error["type"] == "extra_forbidden":
            found.append((where(loc[:-1]), f"khoá không có / unknown key {loc[-1]!r}"))
        elif error["type"] == _OURS:
            found.append((where(loc), error["msg"]))
        else:
            found.append((where(loc), f"giá trị không hợp lệ / invalid value: {error['msg']}"))
    return found
