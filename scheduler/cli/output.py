"""Printing results: JSON for machines (``--json``), an aligned Vietnamese table for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from itertools import islice
from typing import Any

HEAD = 100  # rows a streamed table reads before it fixes its column widths


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
    sys.stdout.flush()  # a long-running command (demo) goes on after it


def print_json_array(items: Iterable[Any]) -> None:
    """``print_json(list(items))``, byte for byte, written element by element as ``items``
    yields them: a long list is never held, as objects nor as text."""
    write = sys.stdout.write
    first = True
    for item in items:
        text = json.dumps(item, ensure_ascii=False, indent=2, default=str)
        write(("[\n  " if first else ",\n  ") + text.replace("\n", "\n  "))
        first = False
    write("[]\n" if first else "\n]\n")
    sys.stdout.flush()


def print_table(
    rows: Iterable[Mapping[str, Any]],
    columns: Sequence[tuple[str, str]],
    empty: str = "(không có / none)",
    head: int | None = None,
) -> None:
    """``columns`` pairs a row key with its Vietnamese heading. The columns are as wide as the
    widest cell of the first ``head`` rows (of all rows when None); later rows are printed as
    they come, at those widths (a longer cell pushes the rest of its line)."""
    source = iter(rows)
    first = [_cells(row, columns) for row in islice(source, head)]
    if not first:
        print(empty)
        return
    headings = [heading for _, heading in columns]
    widths = [max(len(h), *(len(c[i]) for c in first)) for i, h in enumerate(headings)]
    print(_line(headings, widths))
    print("  ".join("-" * w for w in widths))
    for line in first:
        print(_line(line, widths))
    for row in source:
        print(_line(_cells(row, columns), widths))


def _cells(row: Mapping[str, Any], columns: Sequence[tuple[str, str]]) -> list[str]:
    return [_cell(row.get(key)) for key, _ in columns]


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)
