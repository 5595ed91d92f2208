"""What every group of queries shares: the session it runs on, the two dialect details, and
reading obligations as values."""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel, col

from scheduler.records import Obligation
from scheduler.store.listing import FIELDS
from scheduler.store.schema import CaseRow, ObligationRow

ROWS_PER_STATEMENT = 1000  # 11,000 bound values: under PostgreSQL (65,535) and SQLite limits
T = TypeVar("T")


def slices(items: Sequence[T]) -> Iterator[Sequence[T]]:
    """``items`` in slices small enough for one statement's bound parameters."""
    for start in range(0, len(items), ROWS_PER_STATEMENT):
        yield items[start : start + ROWS_PER_STATEMENT]


def obligation_columns() -> list[Any]:
    """The columns of ``scheduler.records.Obligation``, in its order, typed as the schema stores
    them (the moments read back as Vietnam time)."""
    tables = SQLModel.metadata.tables
    return [
        tables["case_file"].c.code if name == "case_code" else tables["obligation"].c[name]
        for name in FIELDS
    ]


class Queries:
    """Named queries over one session. The caller owns the transaction (commit or roll back)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def insert(self, table: Any) -> Any:
        """``INSERT`` with ``ON CONFLICT``, in the session's dialect (whose module is imported
        here: SQLAlchemy's PostgreSQL dialect costs a quick command on SQLite 70 ms)."""
        name = self.session.get_bind().dialect.name
        return importlib.import_module(f"sqlalchemy.dialects.{name}").insert(table)

    def _obligations(self, query: Any) -> list[Obligation]:
        """The obligations ``query`` (a select of ``ObligationRow`` and ``CaseRow.code``)
        finds, read as plain columns: the ORM would build an object per row (a digest or the
        status of a province reads tens of thousands)."""
        query = query.outerjoin(CaseRow, col(CaseRow.id) == col(ObligationRow.case_id))
        rows = self.session.connection().execute(query.with_only_columns(*obligation_columns()))
        return [Obligation(*row) for row in rows]
