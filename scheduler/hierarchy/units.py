"""Units (province, district, commune, agency) and their contacts: reading, checking, addressing.

One row per unit, the same columns in YAML, CSV and XLSX (the form officials keep):
``code, name, kind, parent, email, officer, leader, supervisor`` (Vietnamese headers ``ma, ten,
loai, cap_tren, email, can_bo, lanh_dao, giam_sat`` work too). A role cell may hold several
addresses separated by ``;``. A file is checked as a whole: one bad row rejects it.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.headerregistry import Address
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import yaml

from scheduler.errors import ImportRejected
from scheduler.rules import ROLES, UNIT_KINDS, Recipient, Rules

COLUMNS = ("code", "name", "kind", "parent", "email", *ROLES)
_ALIASES = {
    "ma": "code",
    "mã": "code",
    "ma_don_vi": "code",
    "mã đơn vị": "code",
    "ten": "name",
    "tên": "name",
    "ten_don_vi": "name",
    "tên đơn vị": "name",
    "loai": "kind",
    "loại": "kind",
    "cap_tren": "parent",
    "cấp trên": "parent",
    "don_vi_cap_tren": "parent",
    "thu_dien_tu": "email",
    "thư điện tử": "email",
    "can_bo": "officer",
    "cán bộ": "officer",
    "lanh_dao": "leader",
    "lãnh đạo": "leader",
    "giam_sat": "supervisor",
    "giám sát": "supervisor",
}
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@([A-Za-z0-9-]+\.)+[A-Za-z0-9-]{2,}$")


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    kind: str
    parent: str | None
    email: str
    contacts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

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


def read_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of a units file (YAML, CSV or XLSX), keyed by canonical column name."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ImportRejected(str(path), ["không có tệp / file not found"])
    if suffix in (".yaml", ".yml"):
        try:
            document = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ImportRejected(str(path), [f"YAML không hợp lệ / invalid YAML: {exc}"]) from None
        rows = document.get("units") if isinstance(document, dict) else None
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise ImportRejected(str(path), ["cần khoá 'units' là danh sách đơn vị / 'units' list"])
        return [_canonical(r) for r in rows]
    if suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return [_canonical(r) for r in csv.DictReader(handle)]
    if suffix == ".xlsx":
        return _xlsx_rows(path)
    raise ImportRejected(
        str(path), [f"định dạng không hỗ trợ {suffix!r}; dùng .yaml, .csv hoặc .xlsx"]
    )


def _xlsx_rows(path: Path) -> list[dict[str, Any]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()
    if not rows:
        return []
    header = [str(h or "").strip() for h in rows[0]]
    return [
        _canonical(dict(zip(header, row, strict=False)))
        for row in rows[1:]
        if any(cell not in (None, "") for cell in row)
    ]


def _canonical(row: Mapping[Any, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in row.items():
        name = str(key or "").strip().lower()
        result[_ALIASES.get(name, name)] = value
    return result


def _address_list(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else re.split(r"[;,\s]+", str(value))
    return [str(item).strip() for item in items if str(item).strip()]


def check_units(
    rows: list[dict[str, Any]],
    source: str,
    *,
    existing: Mapping[str, Unit],
    rules: Rules,
    allowed_domains: tuple[str, ...],
) -> list[Unit]:
    """Validate every row together with the units already stored; raise with every problem."""
    problems: list[str] = []
    units: dict[str, Unit] = {}
    first_row = 2 if source.lower().endswith((".csv", ".xlsx")) else 1  # row 1 is the header

    for number, row in enumerate(rows, start=first_row):
        where = f"dòng/row {number}"
        unknown = sorted(set(row) - set(COLUMNS))
        if unknown:
            problems.append(
                f"{where}: cột không có / unknown column {', '.join(unknown)}; "
                f"dùng {', '.join(COLUMNS)}"
            )
        code = str(row.get("code") or "").strip()
        if not _CODE.match(code):
            problems.append(
                f"{where}: mã đơn vị không hợp lệ / invalid code {code!r} (chữ, số, '-', '_', '.')"
            )
            continue
        where = f"{where} ({code})"
        if code in units:
            problems.append(f"{where}: mã bị trùng trong tệp / duplicate code")
        name = str(row.get("name") or "").strip()
        if not name:
            problems.append(f"{where}: thiếu tên đơn vị / name missing")
        kind = str(row.get("kind") or "").strip()
        if kind not in UNIT_KINDS:
            problems.append(f"{where}: loại {kind!r} không có; dùng {', '.join(UNIT_KINDS)}")
        parent = str(row.get("parent") or "").strip() or None
        contacts: dict[str, tuple[str, ...]] = {}
        for role in ROLES:
            contacts[role] = tuple(_address_list(row.get(role)))
        unit_email = _address_list(row.get("email"))
        if len(unit_email) != 1:
            problems.append(
                f"{where}: cần đúng một thư điện tử công vụ của đơn vị / one unit email"
            )
        for address in [*unit_email, *(a for values in contacts.values() for a in values)]:
            if not _valid_address(address):
                problems.append(f"{where}: địa chỉ không hợp lệ / invalid address {address!r}")
            elif not domain_allowed(address, allowed_domains):
                problems.append(
                    f"{where}: {address} ngoài các miền được phép / outside the allowed "
                    f"domains ({', '.join(allowed_domains)})"
                )
        units[code] = Unit(
            code,
            name,
            kind,
            parent,
            unit_email[0] if unit_email else "",
            {role: values for role, values in contacts.items() if values},
        )

    known = {**existing, **units}
    for code, unit in units.items():
        if unit.parent is not None and unit.parent not in known:
            problems.append(
                f"{code}: đơn vị cấp trên {unit.parent!r} không có trong tệp hay cơ sở "
                "dữ liệu / parent not found"
            )
        if _has_cycle(code, known):
            problems.append(f"{code}: cấp trên tạo vòng lặp / the parent chain loops")
    if not problems:
        problems.extend(_missing_roles(units, known, rules))
    if problems:
        raise ImportRejected(source, problems)
    return list(units.values())


def _has_cycle(code: str, known: Mapping[str, Unit]) -> bool:
    seen = {code}
    current = known[code].parent
    while current is not None and current in known:
        if current in seen:
            return True
        seen.add(current)
        current = known[current].parent
    return False


def _missing_roles(units: Mapping[str, Unit], known: Mapping[str, Unit], rules: Rules) -> list[str]:
    """Every role the rules will notify must have an address, or a reminder would go nowhere."""
    problems = []
    concerned = {c: u for c, u in known.items() if c in units or u.parent in units}
    for code, unit in concerned.items():
        for recipient in sorted(rules.roles_needed(unit.kind), key=str):
            holder = known.get(unit.parent) if recipient.of_parent and unit.parent else unit
            if recipient.of_parent and unit.parent is None:
                continue  # the top of the hierarchy owes nothing upwards
            if holder is not None and not holder.addresses(recipient.role):
                problems.append(
                    f"{code}: cần địa chỉ cho vai trò {recipient.role} của {holder.code} "
                    f"(quy tắc gửi tới {recipient}) / no address for this role"
                )
    return problems
