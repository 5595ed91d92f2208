"""What every group of queries shares: the session it runs on, and the two dialect details."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session

ROWS_PER_STATEMENT = 1000  # 11,000 bound values: under PostgreSQL (65,535) and SQLite limits
T = TypeVar("T")


def slices(items: Sequence[T]) -> Iterator[Sequence[T]]:
    """``items`` in slices small enough for one statement's bound parameters."""
    for start in range(0, len(items), ROWS_PER_STATEMENT):
        yield items[start : start + ROWS_PER_STATEMENT]


class Queries:
    """Named queries over one session. The caller owns the transaction (commit or roll back)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def insert(self, table: Any) -> Any:
        """``INSERT`` with ``ON CONFLICT``, in the session's dialect."""
        dialect = postgresql if self.session.get_bind().dialect.name == "postgresql" else sqlite
        return dialect.insert(table)
