"""``hanbao status`` on SQLite reads through Python's ``sqlite3`` (``scheduler.store.quick``)
with the store's own statement: the same obligations the store reads, without SQLAlchemy; and
the calendar's commands read the calendar without the settings' checks."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from scheduler.cli.demo_history import record_year
from scheduler.lifecycle import ledger, unit_import
from scheduler.settings import Config
from scheduler.store import quick
from scheduler.store.queries import transaction
from scheduler.store.schema import make_engine
from tests.conftest import CONFIG_PATH, ROOT, vn

NOW = vn("10/12/2025 09:00")
REFORM = ROOT / "config" / "reform.sample.yaml"


@pytest.fixture(scope="module")
def year_file(
    tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path, config: Config
) -> Path:
    """A year of cases, requests, reports on time and late, then a merger of communes."""
    path = tmp_path_factory.mktemp("quick") / "year.sqlite3"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    with transaction(engine) as store:
        ledger.generate_periodic(store, config, 2025, vn("01/01/2025 08:00"), "test")
    record_year(engine, config, vn("30/06/2025 09:00"))
    with transaction(engine) as store:
        unit_import.import_units(store, config, REFORM, vn("01/07/2025 07:00"), "test")
    engine.dispose()
    return path


def test_the_quick_read_finds_what_the_store_finds(year_file: Path) -> None:
    url = f"sqlite:///{year_file}"
    engine = make_engine(url)
    with transaction(engine) as store:
        every = store.obligations()
    boundary = sorted({o.due_at for o in every})[len(every) // 3]  # strictly before: left out
    asked: list[dict[str, Any]] = [
        {},
        {"moved_out": True},
        {"open_only": True, "due_before": NOW, "moved_out": True},
        {"open_only": True, "due_before": boundary},
        {"unit": "X20", "moved_out": True},
        {"unit": "X20"},
        {"unit": "X01", "open_only": True, "due_before": NOW, "moved_out": True},
    ]
    for arguments in asked:
        with transaction(engine) as store:
            wanted = store.obligations(**arguments)
        assert quick.obligations(url, **arguments) == wanted, arguments
    # the year holds what the list must show: moved, submitted, superseded, cases' codes
    assert any(o.moved_from for o in every) and any(o.superseded_by for o in every)
    assert any(o.submitted_at for o in every) and any(o.case_code for o in every)
    assert any(o.due_at == boundary for o in every)


def test_anything_unusual_is_left_to_the_store(year_file: Path, tmp_path: Path) -> None:
    """None, so that the store reads it or says what is wrong, as every command does."""
    behind = tmp_path / "behind.sqlite3"
    shutil.copyfile(year_file, behind)
    with closing(sqlite3.connect(behind)) as db, db:
        db.execute("UPDATE alembic_version SET version_num = '0001'")
    assert quick.obligations(f"sqlite:///{behind}") is None
    assert quick.obligations(f"sqlite:///{tmp_path / 'never.sqlite3'}") is None
    assert not (tmp_path / "never.sqlite3").exists()
    assert quick.obligations(f"sqlite:///{year_file}", unit="NOPE") is None
    assert quick.obligations("postgresql://hanbao@localhost/hanbao") is None
    assert quick.obligations("sqlite://") is None
    assert quick.obligations(f"sqlite:///file:{year_file}?mode=ro&uri=true") is None
    assert quick.obligations(f"sqlite:///{year_file}") not in (None, [])


def loaded(*args: str, db: str) -> set[str]:
    """The top-level packages a ``hanbao`` command imports."""
    env = {**os.environ, "HANBAO_CONFIG": str(CONFIG_PATH), "HANBAO_DATABASE_URL": db}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "scheduler", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    return {
        line.rsplit("|", 1)[1].strip().split(".")[0]
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def test_quick_commands_load_no_database_library_and_no_checks(year_file: Path) -> None:
    heavy = {"sqlalchemy", "sqlmodel", "alembic", "pydantic", "fastapi", "prometheus_client"}
    status = loaded("status", "--unit", "X20", "--json", db=f"sqlite:///{year_file}")
    deadline = loaded("calendar", "deadline", "04/02/2027", "--working-days", "5", db="sqlite://")
    assert "sqlite3" in status and status & heavy == set()
    assert "holidays" in deadline and deadline & heavy == set()
