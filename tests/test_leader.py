"""Who runs the once-only jobs (``scheduler.store.leader``): on PostgreSQL the holder of an
advisory lock, which passes on when it dies; on SQLite the only daemon, a second refused."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from scheduler.store.leader import AdvisoryLock
from scheduler.store.schema import make_engine
from tests.conftest import TEMPLATE, postgres_database, write_settings
from tests.mailsink import free_port
from tests.test_daemon import serving


@pytest.fixture
def postgres(postgres_admin_url: str) -> Iterator[Engine]:
    with postgres_database(postgres_admin_url, TEMPLATE) as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


def test_one_process_leads_and_another_takes_over_when_its_session_dies(
    postgres: Engine, postgres_admin_url: str
) -> None:
    first, second = AdvisoryLock(postgres), AdvisoryLock(postgres)
    try:
        assert first.hold() and first.hold()  # asking again keeps it
        assert not second.hold()
        # the leader's machine is gone: the server ends its session (here, an operator does)
        assert first.connection is not None
        pid = first.connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
        admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.dispose()
        assert second.hold()
        assert not first.hold()  # it learns it lost the lead at its next ask
        second.release()  # a leader stopping with SIGTERM lets the lead go at once
        assert first.hold()
    finally:
        first.release()
        second.release()


def test_a_second_daemon_on_one_sqlite_file_is_refused_and_a_dead_ones_lock_is_not(
    sqlite_template: Path, tmp_path: Path
) -> None:
    database = tmp_path / "hanbao.sqlite3"
    database.write_bytes(sqlite_template.read_bytes())
    url = f"sqlite:///{database}"

    def settings(name: str) -> dict[str, str]:
        folder = tmp_path / name
        folder.mkdir()
        path = write_settings(folder, url, free_port(), daemon={"http_port": free_port()})
        return {**os.environ, "HANBAO_CONFIG": str(path)}

    command = [sys.executable, "-m", "scheduler", "run"]
    with serving(command, settings("first")) as first:
        refused = subprocess.run(
            command, env=settings("second"), capture_output=True, text=True, timeout=60
        )
        assert refused.returncode == 2 and "Traceback" not in refused.stderr
        assert f"another `hanbao run` (process {first.process.pid})" in refused.stderr
        assert "đang được một `hanbao run` khác dùng" in refused.stderr
        assert "PostgreSQL" in refused.stderr
        first.kill()
    # the lock file stays beside the database; the lock died with the process
    assert (tmp_path / "hanbao.sqlite3.daemon.lock").exists()
    with serving(command, settings("third")) as third:
        third.stop()
