"""How the commands show obligations and the reminder steps they record: JSON for machines, a
Vietnamese table for people."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from scheduler.cli.output import HEAD, print_json, print_json_array, print_table
from scheduler.deadlines.vntime import iso

if TYPE_CHECKING:
    from scheduler.lifecycle.sweep import Emitted
    from scheduler.records import Obligation

OBLIGATION_COLUMNS = (
    ("id", "Mã"),
    ("unit", "Đơn vị"),
    ("kind", "Loại"),
    ("case", "Vụ việc"),
    ("period", "Kỳ"),
    ("due", "Hạn"),
    ("state", "Trạng thái"),
    ("submitted_at", "Đã nộp"),
    ("days_late", "Số ngày trễ"),
    ("standing", "Tình trạng nộp"),  # the unit's word, or the receiving unit's (not in --json)
)
STATE_VI = {
    "open": "đang mở",
    "overdue": "quá hạn",
    "submitted": "đã nộp",
    "superseded": "đơn vị kế thừa báo cáo",
}


def short(value: str | None) -> str | None:
    return None if value is None else datetime.fromisoformat(value).strftime("%d/%m/%Y %H:%M")


def obligations(items: list[Obligation], now: datetime, json_out: bool) -> None:
    rows = [o.as_json(now) for o in items]
    if json_out:
        print_json(rows)
        return
    from scheduler.lifecycle import receipt

    for row, item in zip(rows, items, strict=True):
        row["unit"] = item.owner
        row["state"] = STATE_VI[row["state"]]
        row["due"] = short(row["due"])
        row["submitted_at"] = short(row["submitted_at"])
        row["standing"] = receipt.describe(item)
    print_table(rows, OBLIGATION_COLUMNS)


def emitted_json(e: Emitted) -> dict[str, Any]:
    return {
        "at": iso(e.at),
        "obligation": e.obligation.id,
        "kind": e.obligation.kind,
        "unit": e.obligation.unit,
        "case": e.obligation.case_code,
        "step": e.step,
        "repeat": e.repeat,
        "recipients": list(e.recipients),
        "late_flag": e.late_flag,
    }


def emitted(items: Iterable[Emitted], json_out: bool) -> None:
    """Each step printed as ``items`` yields it (``simulate`` streams a national year)."""
    rows = (emitted_json(e) for e in items)
    if json_out:
        print_json_array(rows)
        return
    print_table(
        ({**row, "at": short(row["at"])} for row in rows),
        (
            ("at", "Thời điểm"),
            ("obligation", "Nghĩa vụ"),
            ("unit", "Đơn vị"),
            ("kind", "Loại"),
            ("step", "Bậc"),
            ("late_flag", "Báo trễ"),
            ("recipients", "Người nhận"),
        ),
        head=HEAD,
    )
