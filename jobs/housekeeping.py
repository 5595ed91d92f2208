"""Keep the database healthy for years. Nothing is ever deleted: every row is evidence."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from jobs import Context


def _tidy(ctx: Context) -> None:
    if ctx.engine.dialect.name != "sqlite":
        return  # PostgreSQL: autovacuum and autoanalyze do this
    with ctx.engine.connect() as connection:
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        connection.execute(text("PRAGMA optimize"))


async def run(ctx: Context) -> None:
    await asyncio.to_thread(_tidy, ctx)
