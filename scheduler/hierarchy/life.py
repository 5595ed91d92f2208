"""When a unit exists, who answers for it once it has closed, and who owes a period. Pure.

A unit exists from ``valid_from`` to ``valid_to``, both days included (none: without limit).
After ``valid_to`` its ``successor`` takes over its open obligations and its children. Successors
form chains (X01 → X20 → X30, when X20 closes too), followed to the first unit that still exists;
a units file whose chain loops is refused on import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # units checks files with these rules
    from scheduler.hierarchy.units import Unit


def exists_on(unit: Unit, day: date) -> bool:
    return (unit.valid_from is None or unit.valid_from <= day) and not closed_on(unit, day)


def closed_on(unit: Unit, day: date) -> bool:
    return unit.valid_to is not None and day > unit.valid_to


def overlaps(unit: Unit, start: date, end: date) -> bool:
    """Whether the unit exists on at least one day of ``start``..``end``."""
    return (unit.valid_from is None or unit.valid_from <= end) and (
        unit.valid_to is None or start <= unit.valid_to
    )


def answering(code: str, units: Mapping[str, Unit], day: date) -> str | None:
    """The unit that answers for ``code`` on ``day``: itself while it is open, else its
    successor's answer. None when the chain ends in a unit closed without successor, or loops."""
    seen: set[str] = set()
    current: str | None = code
    while current is not None and current not in seen:
        seen.add(current)
        unit = units.get(current)
        if unit is None:
            return None
        if not closed_on(unit, day):
            return current
        current = unit.successor
    return None


def loops(code: str, units: Mapping[str, Unit], via: str = "successor") -> bool:
    """Whether following ``via`` (``successor`` or ``parent``) from ``code`` comes back to a
    unit already seen."""
    seen: set[str] = set()
    current: str | None = code
    while current is not None and current in units:
        if current in seen:
            return True
        seen.add(current)
        current = getattr(units[current], via)
    return False


def owes_period(
    unit: Unit, start: date, end: date, units: Mapping[str, Unit], owed_by_successor: bool
) -> bool:
    """Whether ``unit`` owes the report of the period ``start``..``end`` (the deadline's day).

    A unit that exists for part of the period owes it, unless it closes before the deadline and
    (``owed_by_successor``, the rules' default) the unit that takes over exists in the period:
    then that unit reports for the whole period, and the closed one owes nothing. A unit
    dissolved before the deadline with nobody to take over owes nothing: nobody could send it.
    """
    if not overlaps(unit, start, end):
        return False
    if closed_on(unit, end):
        taker = answering(unit.code, units, end)
        return taker is not None and not (owed_by_successor and overlaps(units[taker], start, end))
    return True


def tree_on(
    units: Mapping[str, Unit], earlier_parents: Iterable[tuple[str, str | None, date]], day: date
) -> dict[str, Unit]:
    """The units that existed on ``day``, each with the parent it had then.

    ``earlier_parents`` are (unit, parent, until): a parent the unit had until the end of
    ``until``; the unit's own ``parent`` holds since the last of them.
    """
    then: dict[str, tuple[date, str | None]] = {}
    for code, parent, until in earlier_parents:
        if until >= day and (code not in then or until < then[code][0]):
            then[code] = (until, parent)
    return {
        code: replace(unit, parent=then[code][1]) if code in then else unit
        for code, unit in units.items()
        if exists_on(unit, day)
    }
