"""Saving a units file: checked as a whole against what is stored, then written with its audit
entry and the closings whose day has passed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from scheduler.deadlines.vntime import fmt_date, fmt_datetime
from scheduler.errors import ImportRejected
from scheduler.hierarchy.closing import apply_closings
from scheduler.hierarchy.files import read_rows
from scheduler.hierarchy.life import answering
from scheduler.hierarchy.units import Unit, check_tree, parse_units
from scheduler.settings import Config
from scheduler.store.queries import Store


def import_units(store: Store, config: Config, path: Path, now: datetime, actor: str) -> int:
    """Check a units file as a whole against what is stored, then save it; how many units.

    Closings whose day has passed are applied at once, in the same transaction: a file that
    merges communes moves what they owe to the unit that takes over, or nothing is written.
    """
    parsed = parse_units(read_rows(path), str(path), config.allowed_domains)
    existing = store.units(excluding=parsed.units)
    units = check_tree(parsed, existing, config.rules, now.date())
    _refuse_closing_owing(store, units, {**existing, **parsed.units}, str(path))
    store.save_units(units, now.date())
    store.audit(now, actor, "units_imported", file=path.name, count=len(units))
    apply_closings(store, config.rules, now, actor)
    return len(units)


def _refuse_closing_owing(
    store: Store, units: Sequence[Unit], known: dict[str, Unit], source: str
) -> None:
    """A unit closed without anyone to take over must owe nothing: name what it still owes."""
    problems = []
    for unit in units:
        if unit.valid_to is None:
            continue
        if answering(unit.code, known, unit.valid_to + timedelta(days=1)) is not None:
            continue
        owed = store.obligations(unit=unit.code, open_only=True)
        if owed:
            listed = "; ".join(
                f"{o.id} {o.kind} {o.case_code or o.period or ''} (hạn {fmt_datetime(o.due_at)})"
                for o in owed
            )
            problems.append(
                f"{unit.code}: đóng ngày {fmt_date(unit.valid_to)} mà không có đơn vị kế thừa "
                f"nhưng còn nợ {len(owed)} báo cáo / closes without a successor but still owes: "
                f"{listed}. Ghi đơn vị kế thừa, hoặc ghi nhận các báo cáo đã nộp trước"
            )
    if problems:
        raise ImportRejected(source, problems)
