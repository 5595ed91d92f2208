"""Units (province, district, commune, agency) and their contacts: checking them, addressing.

One row per unit, the same columns in YAML, CSV and XLSX (the form officials keep):
``code, name, kind, parent, email, officer, leader, supervisor, valid_from, valid_to, successor``
(Vietnamese headers ``ma, ten, loai, cap_tren, email, can_bo, lanh_dao, giam_sat, hiệu lực từ,
hiệu lực đến, đơn vị kế thừa`` work too). A role cell may hold several addresses separated by
``;``. The last three give a unit its life (``scheduler.hierarchy.life``): dates dd/mm/yyyy, and
the one unit that takes over after ``valid_to``. Files are read by ``scheduler.hierarchy.files``,
each row checked by ``scheduler.hierarchy.rows``; a file is checked as a whole, with the units
already stored: one bad row rejects it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from scheduler.deadlines.rules import ROLES, UNIT_KINDS, Recipient, Rules
from scheduler.deadlines.vntime import fmt_date
from scheduler.errors import ImportRejected
from scheduler.hierarchy.life import answering, closed_on, exists_on, loops
from scheduler.hierarchy.rows import Row, check_row, domain_allowed

_SHARED = {kind: kind for kind in UNIT_KINDS}


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
    """Each row on its own (``scheduler.hierarchy.rows``), into units and problems."""
    parsed = Parsed(source)
    first_row = 2 if source.lower().endswith((".csv", ".xlsx")) else 1  # row 1 is the header
    for number, raw in enumerate(rows, start=first_row):
        row, code, problems = check_row(raw, number, allowed_domains)
        parsed.problems.extend(problems)
        if code is None:
            continue
        if code in parsed.units:
            parsed.problems.append(
                f"dòng/row {number} ({code}): mã bị trùng trong tệp / duplicate code"
            )
        parsed.rows[code] = number
        parsed.units[code] = _unit(row) if row else _named_only(code, raw)
    if not parsed.units and not parsed.problems:
        parsed.problems.append("tệp không có đơn vị nào / the file holds no unit")
    return parsed


def _unit(row: Row) -> Unit:
    contacts = {role: getattr(row, role) for role in ROLES if getattr(row, role)}
    return Unit(
        row.code,
        row.name,
        _SHARED.get(row.kind, row.kind),  # 200,000 rows share a handful of kinds and parents
        sys.intern(row.parent) if row.parent else None,
        row.email[0],
        contacts,
        row.valid_from,
        row.valid_to,
        row.successor,
    )


def _named_only(code: str, raw: Mapping[str, Any]) -> Unit:
    """A refused row's unit, kept so that the rows naming it as their parent find it."""
    parent = str(raw.get("parent") or "").strip() or None
    return Unit(code, "", str(raw.get("kind") or "").strip(), parent, "")


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
