"""What every command works on: the settings, the database and the clock, read here once per
command (``--as-of`` replaces the clock) and passed inward.

Light to import, and free of Typer: ``hanbao run`` starts from here without the command line's
parser (``scheduler.cli.service``). A command brings in the database, the mailer or the web stack
itself, inside its function, so that ``hanbao calendar deadline`` never loads them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from scheduler.deadlines.vntime import VN_TZ, parse_datetime

if TYPE_CHECKING:
    from scheduler.deadlines.calendar import WorkCalendar
    from scheduler.settings import Config
    from scheduler.store.connection import Engine
    from scheduler.store.queries import Store


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
