"""Units (province, district, commune, agency) and their contacts: checking them, addressing.

One row per unit, the same columns in YAML, CSV and XLSX (the form officials keep):
``code, name, kind, parent, email, officer, leader, supervisor, valid_from, valid_to, successor``
(Vietnamese headers ``ma, ten, loai, cap_tren, email, can_bo, lanh_dao, giam_sat, hiệu lực từ,
hiệu lực đến, đơn vị kế thừa`` work too). A role cell may hold several addresses separated by
``;``. The last three give a unit its life (``scheduler.hierarchy.life``): dates dd/mm/yyyy, and
the one unit that takes over after ``valid_to``. Files are read by ``scheduler.hierarchy.files``;
a file is checked as a whole: one bad row rejects it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.headerregistry import Address
from fnmatch import fnmatchcase
from typing import Any

from scheduler.deadlines.rules import ROLES, UNIT_KINDS, Recipient, Rules
from scheduler.deadlines.vntime import fmt_date, parse_date
from scheduler.errors import ImportRejected, InvalidInput
from scheduler.hierarchy.files import COLUMNS
from scheduler.hierarchy.life import answering, closed_on, exists_on, loops

_SHARED = {kind: kind for kind in UNIT_KINDS}
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@([A-Za-z0-9-]+\.)+[A-Za-z0-9-]{2,}$")


@dataclass(frozen=True, slots=True)
class Unit:
    code: str
    name: str
    kind: str
    parent: str | None
    email: str
    contacts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    valid_from: date | None = None
    valid_to: date | None = None
    successor: str | None = None

    def addresses(self, role: str) -> tuple[str, ...]:
        return self.contacts.get(role, ())


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


def domain_allowed(address: str, patterns: Iterable[str]) -> bool:
    domain = address.rsplit("@", 1)[-1].lower()
    return any(fnmatchcase(domain, pattern.lower()) for pattern in patterns)


def refusal(address: str, concerned: Iterable[Unit], allowed: Iterable[str]) -> str | None:
    """Why mail to ``address`` must not go out, or None: the confidentiality guard.

    Mail goes only to an allowed domain, and only to a contact of a unit the mail concerns.
    """
    if not domain_allowed(address, allowed):
        return f"{address}: ngoài các miền được phép / outside the allowed domains"
    if not any(address in values for unit in concerned for values in unit.contacts.values()):
        return (
            f"{address}: không phải liên hệ của đơn vị liên quan / not a contact of the "
            "units concerned"
        )
    return None


def addresses(recipients: Iterable[Recipient], unit: Unit, parent: Unit | None) -> tuple[str, ...]:
    """The addresses of ``recipients`` for an obligation owed by ``unit``, without repeats."""
    found: list[str] = []
    for recipient in recipients:
        holder = parent if recipient.of_parent else unit
        if holder is not None:
            found.extend(a for a in holder.addresses(recipient.role) if a not in found)
    return tuple(found)


def _address_list(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else re.split(r"[;,\s]+", str(value))
    return [str(item).strip() for item in items if str(item).strip()]


@dataclass
class Parsed:
    """The rows of a units file read into units, with what is wrong with each row by itself."""

    source: str
    units: dict[str, Unit] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)  # code -> its row, for later problems
    problems: list[str] = field(default_factory=list)

    def where(self, code: str) -> str:
        return f"dòng/row {self.rows[code]} ({code})" if code in self.rows else code


def check_units(
    rows: Iterable[dict[str, Any]],
    source: str,
    *,
    existing: Mapping[str, Unit],
    rules: Rules,
    allowed_domains: tuple[str, ...],
    today: date | None = None,
) -> list[Unit]:
    """Validate every row together with the units already stored; raise with every problem.

    ``today`` (the import's day) tells which units have closed already: those need no contacts.
    """
    return check_tree(parse_units(rows, source, allowed_domains), existing, rules, today)


def parse_units(
    rows: Iterable[dict[str, Any]], source: str, allowed_domains: tuple[str, ...]
) -> Parsed:
    """Each row on its own: columns, code, name, kind, addresses, life."""
    parsed = Parsed(source)
    problems = parsed.problems
    first_row = 2 if source.lower().endswith((".csv", ".xlsx")) else 1  # row 1 is the header
    for number, row in enumerate(rows, start=first_row):
        here = f"dòng/row {number}"
        unknown = sorted(set(row) - set(COLUMNS))
        if unknown:
            problems.append(
                f"{here}: cột không có / unknown column {', '.join(unknown)}; "
                f"dùng {', '.join(COLUMNS)}"
            )
        code = str(row.get("code") or "").strip()
        if not _CODE.match(code):
            problems.append(
                f"{here}: mã đơn vị không hợp lệ / invalid code {code!r} (chữ, số, '-', '_', '.')"
            )
            continue
        here = f"{here} ({code})"
        if code in parsed.units:
            problems.append(f"{here}: mã bị trùng trong tệp / duplicate code")
        parsed.rows[code] = number
        name = str(row.get("name") or "").strip()
        if not name:
            problems.append(f"{here}: thiếu tên đơn vị / name missing")
        kind = str(row.get("kind") or "").strip()
        if kind not in UNIT_KINDS:
            problems.append(f"{here}: loại {kind!r} không có; dùng {', '.join(UNIT_KINDS)}")
        parent = str(row.get("parent") or "").strip() or None
        contacts: dict[str, tuple[str, ...]] = {}
        for role in ROLES:
            contacts[role] = tuple(_address_list(row.get(role)))
        if contacts["admin"] and parent:
            problems.append(
                f"{here}: admin (người vận hành hanbao) chỉ ở đơn vị cao nhất, không có cấp trên "
                "/ admin (who runs hanbao) goes on the top unit only"
            )
        unit_email = _address_list(row.get("email"))
        if len(unit_email) != 1:
            problems.append(f"{here}: cần đúng một thư điện tử công vụ của đơn vị / one unit email")
        for address in [*unit_email, *(a for values in contacts.values() for a in values)]:
            if not _valid_address(address):
                problems.append(f"{here}: địa chỉ không hợp lệ / invalid address {address!r}")
            elif not domain_allowed(address, allowed_domains):
                problems.append(
                    f"{here}: {address} ngoài các miền được phép / outside the allowed "
                    f"domains ({', '.join(allowed_domains)})"
                )
        valid_from, valid_to, successor = _life(row, here, problems)
        parsed.units[code] = Unit(
            code,
            name,
            _SHARED.get(kind, kind),  # 200,000 rows share a handful of kinds and parents
            sys.intern(parent) if parent else None,
            unit_email[0] if unit_email else "",
            {role: values for role, values in contacts.items() if values},
            valid_from,
            valid_to,
            successor,
        )
    if not parsed.units and not problems:
        problems.append("tệp không có đơn vị nào / the file holds no unit")
    return parsed


def check_tree(
    parsed: Parsed, existing: Mapping[str, Unit], rules: Rules, today: date | None
) -> list[Unit]:
    """The file's units together with the stored ones: parents, loops, successors, roles."""
    units, problems = parsed.units, list(parsed.problems)
    known = {**existing, **units}
    for code, unit in units.items():
        if unit.parent is not None and unit.parent not in known:
            problems.append(
                f"{parsed.where(code)}: đơn vị cấp trên {unit.parent!r} không có trong tệp hay "
                "cơ sở dữ liệu / parent not found"
            )
        if loops(code, known, via="parent"):
            problems.append(f"{parsed.where(code)}: cấp trên tạo vòng lặp / the parent chain loops")
        problems.extend(f"{parsed.where(code)}: {p}" for p in _succession(unit, known))
    for code, unit in existing.items():  # a unit left under a parent that the file closes
        if code not in units and unit.parent in units:
            problems.extend(f"{code}: {p}" for p in _orphaned(unit, known))
    if not problems:
        problems.extend(_missing_roles(units, known, rules, parsed, today))
    if problems:
        raise ImportRejected(parsed.source, problems)
    return list(units.values())


def _day(value: Any) -> date | None:
    """A date cell: dd/mm/yyyy text, a YAML date, or an Excel date."""
    if value is None or str(value).strip() == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return parse_date(str(value).strip())


def _life(
    row: Mapping[str, Any], where: str, problems: list[str]
) -> tuple[date | None, date | None, str | None]:
    days: list[date | None] = []
    for column in ("valid_from", "valid_to"):
        try:
            days.append(_day(row.get(column)))
        except InvalidInput:
            problems.append(f"{where}: {column} {row.get(column)!r} cần ngày dd/mm/yyyy")
            days.append(None)
        except ValueError as error:  # a well-formed date that does not exist: 31/02
            problems.append(f"{where}: {column} {row.get(column)!r}: {error}")
            days.append(None)
    valid_from, valid_to = days
    if valid_from and valid_to and valid_to < valid_from:
        problems.append(
            f"{where}: hiệu lực đến {fmt_date(valid_to)} trước hiệu lực từ "
            f"{fmt_date(valid_from)} / valid_to is before valid_from"
        )
    successors = _address_list(row.get("successor"))
    if len(successors) > 1:
        problems.append(
            f"{where}: mỗi đơn vị chỉ có một đơn vị kế thừa, không phải {', '.join(successors)} / "
            "one successor per unit. Chia tách: chọn một đơn vị nhận các báo cáo còn nợ, các "
            "đơn vị mới còn lại là đơn vị mới (hiệu lực từ) / to split a unit, name the one "
            "that takes over what it owes and add the others as new units"
        )
    if successors and valid_to is None:
        problems.append(
            f"{where}: đơn vị kế thừa cần hiệu lực đến (ngày cuối của đơn vị) / a successor "
            "needs valid_to"
        )
    return valid_from, valid_to, successors[0] if len(successors) == 1 else None


def _succession(unit: Unit, known: Mapping[str, Unit]) -> list[str]:
    """What is wrong with the unit's successor, or with its parent's, once they close."""
    problems = _orphaned(unit, known)
    if unit.successor is not None and unit.valid_to is not None:
        if unit.successor not in known:
            problems.append(
                f"đơn vị kế thừa {unit.successor!r} không có trong tệp hay cơ sở dữ liệu / "
                "successor not found"
            )
        elif loops(unit.code, known):
            problems.append("chuỗi đơn vị kế thừa tạo vòng lặp / the successor chain loops")
        elif answering(unit.code, known, unit.valid_to + timedelta(days=1)) is None:
            problems.append(
                f"đơn vị kế thừa {unit.successor} không còn hiệu lực ngày "
                f"{fmt_date(unit.valid_to + timedelta(days=1))} / the successor does not exist "
                "the day after valid_to"
            )
    return problems


def _orphaned(unit: Unit, known: Mapping[str, Unit]) -> list[str]:
    """A unit that outlives its parent needs someone above it: the parent's successor or a new
    parent."""
    parent = known.get(unit.parent) if unit.parent else None
    if parent is None or parent.valid_to is None or parent.successor is not None:
        return []
    after = parent.valid_to + timedelta(days=1)
    if not exists_on(unit, after) and not (unit.valid_from and unit.valid_from > after):
        return []
    return [
        f"cấp trên {parent.code} hết hiệu lực sau {fmt_date(parent.valid_to)} mà không có đơn vị "
        "kế thừa: đặt cấp trên mới / the parent closes without a successor: give this unit a "
        "new parent"
    ]


def _missing_roles(
    units: Mapping[str, Unit],
    known: Mapping[str, Unit],
    rules: Rules,
    parsed: Parsed,
    today: date | None,
) -> list[str]:
    """Every role the rules will notify must have an address, or a reminder would go nowhere.

    A unit closed by ``today`` gets no more mail, so it needs none."""
    problems = []
    concerned = {c: u for c, u in known.items() if c in units or u.parent in units}
    for code, unit in concerned.items():
        if today is not None and closed_on(unit, today):
            continue
        parent = unit.parent
        if today is not None and parent is not None and parent in known:
            parent = answering(parent, known, today) or parent  # a closed parent's successor
        for recipient in sorted(rules.roles_needed(unit.kind), key=str):
            holder = known.get(parent) if recipient.of_parent and parent else unit
            if recipient.of_parent and parent is None:
                continue  # the top of the hierarchy owes nothing upwards
            if holder is not None and not holder.addresses(recipient.role):
                problems.append(
                    f"{parsed.where(code)}: cần địa chỉ cho vai trò {recipient.role} của "
                    f"{holder.code} (quy tắc gửi tới {recipient}) / no address for this role"
                )
    return problems
