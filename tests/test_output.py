"""The printers: a streamed JSON array is today's ``print_json`` byte for byte, and a streamed
table writes its rows as they come."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from scheduler.cli.output import print_json, print_json_array, print_table

ROWS: list[dict[str, Any]] = [
    {"at": "2027-06-16T08:00:00+07:00", "unit": "X03", "recipients": ["a@x.example", "b"]},
    {"at": "2027-06-17T08:00:00+07:00", "case": None, "text": 'dòng\nhai "nháy"', "n": 2},
    {"nested": {"list": [], "dict": {}, "deep": [{"k": [1, 2.5, True]}]}},
]


@pytest.mark.parametrize("rows", [ROWS, ROWS[:1], [], [[]], [1, "x", None]])
def test_a_streamed_json_array_is_print_json_byte_for_byte(
    rows: list[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    print_json(rows)
    whole = capsys.readouterr().out
    print_json_array(iter(rows))
    assert capsys.readouterr().out == whole


def test_each_element_is_written_before_the_next_is_computed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    written: list[str] = []

    def slow() -> Iterator[dict[str, Any]]:
        for row in ROWS:
            yield row
            written.append(capsys.readouterr().out)

    print_json_array(slow())
    assert written[0].startswith('[\n  {\n    "at": "2027-06-16T08:00:00+07:00"')
    assert '"X03"' not in written[1] and '"nháy' in written[1]


def test_a_streamed_table_fixes_its_widths_on_the_first_rows_then_prints_as_they_come(
    capsys: pytest.CaptureFixture[str],
) -> None:
    columns = (("unit", "Đơn vị"), ("n", "Số"))
    rows = [{"unit": "X03", "n": 1}, {"unit": "X0301", "n": 22}, {"unit": "X030199", "n": 3}]
    print_table(rows, columns)
    whole = capsys.readouterr().out
    lines = ["Đơn vị   Số", "-------  --", "X03      1", "X0301    22", "X030199  3"]
    assert whole.splitlines() == lines
    printed: list[str] = []

    def come() -> Iterator[dict[str, Any]]:
        for row in rows:
            yield row
            printed.append(capsys.readouterr().out)

    print_table(come(), columns, head=1)
    assert printed[0] == "Đơn vị  Số\n------  --\nX03     1\n"  # widths of the first row
    assert printed[1] == "X0301   22\n"  # each later row as soon as it comes
    assert printed[2] == "X030199  3\n"  # a longer cell pushes its line
    print_table(iter([]), columns, head=1)
    assert capsys.readouterr().out == "(không có / none)\n"
