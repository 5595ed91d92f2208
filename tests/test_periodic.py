"""The hourly periodic job (``jobs.periodic``): it creates what is missing, and when the year is
all there it reads once and writes nothing, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import Engine, event, text

from jobs import Context, periodic
from scheduler.clock import SimulatedClock
from scheduler.monitoring.health import Health
from scheduler.monitoring.metrics import Metrics
from scheduler.settings import Config
from scheduler.store.queries import transaction
from tests.conftest import vn


def test_the_hourly_run_creates_only_what_is_missing_and_then_writes_nothing(
    engine: Engine, config: Config
) -> None:
    clock = SimulatedClock(vn("02/01/2027 09:00"), anchor=0, speed=0)
    woken: list[str] = []
    ctx = Context(engine, config, clock, Metrics(engine, clock), Health(900), wake=woken.append)
    asyncio.run(periodic.run(ctx))
    with transaction(engine) as store:
        year = {o.key for o in store.obligations(open_only=True)}
    assert len(year) > 10 and woken == ["sweep"]

    with engine.begin() as connection:  # one commune's six-monthly report went missing
        gone = next(k for k in sorted(year) if k.startswith("periodic:six_monthly:"))
        connection.execute(text("DELETE FROM obligation WHERE key = :key"), {"key": gone})
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    event.listen(engine, "before_cursor_execute", seen)
    try:
        asyncio.run(periodic.run(ctx))
        with transaction(engine) as store:
            assert {o.key for o in store.obligations(open_only=True)} == year
        written = [s for s in statements if s in ("INSERT", "UPDATE", "DELETE")]
        assert written == ["INSERT", "INSERT"]  # the missing one, and its audit entry
        statements.clear()
        asyncio.run(periodic.run(ctx))  # an hour later: nothing new
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert not {"INSERT", "UPDATE", "DELETE"} & set(statements)
    assert woken == ["sweep", "sweep"]
