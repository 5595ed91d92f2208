from __future__ import annotations

import csv
import unicodedata
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from scheduler.deadlines.rules import Recipient
from scheduler.errors import ImportRejected
from scheduler.hierarchy.files import read_rows
from scheduler.hierarchy.rows import domain_allowed
from scheduler.hierarchy.units import Unit, addresses, check_units
from scheduler.settings import Config
from tests.conftest import SAMPLE_UNITS

HEADER = ["code", "name", "kind", "parent", "email", "officer", "leader", "supervisor"]
D = "huyenmau.tinhmau.example"
ROWS = [
    ["T01", "UBND tỉnh", "province", "", "vt@tinhmau.example", "", "ld@tinhmau.example", ""],
    ["H01", "UBND huyện", "district", "T01", f"vt@{D}", "", f"ct@{D}", f"ldtbxh@{D}"],
    ["X01", "UBND xã A", "commune", "H01", f"ubnd@a.{D}", f"cb@a.{D}", f"ct@a.{D}", ""],
]


def _check(config: Config, path: Path) -> list[Unit]:
    return check_units(
        read_rows(path),
        str(path),
        existing={},
        rules=config.rules,
        allowed_domains=config.allowed_domains,
    )


def _write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def test_sample_units_shape(config: Config) -> None:
    units = {u.code: u for u in _check(config, SAMPLE_UNITS)}
    assert units["H01"].addresses("supervisor") == ("laodong@huyenmau.tinhmau.example",)
    assert sum(u.kind == "commune" for u in units.values()) == 12
    assert {u.name for u in units.values() if u.kind == "agency"} >= {
        "Công an huyện Mẫu Sơn",
        "Phòng Y tế huyện Mẫu Sơn",
        "Phòng Tư pháp huyện Mẫu Sơn",
        "Phòng Giáo dục và Đào tạo huyện Mẫu Sơn",
    }


def test_csv_and_xlsx_read_the_same_rows(config: Config, tmp_path: Path) -> None:
    from_csv = _check(config, _write_csv(tmp_path / "units.csv", ROWS))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["mã", "tên", "loại", "cấp trên", "email", "cán bộ", "lãnh đạo", "giám sát"])
    for row in ROWS:
        sheet.append(row)
    book.save(tmp_path / "units.xlsx")
    assert _check(config, tmp_path / "units.xlsx") == from_csv


def test_a_province_to_commune_hierarchy_needs_no_district(config: Config, tmp_path: Path) -> None:
    rows = [
        [
            "T01",
            "UBND tỉnh",
            "province",
            "",
            "vt@tinhmau.example",
            "",
            "ld@tinhmau.example",
            "syt@tinhmau.example",
        ],
        ["X01", "UBND xã A", "commune", "T01", f"ubnd@a.{D}", f"cb@a.{D}", f"ct@a.{D}", ""],
    ]
    units = _check(config, _write_csv(tmp_path / "u.csv", rows))
    assert [u.parent for u in units] == [None, "T01"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            ["X02", "UBND xã B", "commune", "H99", f"u@b.{D}", f"c@b.{D}", f"l@b.{D}", ""],
            "dòng/row 5 (X02): đơn vị cấp trên 'H99' không có",
        ),
        (
            ["X02", "UBND xã B", "village", "H01", f"u@b.{D}", f"c@b.{D}", f"l@b.{D}", ""],
            "dòng/row 5 (X02): loại 'village' không có",
        ),
        (
            ["X02", "UBND xã B", "commune", "H01", "u@b.gmail.com", f"c@b.{D}", f"l@b.{D}", ""],
            "dòng/row 5 (X02): u@b.gmail.com ngoài các miền được phép",
        ),
        (
            ["X02", "UBND xã B", "commune", "H01", f"u@b.{D}", "not-an-address", f"l@b.{D}", ""],
            "invalid address 'not-an-address'",
        ),
        (
            ["X02", "UBND xã B", "commune", "H01", f"u@b.{D}", "", f"l@b.{D}", ""],
            "dòng/row 5 (X02): cần địa chỉ cho vai trò officer",
        ),
        (
            ["X01", "UBND xã B", "commune", "H01", f"u@b.{D}", f"c@b.{D}", f"l@b.{D}", ""],
            "dòng/row 5 (X01): mã bị trùng",
        ),
        (
            ["x 1", "UBND xã B", "commune", "H01", f"u@b.{D}", f"c@b.{D}", f"l@b.{D}", ""],
            "dòng/row 5: mã đơn vị không hợp lệ",
        ),
    ],
)
def test_a_bad_row_rejects_the_file_with_its_row_number(
    config: Config, tmp_path: Path, row: list[str], message: str
) -> None:
    with pytest.raises(ImportRejected) as error:
        _check(config, _write_csv(tmp_path / "units.csv", [*ROWS, row]))
    assert any(message in problem for problem in error.value.problems), error.value.problems
    assert "nothing was written" in str(error.value)


