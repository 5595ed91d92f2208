"""The sender's outcomes, as it records them while a batch goes: each message sent (or each
group of them sent together) committed on its own, before the next one's content goes.

This is the hot path of a drain, so it takes the cheapest way there is: one prepared statement
per kind of change, finding each row by its key; nothing is built or compiled per message, no
ORM session is opened. Messages sent, the common case, are recorded by ``Writer`` in a single
statement on a connection the batch keeps, which commits by itself: one round trip to
PostgreSQL, with no checkout, no ping, no ``BEGIN`` and no ``COMMIT`` of their own. A message
whose claim is no longer ours (another attempt, or no longer ``sending``) is left alone, as
``scheduler.store.outbox``'s ``finish`` leaves it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, Dialect, Engine

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


class Writer:
    """A batch's outcomes, on a connection of its own kept while the batch goes (opened at the
    first outcome; ``close`` it at the end). Run in the sender's worker thread, one call at a
    time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.connection: Connection | None = None

    def record(self, outcomes: Sequence[tuple[Outgoing, dict[str, Any]]]) -> None:
        """Record outcomes: in one statement, committed by itself, when they all make the same
        change (the messages sent since the last one); else as ``record_outcomes`` does."""
        change = outcomes[0][1]
        if any(values != change for _, values in outcomes[1:]):
            record_outcomes(self.engine, outcomes)
            return
        if self.connection is None:
            self.connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        stored = _stored(self.connection.dialect)
        mark = "%s" if self.connection.dialect.name == "postgresql" else "?"
        changes = ", ".join(f"{column} = {mark}" for column in change)
        ids = ", ".join([mark] * len(outcomes))
        pairs = ", ".join([f"({mark}, {mark})"] * len(outcomes))
        try:
            self.connection.exec_driver_sql(
                f"UPDATE message SET {changes} WHERE state = 'sending' AND id IN ({ids}) "
                f"AND (id, attempts) IN ({pairs})",
                (
                    *(stored(value) for value in change.values()),
                    *(message.id for message, _ in outcomes),
                    *(n for message, _ in outcomes for n in (message.id, message.attempts)),
                ),
            )
        except BaseException:
            self.close()  # the next outcome takes a fresh connection
            raise

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
