"""One row of a units file checked on its own, by pydantic: the code, the name, the kind, the
addresses of the unit and of each role (valid, and in an allowed domain), the unit's life.

Each problem is said as ``dòng/row N (code): what is wrong / in English``; a row whose code is
wrong is said by its number alone, and nothing else of it is checked. What needs the other rows
and the stored units (parents, loops, successors, roles the rules notify) is
``scheduler.hierarchy.units``'s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from email.headerregistry import Address
from fnmatch import fnmatchcase
from typing import Annotated, Any, NamedTuple

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    with_config,
)
from pydantic_core import ErrorDetails

from scheduler.deadlines.rules import UNIT_KINDS
from scheduler.deadlines.vntime import fmt_date, parse_date
from scheduler.errors import InvalidInput
from scheduler.hierarchy.files import COLUMNS
from scheduler.validation import OURS, refuse

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@([A-Za-z0-9-]+\.)+[A-Za-z0-9-]{2,}$")


def domain_allowed(address: str, patterns: Iterable[str]) -> bool:
    domain = address.rsplit("@", 1)[-1].lower()
    return any(fnmatchcase(domain, pattern.lower()) for pattern in patterns)


def _valid_address(address: str) -> bool:
    """Syntax that the mail layer will also accept (no ``a..b@x``, no leading dot)."""
    if not _EMAIL.match(address):
        return False
    try:
        Address(addr_spec=address)
    except (ValueError, IndexError):
        return False
    local = address.split("@", 1)[0]
    return not (local.startswith(".") or local.endswith(".") or ".." in local)


def address_list(value: Any) -> list[str]:
    """A cell's addresses (or codes): a YAML list, or text separated by ``;``, ``,`` or spaces."""
    if value is None:
        return []
    items = value if isinstance(value, list) else re.split(r"[;,\s]+", str(value))
    return [str(item).strip() for item in items if str(item).strip()]


def _text(value: Any) -> str:
    return str(value if value is not None else "").strip()


def _code(code: str) -> str:
    if not _CODE.match(code):
        raise refuse(f"mã đơn vị không hợp lệ / invalid code {code!r} (chữ, số, '-', '_', '.')")
    return code


def _name(name: str) -> str:
    if not name:
        raise refuse("thiếu tên đơn vị / name missing")
    return name


def _kind(kind: str) -> str:
    if kind not in UNIT_KINDS:
        raise refuse(f"loại {kind!r} không có; dùng {', '.join(UNIT_KINDS)}")
    return kind


def _address(address: str, info: ValidationInfo) -> str:
    if not _valid_address(address):
        raise refuse(f"địa chỉ không hợp lệ / invalid address {address!r}")
    allowed: tuple[str, ...] = (info.context or {}).get("allowed_domains", ())
    if not domain_allowed(address, allowed):
        raise refuse(
            f"{address} ngoài các miền được phép / outside the allowed domains "
            f"({', '.join(allowed)})"
        )
    return address


def _one_email(emails: tuple[str, ...]) -> tuple[str, ...]:
    if len(emails) != 1:
        raise refuse("cần đúng một thư điện tử công vụ của đơn vị / one unit email")
    return emails


def _top_only(admins: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
    if admins and info.data.get("parent"):
        raise refuse(
            "admin (người vận hành hanbao) chỉ ở đơn vị cao nhất, không có cấp trên / admin "
            "(who runs hanbao) goes on the top unit only"
        )
    return admins


def _day(value: Any, info: ValidationInfo) -> date | None:
    """A date cell: dd/mm/yyyy text, a YAML date, or an Excel date."""
    if value is None or str(value).strip() == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return parse_date(str(value).strip())
    except InvalidInput:
        raise refuse(f"{info.field_name} {value!r} cần ngày dd/mm/yyyy") from None
    except ValueError as error:  # a well-formed date that does not exist: 31/02
        raise refuse(f"{info.field_name} {value!r}: {error}") from None


def _after_start(valid_to: date | None, info: ValidationInfo) -> date | None:
    valid_from = info.data.get("valid_from")
    if valid_from and valid_to and valid_to < valid_from:
        raise refuse(
            f"hiệu lực đến {fmt_date(valid_to)} trước hiệu lực từ {fmt_date(valid_from)} / "
            "valid_to is before valid_from"
        )
    return valid_to


def _named(value: Any) -> str | None:
    return _text(value) or None


def _successor(value: Any, info: ValidationInfo) -> str | None:
    successors = address_list(value)
    if len(successors) > 1:
        raise refuse(
            f"mỗi đơn vị chỉ có một đơn vị kế thừa, không phải {', '.join(successors)} / "
            "one successor per unit. Chia tách: chọn một đơn vị nhận các báo cáo còn nợ, các "
            "đơn vị mới còn lại là đơn vị mới (hiệu lực từ) / to split a unit, name the one "
            "that takes over what it owes and add the others as new units"
        )
    if successors and info.data.get("valid_to") is None:
        raise refuse(
            "đơn vị kế thừa cần hiệu lực đến (ngày cuối của đơn vị) / a successor needs valid_to"
        )
    return successors[0] if successors else None


Text = Annotated[str, BeforeValidator(_text)]
Addresses = Annotated[
    tuple[Annotated[str, AfterValidator(_address)], ...], BeforeValidator(address_list)
]
Day = Annotated[date | None, BeforeValidator(_day)]


@with_config(ConfigDict(extra="forbid"))
@dataclass(frozen=True)
class Row:
    """A row as the file gives it, checked; ``parent`` and ``successor`` are only named here."""

    code: Annotated[Text, AfterValidator(_code)]
    name: Annotated[Text, AfterValidator(_name)] = ""
    kind: Annotated[Text, AfterValidator(_kind)] = ""
    parent: Annotated[str | None, BeforeValidator(_named)] = None
    email: Annotated[Addresses, AfterValidator(_one_email)] = ()
    officer: Addresses = ()
    leader: Addresses = ()
    supervisor: Addresses = ()
    admin: Annotated[Addresses, AfterValidator(_top_only)] = ()
    valid_from: Day = None
    valid_to: Annotated[Day, AfterValidator(_after_start)] = None
    successor: Annotated[str | None, BeforeValidator(_successor)] = None


_ROW = TypeAdapter(Row)


class Checked(NamedTuple):
    """A row checked: the row if nothing is wrong with it, its code if that is valid, and what
    is wrong, each problem beginning with the row's number (and code)."""

    row: Row | None
    code: str | None
    problems: list[str]


def check_row(row: Mapping[str, Any], number: int, allowed_domains: tuple[str, ...]) -> Checked:
    here = f"dòng/row {number}"
    problems = []
    unknown = sorted(set(row) - set(COLUMNS))
    if unknown:
        problems.append(
            f"{here}: cột không có / unknown column {', '.join(unknown)}; dùng {', '.join(COLUMNS)}"
        )
    values = {"code": None, **{k: v for k, v in row.items() if k in COLUMNS}}
    try:
        checked = _ROW.validate_python(values, context={"allowed_domains": allowed_domains})
        return Checked(checked, checked.code, problems)
    except ValidationError as error:
        errors = error.errors(include_url=False)
    for wrong in (e for e in errors if e["loc"] == ("code",)):
        return Checked(None, None, [*problems, f"{here}: {_said(wrong)}"])
    code = _text(row.get("code"))
    return Checked(None, code, [*problems, *(f"{here} ({code}): {_said(e)}" for e in errors)])


def _said(error: ErrorDetails) -> str:
    if error["type"] == OURS:
        return error["msg"]
    return f"{'.'.join(str(p) for p in error['loc'])}: {error['input']!r}: {error['msg']}"
