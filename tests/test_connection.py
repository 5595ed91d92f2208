"""A database that cannot be used is named for what is wrong with it, with exit status 2.

Before, every one of these was "not initialised: run hanbao init" or a traceback with exit 1.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import make_url

from tests.mailsink import free_port
from tests.test_cli import hanbao


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("notaurl", "not a database URL: 'notaurl'"),
        ("mysql://u@db.example/hanbao", "only sqlite:// and postgresql:// URLs are supported"),
        ("sqlite:///{tmp}/no/such/folder/h.sqlite3", "the folder does not exist"),
        ("postgresql://hanbao@127.0.0.1:{port}/hanbao", "connection refused at 127.0.0.1:"),
        ("postgresql://hanbao@no-such-host.invalid/hanbao", "unknown host 'no-such-host.invalid'"),
    ],
)
@pytest.mark.parametrize("command", [("status",), ("init",), ("db", "upgrade"), ("run",)])
def test_an_unusable_database_says_what_failed(
    tmp_path: Path, url: str, message: str, command: tuple[str, ...]
) -> None:
    db = url.format(tmp=tmp_path, port=free_port())  # a port nobody listens on
    result = hanbao(*command, db=db, ok=False, env={"HANBAO_HTTP_PORT": str(free_port())})
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "hanbao init" not in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "no").exists()  # nothing created on the way


def read_only(database_url: str) -> str:
    """The same database, opened so that every write is refused (root ignores file modes)."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///file:{database_url.removeprefix('sqlite:///')}?mode=ro&uri=true"
    url = make_url(database_url).update_query_dict(
        {"options": "-c default_transaction_read_only=on"}
    )
    return url.render_as_string(hide_password=False)


def test_run_refuses_a_read_only_database_before_it_starts(database_url: str) -> None:
    result = hanbao(
        "run", db=read_only(database_url), ok=False, env={"HANBAO_HTTP_PORT": str(free_port())}
    )
    assert result.returncode == 2
    assert "the database is read-only" in result.stderr
    assert "action=started" not in result.stderr
    # reading still works: an operator can look at a replica
    assert hanbao("status", db=read_only(database_url)).returncode == 0
