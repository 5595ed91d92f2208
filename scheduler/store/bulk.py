"""Many rows in few statements, as each driver takes them best.

SQLite's driver binds in C: a multi-row ``VALUES`` list is cheap, a slice at a time
(``base.slices``: the bound values stay under its limit). psycopg parses a statement's ``%s`` in
Python, and thousands of them cost more than the server's work: on PostgreSQL all the rows are
one JSON parameter that the server unpacks, typed by the table's own row type
(``json_populate_recordset``), in one statement whatever their number; or, cheaper for both
ends, ``COPY`` (``copy``; ``copied`` where a row may be there already: it is then undone).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Dialect, Integer, String, column, text
from sqlmodel import SQLModel

from scheduler.store.base import slices

_JSON = json.JSONEncoder(ensure_ascii=False, default=datetime.isoformat)  # PostgreSQL reads it
_UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE
_BINARY = " (FORMAT BINARY)"
Statement = tuple[str, tuple[Any, ...]]  # SQL for the driver, and its parameters


def inserts(
    backend: str, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> Iterator[Statement]:
    """``INSERT INTO table (columns)`` of ``rows`` (values as the driver binds them), as few
    statements as the driver takes best; a clause such as ``ON CONFLICT`` may be appended to
    each. No statement when there are no rows."""
    if not rows:
        return
    names = ", ".join(columns)
    if backend == "postgresql":
        yield (
            f"INSERT INTO {table} ({names}) SELECT {names} "
            f"FROM json_populate_recordset(NULL::{table}, %s::json)",
            (_JSON.encode([dict(zip(columns, row, strict=True)) for row in rows]),),
        )
        return
    one = f"({', '.join(['?'] * len(columns))})"
    for some in slices(rows):
        yield (
            f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * len(some))}",
            tuple(value for row in some for value in row),
        )


def copy(
    connection: Connection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Any],
    *,
    binary: bool = False,
) -> None:
    """PostgreSQL's ``COPY`` of ``rows`` into ``table`` (``columns``), through psycopg: the
    cheapest way in for both ends, with no ``ON CONFLICT``: a row that conflicts fails it all.
    ``binary``: rows of Python values (an aware datetime for a moment, not its text) go in
    PostgreSQL's binary format, each typed as its column: nothing for psycopg to escape or for
    the server to parse (a wave's mail is 70 MB of text: a third of psycopg's time and a tenth
    of the server's)."""
    if not rows:
        return
    driver: Any = connection.connection.driver_connection  # psycopg's
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(statement + _BINARY * binary) as copying:
        if binary:
            copying.set_types(_types(connection.dialect, table, columns))
        for row in rows:
            copying.write_row(row)


def _types(dialect: Dialect, table: str, columns: Sequence[str]) -> list[str]:
    """The PostgreSQL type names of ``columns`` of ``table``, as psycopg looks them up."""
    found = SQLModel.metadata.tables[table].columns
    return [found[name].type.compile(dialect).lower() for name in columns]


def copied(
    connection: Connection,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Any],
    *,
    binary: bool = False,
) -> bool:
    """PostgreSQL: ``copy`` under a savepoint; False, undone, when a row's key is in the table
    already (recorded before, or by another daemon at the same moment): the caller then takes
    its ``INSERT … ON CONFLICT`` way, which leaves that row alone."""
    if not rows:
        return True
    try:
        with connection.begin_nested():
            copy(connection, table, columns, rows, binary=binary)
    except Exception as error:
        if getattr(error, "sqlstate", None) != _UNIQUE_VIOLATION:
            raise
        return False
    return True


def listed(backend: str, values: Iterable[int | str], kind: type[int] | type[str]) -> Any:
    """``values`` (of type ``kind``) as a one-column ``SELECT`` for ``IN``: one JSON parameter
    whatever their number. One bound value per element costs more to compile (and, for psycopg,
    to parse) than the query costs to run, and the statement changes with the number."""
    if backend == "postgresql":  # in FROM, not in the select list: then PostgreSQL can join
        # the list to the table (a semi-join on its index); a set-returning function in the
        # select list is a subplan run again for every row (10 s a slice of the 1-July wave)
        cast = "int" if kind is int else "varchar"
        sql = f"SELECT value::{cast} AS value FROM json_array_elements_text(CAST(:listed AS json))"
    else:
        sql = "SELECT value FROM json_each(:listed)"
    return (
        text(sql)
        .bindparams(listed=_JSON.encode(list(values)))
        .columns(column("value", Integer if kind is int else String))
    )
