"""The sender's outcomes, as it records them while a batch goes: each message sent (or each
group of them sent together) in a transaction of its own, before the next one's content goes.

This is the hot path of a drain, so it takes the cheapest way there is: one prepared statement
per kind of change, run for every message of that kind and finding its row by the key; nothing
is built or compiled per message, no ORM session is opened. A message whose claim is no longer
ours (another attempt, or no longer ``sending``) is left alone, as ``scheduler.store.outbox``'s
``finish`` leaves it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Dialect, Engine

from scheduler.store.outbox import Outgoing
from scheduler.store.schema import UTCDateTime


def record_outcomes(engine: Engine, outcomes: Sequence[tuple[Outgoing, dict[str, Any]]]) -> None:
    """Record what became of claimed messages (``values``: the columns a change sets), in a
    transaction of its own; run in the sender's worker thread."""
    with engine.begin() as connection:
        dialect = connection.dialect
        stored = _stored(dialect)
        mark = "%s" if dialect.name == "postgresql" else "?"
        groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
        for message, values in outcomes:
            row = tuple(stored(value) for value in values.values())
            groups.setdefault(tuple(values), []).append((*row, message.id, message.attempts))
        for columns, rows in groups.items():
            changes = ", ".join(f"{column} = {mark}" for column in columns)
            connection.exec_driver_sql(
                f"UPDATE message SET {changes} "
                f"WHERE id = {mark} AND attempts = {mark} AND state = 'sending'",
                rows if len(rows) > 1 else rows[0],
            )


@cache
def _stored(dialect: Dialect) -> Callable[[Any], Any]:
    """A value as the driver takes it: a moment converted as the schema stores it."""
    convert = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    if convert is None:
        return lambda value: value
    return lambda value: convert(value) if isinstance(value, datetime) else value
