"""The reporting-rate table as a leader attaches it to a report to the province: CSV (UTF-8
with BOM, so Excel reads Vietnamese) or XLSX with one sheet per parent, Vietnamese headings."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from datetime import date

from scheduler.deadlines.vntime import fmt_date
from scheduler.hierarchy.units import Unit
from scheduler.reports.timeliness import Row

HEADINGS = (
    "Mã đơn vị",
    "Đơn vị",
    "Cấp",
    "Đơn vị cấp trên",
    "Loại báo cáo",
    "Kỳ",
    "Phải báo cáo",
    "Đã báo cáo",
    "Đúng hạn",
    "Trễ hạn",
    "Chưa báo cáo",
    "Tỷ lệ đúng hạn (%)",
    "Số ngày làm việc trễ trung bình",
    "Số ngày làm việc trễ tối đa",
)
LEVEL_VI = {"unit": "đơn vị", "rollup": "tổng hợp"}
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def cells(row: Row, units: Mapping[str, Unit], kind_names: Mapping[str, str]) -> list[object]:
    rate = row.on_time_rate
    unit, parent = units.get(row.unit), units.get(row.parent or "")
    return [
        row.unit,
        unit.name if unit else row.unit,
        LEVEL_VI[row.level],
        parent.name if parent else (row.parent or ""),
        kind_names.get(row.kind, row.kind),
        row.period,
        row.expected,
        row.submitted,
        row.on_time,
        row.late,
        row.missing,
        None if rate is None else round(rate * 100, 1),
        row.mean_days_late,
        row.max_days_late,
    ]


def to_csv(rows: Sequence[Row], units: Mapping[str, Unit], kind_names: Mapping[str, str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADINGS)
    writer.writerows(cells(row, units, kind_names) for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(
    rows: Sequence[Row],
    units: Mapping[str, Unit],
    kind_names: Mapping[str, str],
    first: date,
    last: date,
) -> bytes:
    """One sheet per parent: the rows of the units under it (a district's own rollup on its
    province's sheet), then its own rollup in bold, the total line."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    sheets: dict[str, list[Row]] = {}
    for row in rows:
        if row.level == "unit" or row.parent is not None:
            sheets.setdefault(row.parent or "", []).append(row)
    for row in rows:
        if row.level == "rollup" and row.unit in sheets:
            sheets[row.unit].append(row)
    book = Workbook()
    default = book.active
    assert default is not None
    book.remove(default)
    taken: set[str] = set()
    for parent, listed in sorted(sheets.items()):
        name = units[parent].name if parent in units else "Cấp cao nhất"
        title = _sheet_title(f"{parent} {name}".strip(), taken)
        sheet = book.create_sheet(title)
        sheet.append(
            [f"Tỷ lệ báo cáo đúng hạn - {name}, từ {fmt_date(first)} đến {fmt_date(last)}"]
        )
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append(list(HEADINGS))
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in listed:
            sheet.append(cells(row, units, kind_names))
            if row.level == "rollup":
                for cell in sheet[sheet.max_row]:
                    cell.font = Font(bold=True)
        for column, width in zip("ABCDEFGHIJKLMN", (10, 28, 10, 24, 36, 12), strict=False):
            sheet.column_dimensions[column].width = width
        sheet.freeze_panes = "C3"
    if not book.sheetnames:
        book.create_sheet("Không có số liệu").append(["Không có báo cáo nào đến hạn trong kỳ."])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _sheet_title(text: str, taken: set[str]) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\, unique in the book."""
    base = _SHEET_FORBIDDEN.sub("-", text)[:31]
    title, n = base, 2
    while title.lower() in taken:
        title = f"{base[: 31 - len(str(n)) - 1]}~{n}"
        n += 1
    taken.add(title.lower())
    return title