def test_a_parent_chain_that_loops_is_rejected(config: Config, tmp_path: Path) -> None:
    rows = [
        ["A", "a", "district", "B", f"a@{D}", "", f"l@{D}", f"s@{D}"],
        ["B", "b", "district", "A", f"b@{D}", "", f"l@{D}", f"s@{D}"],
    ]
    with pytest.raises(ImportRejected, match="vòng lặp"):
        _check(config, _write_csv(tmp_path / "u.csv", rows))


def test_unknown_columns_and_formats_are_named(config: Config, tmp_path: Path) -> None:
    with pytest.raises(ImportRejected, match="unknown column fax"):
        _check(config, _write_csv(tmp_path / "u.csv", [[*ROWS[0], "x"]], [*HEADER, "fax"]))
    (tmp_path / "u.json").write_text("{}")
    with pytest.raises(ImportRejected, match=r"định dạng không hỗ trợ '\.json'"):
        read_rows(tmp_path / "u.json")


def test_a_column_named_twice_is_refused_in_csv_and_xlsx(config: Config, tmp_path: Path) -> None:
    """ "email" and "thư điện tử" are one column: which one wins would be a guess."""
    header = [*HEADER, "thư điện tử"]
    rows = [[*row, "khac@x.example"] for row in ROWS]
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (header, *rows):
        sheet.append(row)
    book.save(tmp_path / "units.xlsx")
    for path in (_write_csv(tmp_path / "units.csv", rows, header), tmp_path / "units.xlsx"):
        with pytest.raises(ImportRejected) as refused:
            _check(config, path)
        assert refused.value.problems == [
            "cột lặp lại / repeated column email (cột / columns 5, 9): giữ một cột / keep one"
        ]


def test_domain_patterns() -> None:
    assert domain_allowed("a@xa.huyen.gov.vn", ["*.gov.vn"])
    assert not domain_allowed("a@evilgov.vn", ["*.gov.vn"])
    assert not domain_allowed("a@gov.vn.evil.com", ["*.gov.vn"])
    assert domain_allowed("a@GOV.VN", ["gov.vn"])


def test_addresses_resolve_roles_relative_to_the_unit() -> None:
    parent = Unit("H01", "h", "district", None, "h@x", {"supervisor": ("s@x",), "leader": ("l@x",)})
    unit = Unit("X01", "x", "commune", "H01", "x@x", {"officer": ("o@x",), "leader": ("l@x",)})
    recipients = [
        Recipient("officer", False),
        Recipient("supervisor", True),
        Recipient("leader", True),
    ]
    assert addresses(recipients, unit, parent) == ("o@x", "s@x", "l@x")


def test_a_units_life_reads_the_same_from_csv_and_xlsx_with_vietnamese_headers(
    config: Config, tmp_path: Path
) -> None:
    header = [*HEADER, "hiệu lực từ", "hiệu lực đến", "đơn vị kế thừa"]
    NEW = ["01/07/2025", "", ""]
    rows = [
        [*ROWS[0], "", "", ""],
        [*ROWS[1], "", "", ""],
        [*ROWS[2], "", "30/06/2025", "X20"],
        ["X20", "UBND xã B", "commune", "H01", f"u@b.{D}", f"c@b.{D}", f"l@b.{D}", "", *NEW],
    ]
    from_csv = _check(config, _write_csv(tmp_path / "units.csv", rows, header))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for values in rows:  # Excel keeps dates as dates
        cells: list[object] = list(values)
        for i in (8, 9):
            if cells[i]:
                cells[i] = datetime.strptime(str(cells[i]), "%d/%m/%Y")
        sheet.append(cells)
    book.save(tmp_path / "units.xlsx")
    assert _check(config, tmp_path / "units.xlsx") == from_csv
    life = {u.code: (u.valid_from, u.valid_to, u.successor) for u in from_csv}
    assert life["X01"] == (None, date(2025, 6, 30), "X20")
    assert life["X20"] == (date(2025, 7, 1), None, None)


TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng


def _cp1258(text: str) -> bytes:
    """Text as Windows-1258 stores it: base letters precomposed, tones as combining marks."""
    out = bytearray()
    for char in text:
        marks = unicodedata.normalize("NFD", char)
        tone = "".join(m for m in marks if m in TONES)
        base = unicodedata.normalize("NFC", "".join(m for m in marks if m not in TONES))
        out += (base + tone).encode("cp1258")
    return bytes(out)


def _sample_csv_text() -> str:
    header = "mã,tên,loại,cấp trên,email,cán bộ,lãnh đạo,giám sát"
    return "\r\n".join([header, *(",".join(r) for r in ROWS)]) + "\r\n"


@pytest.mark.parametrize(
    ("encoding", "separator"),
    [("utf-8", ","), ("utf-8-sig", ","), ("utf-16", "\t"), ("cp1258", ","), ("utf-8", ";")],
)
def test_a_csv_reads_alike_in_every_encoding_excel_saves(
    config: Config, tmp_path: Path, encoding: str, separator: str
) -> None:
    expected = _check(config, _write_csv(tmp_path / "utf8.csv", ROWS))
    text = _sample_csv_text().replace(",", separator)
    path = tmp_path / f"units-{encoding}.csv"
    path.write_bytes(_cp1258(text) if encoding == "cp1258" else text.encode(encoding))
    assert _check(config, path) == expected
    assert {u.name for u in expected} >= {"UBND xã A", "UBND tỉnh"}


def test_a_corrupt_xlsx_is_refused_with_what_to_do(config: Config, tmp_path: Path) -> None:
    path = tmp_path / "units.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not a workbook")
    with pytest.raises(ImportRejected, match=r"not a readable \.xlsx file"):
        _check(config, path)


@pytest.mark.parametrize("content", ["units: []\n", "code,name,kind,parent,email\n"])
def test_an_empty_units_file_is_refused(config: Config, tmp_path: Path, content: str) -> None:
    path = tmp_path / ("units.yaml" if content.startswith("units") else "units.csv")
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ImportRejected, match="the file holds no unit"):
        _check(config, path)


def test_a_missing_column_is_said_once_not_per_row(config: Config, tmp_path: Path) -> None:
    rows = [[f"X{n:05d}", "UBND xã", "commune", "H01"] for n in range(5_000)]
    path = _write_csv(tmp_path / "units.csv", rows, header=["code", "name", "kind", "parent"])
    with pytest.raises(ImportRejected) as refused:
        _check(config, path)
    assert len(refused.value.problems) == 1
    assert "missing column email" in refused.value.problems[0]
    assert len(str(refused.value)) < 1_000


def test_a_file_with_a_problem_on_every_row_shows_the_first_and_counts_the_rest(
    config: Config, tmp_path: Path
) -> None:
    rows = [
        [f"X{n:04d}", "UBND xã", "village", "H01", f"u{n}@x.{D}", "", "", ""] for n in range(500)
    ]
    with pytest.raises(ImportRejected) as refused:
        _check(config, _write_csv(tmp_path / "units.csv", rows))
    message = str(refused.value)
    assert len(refused.value.problems) >= 500  # every problem is kept for callers
    assert message.count("\n") <= ImportRejected.SHOWN + 2
    assert "lỗi nữa / and more" in message


def test_the_operators_admin_contact_goes_on_the_top_unit_only(
    config: Config, tmp_path: Path
) -> None:
    header = [*HEADER, "admin"]
    rows = [[*row, ""] for row in ROWS]
    rows[0][-1] = "vanhanh@tinhmau.example"
    units = {u.code: u for u in _check(config, _write_csv(tmp_path / "ok.csv", rows, header))}
    assert units["T01"].addresses("admin") == ("vanhanh@tinhmau.example",)
    rows[1][-1] = f"vanhanh@{D}"
    with pytest.raises(
        ImportRejected, match=r"admin \(who runs hanbao\) goes on the top unit only"
    ):
        _check(config, _write_csv(tmp_path / "bad.csv", rows, header))
