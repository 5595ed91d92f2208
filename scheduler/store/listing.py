"""The statement that lists obligations (``hanbao status``, ``GET /obligations``), written once
as SQL text with named parameters: the store runs it through SQLAlchemy on either backend, and
``scheduler.store.quick`` through Python's own ``sqlite3``, so that ``hanbao status`` on SQLite
answers without importing SQLAlchemy. Nothing here imports a database library."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any

from scheduler.records import Obligation

FIELDS = tuple(f.name for f in fields(Obligation))  # the columns, in Obligation's order
MOMENTS = frozenset({"due_before", "submitted_since"})  # the parameters that are datetimes


def obligation_listing(
    *,
    unit: str | None = None,
    open_only: bool = False,
    due_before: datetime | None = None,
    moved_out: bool = False,
    submitted_since: datetime | None = None,
) -> tuple[str, dict[str, Any]]:
    """The statement and its parameters: obligations, earliest due first; with ``moved_out``,
    a unit's list keeps those it owed before a reorganisation handed them over (its history);
    with ``submitted_since``, only those submitted since then."""
    columns = ", ".join("c.code" if name == "case_code" else f"o.{name}" for name in FIELDS)
    conditions: list[str] = []
    parameters: dict[str, Any] = {}
    if unit is not None:
        owed = "(o.unit = :unit OR o.moved_from = :unit)" if moved_out else "o.unit = :unit"
        conditions.append(owed)
        parameters["unit"] = unit
    if open_only:
        conditions.append("o.submitted_at IS NULL AND o.superseded_by IS NULL")
    if due_before is not None:
        conditions.append("o.due_at < :due_before")
        parameters["due_before"] = due_before
    if submitted_since is not None:
        conditions.append("o.submitted_at >= :submitted_since")
        parameters["submitted_since"] = submitted_since
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return (
        f"SELECT {columns} FROM obligation o LEFT JOIN case_file c ON c.id = o.case_id"
        f"{where} ORDER BY o.due_at, o.id",
        parameters,
    )
