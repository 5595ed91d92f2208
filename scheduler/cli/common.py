"""What every command shares: the common options, the settings and database it works on, and
the clock, read here once per command (``--as-of`` replaces it) and passed inward.

Only light modules are imported at the top: a command brings in the database, the mailer or the
web stack itself, inside its function, so that ``hanbao calendar deadline`` never loads them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import typer

from scheduler.deadlines.vntime import VN_TZ, parse_datetime
from scheduler.errors import InvalidInput

if TYPE_CHECKING:
    from scheduler.deadlines.calendar import WorkCalendar
    from scheduler.settings import Config
    from scheduler.store.connection import Engine
    from scheduler.store.queries import Store

JsonOpt = Annotated[bool, typer.Option("--json", help="JSON output for machines")]
ConfigOpt = Annotated[str | None, typer.Option("--config", help="settings file (HANBAO_CONFIG)")]
DbOpt = Annotated[str | None, typer.Option("--db", help="database URL (HANBAO_DATABASE_URL)")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="act as if now were dd/mm/yyyy HH:MM")]
CaseCodeArg = Annotated[
    str, typer.Argument(help="mã vụ việc, không ghi tên / case code, never a name")
]
MAX_ID = 2**63 - 1  # the largest id SQLite and PostgreSQL (bigint) can hold


def record_id(vi: str, en: str, listing: str) -> Callable[[str], int]:
    """Parses an id as typed; what is not a number, or one no database can hold, names no
    record and is refused here (the driver would fail on it with an overflow)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if not 1 <= value <= MAX_ID:
            raise InvalidInput(
                f"không có {vi} / unknown {en} {text}: mã là số trong `{listing}` / "
                f"the id is a number from `{listing}`"
            )
        return value

    return parse


ObligationArg = Annotated[
    int,
    typer.Argument(
        help="mã nghĩa vụ (cột Mã của status) / the obligation's id",
        parser=record_id("nghĩa vụ", "obligation", "hanbao status"),
    ),
]


@dataclass(frozen=True)
class Env:
    config: Config
    engine: Engine
    now: datetime


def now(as_of: str | None) -> datetime:
    return parse_datetime(as_of) if as_of else datetime.now(VN_TZ)


def settings(config: str | None, db: str | None) -> Config:
    """The settings alone, checked, for the commands that need no database."""
    from scheduler.settings import config_path, load_config

    return load_config(config_path(config), db)


def work_calendar(config: str | None, db: str | None) -> WorkCalendar:
    """The working-day calendar, read without checking the rest of the settings (the calendar's
    commands answer in a fifth of a second); a file that names it oddly is checked in full."""
    from scheduler.settings.location import config_path, quick_calendar

    return quick_calendar(config_path(config)) or settings(config, db).calendar


def open_env(
    config: str | None, db: str | None, as_of: str | None = None, *, need_schema: bool = True
) -> Env:
    from scheduler.store import migrate
    from scheduler.store.schema import make_engine

    loaded = settings(config, db)
    engine = make_engine(loaded.database_url)
    if need_schema:
        migrate.check(engine)
    return Env(loaded, engine, now(as_of))


@contextmanager
def writing(env: Env) -> Iterator[Store]:
    from scheduler.store.queries import transaction

    with transaction(env.engine) as store:
        yield store
