"""What every group of queries shares: the session it runs on, the two dialect details, and
reading obligations as values."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from scheduler.records import Obligation
from scheduler.store.schema import CaseRow, ObligationRow

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

    def _obligations(self, query: Any) -> list[Obligation]:
        query = query.outerjoin(CaseRow, col(CaseRow.id) == col(ObligationRow.case_id))
        return [
            Obligation(
                id=row.id,
                key=row.key,
                kind=row.kind,
                unit=row.unit,
                case_code=code,
                period=row.period,
                requested_by=row.requested_by,
                event_at=row.event_at,
                due_at=row.due_at,
                created_at=row.created_at,
                submitted_at=row.submitted_at,
                next_action_at=row.next_action_at,
                moved_from=row.moved_from,
                superseded_by=row.superseded_by,
                submitted_via=row.submitted_via,
                confirmed_at=row.confirmed_at,
                disputed_at=row.disputed_at,
            )
            for row, code in self.session.exec(query)
        ]
