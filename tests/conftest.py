"""Fixtures: the shipped configuration, and a fresh database per test on SQLite and PostgreSQL.

PostgreSQL is ``HANBAO_TEST_DATABASE_URL`` when given, else a server started from the
``pgserver`` package for the session. Each test gets its own database copied from a template
that already holds the schema and the sample units, which keeps PostgreSQL tests fast.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import shutil
import subprocess
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, create_engine, func, text
from sqlmodel import select

from scheduler.deadlines.vntime import parse_datetime
from scheduler.hierarchy.files import read_rows
from scheduler.hierarchy.units import check_units
from scheduler.lifecycle import ledger
from scheduler.lifecycle.sweep import Emitted, sweep
from scheduler.settings import Config, load_config
from scheduler.store import migrate
from scheduler.store.queries import transaction
from scheduler.store.schema import make_engine, normalise_url, with_database
from tests.mailsink import Sink, free_port, start

ROOT = Path(__file__).resolve().parent.parent
CONFIG_PATH = ROOT / "config" / "hanbao.yaml"
SAMPLE_UNITS = ROOT / "config" / "units.sample.yaml"
TEMPLATE = "hanbao_template"
_counter = itertools.count()


def vn(text_value: str) -> datetime:
    """A Vietnam-time instant written as users write it: ``dd/mm/yyyy HH:MM``."""
    return parse_datetime(text_value)


def _tracked_changes() -> dict[str, str | None]:
    """The files git tracks that differ from HEAD, each with a digest of what it holds now."""
    try:
        names = subprocess.run(
            ["git", "-C", str(ROOT), "diff", "--name-only", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return {}  # not a git checkout (an installed copy, an image): nothing to compare
    digests: dict[str, str | None] = {}
    for name in names:
        path = ROOT / name
        digests[name] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    return digests


@pytest.fixture(scope="session", autouse=True)
def tracked_files_unchanged() -> Iterator[None]:
    """Tests write only to temporary folders: a run leaves every file that git tracks as it
    found it (edit nothing in the checkout while the tests run)."""
    before = _tracked_changes()
    yield
    after = _tracked_changes()
    changed = sorted(n for n in before.keys() | after.keys() if before.get(n) != after.get(n))
    assert changed == [], f"the tests changed files that git tracks: {changed}"


@pytest.fixture(scope="session")
def config() -> Config:
    return load_config(CONFIG_PATH, "sqlite://")


def load_sample_units(engine: Engine, config: Config) -> None:
    with transaction(engine) as store:
        units = check_units(
            read_rows(SAMPLE_UNITS),
            str(SAMPLE_UNITS),
            existing={},
            rules=config.rules,
            allowed_domains=config.allowed_domains,
        )
        store.save_units(units, date(2027, 1, 1))


@pytest.fixture(scope="session")
def postgres_admin_url(tmp_path_factory: pytest.TempPathFactory, config: Config) -> Iterator[str]:
    given = os.environ.get("HANBAO_TEST_DATABASE_URL")
    if given:
        url = normalise_url(given)
        server = None
    else:
        with warnings.catch_warnings():
            # platformdirs warns, at import, that XDG_RUNTIME_DIR is unset on a server
            warnings.simplefilter("ignore")
            import pgserver

        server = pgserver.get_server(tmp_path_factory.mktemp("pg"), cleanup_mode="stop")
        url = normalise_url(server.get_uri())
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {TEMPLATE}"))
        connection.execute(text(f"CREATE DATABASE {TEMPLATE}"))
    template = make_engine(with_database(url, TEMPLATE))
    migrate.create(template)
    load_sample_units(template, config)
    template.dispose()
    yield url
    admin.dispose()
    if server is not None:
        server.cleanup()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory, config: Config) -> Path:
    """A SQLite file with the migrated schema and the sample units, copied for each test."""
    path = tmp_path_factory.mktemp("sqlite") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate.create(engine)
    load_sample_units(engine, config)
    with engine.connect() as connection:  # one file: fold the write-ahead log into it
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database with the schema and the sample units, on each backend in turn."""
    if request.param == "sqlite":
        path = tmp_path / "hanbao.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    with postgres_database(request.getfixturevalue("postgres_admin_url"), TEMPLATE) as url:
        yield url


@contextmanager
def postgres_database(admin_url: str, template: str | None = None) -> Iterator[str]:
    """A database of its own on the test server (a copy of ``template``, or empty), dropped
    afterwards."""
    name = f"hanbao_test_{os.getpid()}_{next(_counter)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name} TEMPLATE {template or 'template0'}"))
    try:
        yield with_database(admin_url, name)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def run_until(engine: Engine, config: Config, end: datetime) -> list[Emitted]:
    """Sweep at every stored next moment up to ``end``, committing, as a punctual daemon would."""
    emitted: list[Emitted] = []
    while True:
        with transaction(engine) as store:
            upcoming = store.earliest_action()
        if upcoming is None or upcoming > end:
            return emitted
        emitted.extend(sweep(engine, config, upcoming))


def count(engine: Engine, table: type) -> int:
    with transaction(engine) as store:
        return int(store.session.exec(select(func.count()).select_from(table)).one())


def open_case(engine: Engine, config: Config, code: str, verified: str, opened: str) -> int:
    with transaction(engine) as store:
        created = ledger.open_case(
            store, config, code, "X01", "xam_hai", vn(verified), vn(opened), "test"
        )
    assert created[0].kind == "urgent_report"
    return created[0].id


FIGURES: list[str] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Figures that tests measured (e.g. duplicates after kill -9), shown after the run."""
    if FIGURES:
        terminalreporter.section("hanbao figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


def write_settings(folder: Path, database_url: str, smtp_port: int, **sections: Any) -> Path:
    """A settings file for a hanbao subprocess: the shipped rules, a test relay on loopback,
    and ``sections`` merged over the defaults (e.g. ``daemon={"sweep_seconds": 0.2}``)."""
    document: dict[str, Any] = {
        "database_url": database_url,
        "rules": str(ROOT / "config" / "rules.yaml"),
        "calendar_overrides": str(ROOT / "config" / "calendar-overrides.yaml"),
        "allowed_domains": ["tinhmau.example", "*.tinhmau.example"],
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "security": "none"},
        "mail": {"from": "Nhắc hạn <nhac-han@huyenmau.tinhmau.example>", "lease_seconds": 300},
        "web": {},
    }
    for key, values in sections.items():
        document[key] = {**document.get(key, {}), **values}
    path = folder / "hanbao.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def sink() -> Iterator[tuple[Sink, int]]:
    """A relay on loopback (aiosmtpd) recording what it receives, and its port."""
    handler, port = Sink(), free_port()
    controller = start(handler, port)
    yield handler, port
    controller.stop()
