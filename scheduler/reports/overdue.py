"""The overdue table a leader opens in Excel: CSV (UTF-8 with BOM, so Excel reads Vietnamese)
or XLSX, with Vietnamese headings."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime

from scheduler.deadlines.rules import Rules
from scheduler.deadlines.vntime import fmt_datetime
from scheduler.hierarchy.units import Unit
from scheduler.lifecycle.receipt import describe
from scheduler.records import Obligation

HEADINGS = (
    "Đơn vị cấp trên",
    "Mã đơn vị",
    "Đơn vị",
    "Báo cáo",
    "Vụ việc / kỳ",
    "Hạn",
    "Số ngày quá hạn",
    "Tình trạng nộp",  # added with the district's word: columns are only ever added at the end
)


def overdue_rows(
    obligations: Sequence[Obligation], units: dict[str, Unit], rules: Rules, now: datetime
) -> list[tuple[str, str, str, str, str, str, int, str]]:
    rows = []
    for o in obligations:
        unit = units.get(o.unit)
        parent = units.get(unit.parent) if unit and unit.parent else None
        kind = rules.kinds.get(o.kind)
        rows.append(
            (
                parent.name if parent else "",
                o.owner,
                unit.name if unit else o.unit,
                kind.name if kind else o.kind,
                o.case_code or o.period or "",
                fmt_datetime(o.due_at),
                o.days_late(now),
                describe(o),
            )
        )
    rows.sort(key=lambda r: (r[0], r[1], -r[6]))
    return rows


def to_csv(rows: Sequence[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADINGS)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(rows: Sequence[Sequence[object]], now: datetime) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Quá hạn"
    sheet.append([f"Báo cáo quá hạn tính đến {fmt_datetime(now)}"])
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.append(list(HEADINGS))
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    for column, width in zip("ABCDEFGH", (28, 12, 30, 44, 18, 18, 16, 36), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
