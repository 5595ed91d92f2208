"""Reading a units file, YAML, CSV or XLSX, one row at a time, whatever Excel saved it as.

Rows come keyed by canonical column name, one at a time: a national file of 200,000 rows is
never held whole. A CSV may be UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode text", tab
separated) or Windows-1258 (Excel's "CSV" on a Vietnamese Windows); its separator may be a
comma, a semicolon or a tab. Text is NFC-normalised, so "xã" typed either way is one spelling.
A header that lacks a required column, names an unknown one or names one twice ("email" and
"thư điện tử" are one column) is said once for the file.
"""

from __future__ import annotations

import codecs
import csv
import unicodedata
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from scheduler import yamlfile
from scheduler.deadlines.rules import ROLES
from scheduler.errors import ImportRejected

LIFE = ("valid_from", "valid_to", "successor")
COLUMNS = ("code", "name", "kind", "parent", "email", *ROLES, *LIFE)
REQUIRED = ("code", "name", "kind", "email")
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
    "quan_tri": "admin",
    "quản trị": "admin",
    "hieu_luc_tu": "valid_from",
    "hiệu lực từ": "valid_from",
    "hieu_luc_den": "valid_to",
    "hiệu lực đến": "valid_to",
    "don_vi_ke_thua": "successor",
    "đơn vị kế thừa": "successor",
}
_CHUNK = 1 << 16


def read_rows(path: Path) -> Iterator[dict[str, Any]]:
    """The rows of a units file, keyed by canonical column name; row problems are the caller's."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ImportRejected(str(path), ["không có tệp / file not found"])
    if suffix in (".yaml", ".yml"):
        return _yaml_rows(path)
    if suffix == ".csv":
        return _csv_rows(path)
    if suffix == ".xlsx":
        return _xlsx_rows(path)
    raise ImportRejected(
        str(path), [f"định dạng không hỗ trợ {suffix!r}; dùng .yaml, .csv hoặc .xlsx"]
    )


def _yaml_rows(path: Path) -> Iterator[dict[str, Any]]:
    try:
        document = yamlfile.load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ImportRejected(str(path), [f"YAML không hợp lệ / invalid YAML: {exc}"]) from None
    rows = document.get("units") if isinstance(document, dict) else None
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ImportRejected(str(path), ["cần khoá 'units' là danh sách đơn vị / 'units' list"])
    return (_canonical(r) for r in rows)


def _encoding(path: Path) -> str:
    """UTF-16 or UTF-8 by their byte-order mark, UTF-8 if every byte decodes, else cp1258."""
    with path.open("rb") as handle:
        head = handle.read(4)
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := handle.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1258"
    return "utf-8-sig"


def _csv_rows(path: Path) -> Iterator[dict[str, Any]]:
    encoding = _encoding(path)
    with path.open(encoding=encoding, newline="") as handle:
        first = handle.readline()
        separator = max((",", ";", "\t"), key=first.count)
        handle.seek(0)
        reader = csv.reader(handle, delimiter=separator)
        header = _header([_nfc(h) for h in next(reader, [])], path)
        for cells in reader:
            if any(c.strip() for c in cells):
                yield {k: _nfc(c) for k, c in zip(header, cells, strict=False) if k}


def _xlsx_rows(path: Path) -> Iterator[dict[str, Any]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise ImportRejected(
            str(path),
            [
                "tệp XLSX hỏng hoặc không phải XLSX / not a readable .xlsx file: mở bằng Excel, "
                "lưu lại dạng .xlsx (hoặc CSV UTF-8) rồi nhập lại"
            ],
        ) from None
    rows = workbook.worksheets[0].iter_rows(values_only=True)
    try:
        header = _header([_nfc(str(h or "")) for h in next(rows, ())], path)
        for row in rows:
            if any(cell not in (None, "") for cell in row):
                cells = (_nfc(c) if isinstance(c, str) else c for c in row)
                yield {k: c for k, c in zip(header, cells, strict=False) if k}
    finally:  # the sheet's reader first: it holds the file open past the workbook's close
        rows.close()
        workbook.close()


def _header(names: list[str], path: Path) -> list[str]:
    """Canonical column names; a file whose header is wrong is refused once, not per row."""
    header = [_ALIASES.get(n.strip().lower(), n.strip().lower()) for n in names]
    problems = []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        problems.append(
            f"thiếu cột / missing column {', '.join(missing)} ở dòng tiêu đề (dòng 1); các cột: "
            f"{', '.join(COLUMNS)}"
        )
    unknown = sorted({h for h in header if h and h not in COLUMNS})
    if unknown:
        problems.append(
            f"cột không có / unknown column {', '.join(unknown)}; dùng {', '.join(COLUMNS)}"
        )
    for name in dict.fromkeys(h for h in header if h and header.count(h) > 1):
        places = [str(i) for i, h in enumerate(header, start=1) if h == name]
        problems.append(
            f"cột lặp lại / repeated column {name} (cột / columns {', '.join(places)}): giữ "
            "một cột / keep one"
        )
    if problems:
        raise ImportRejected(str(path), problems)
    return header


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _canonical(row: Mapping[Any, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in row.items():
        name = str(key or "").strip().lower()
        result[_ALIASES.get(name, name)] = value
    return result
