"""``hanbao run`` starts without Typer, and loads none of what the daemon never uses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

from scheduler.cli import app
from scheduler.cli.service import COMMAND, DEFAULT_LOG_LEVEL, OPTIONS, plain_run
from tests.conftest import write_settings
from tests.mailsink import free_port

# the daemon, started as `hanbao run` starts it; once it serves its API, the modules it holds
LOADS = """
import os, signal, sys, threading, urllib.request

def look() -> None:
    url = f"http://127.0.0.1:{os.environ['PORT']}"
    for _ in range(600):
        try:
            urllib.request.urlopen(url + "/healthz", timeout=5)
            break
        except OSError:
            threading.Event().wait(0.1)
    schema = urllib.request.urlopen(url + "/openapi.json", timeout=30).read()
    print("schema", len(schema), flush=True)
    never = ("typer", "click", "rich", "pydantic.v1", "alembic", "aiosmtpd", "imapclient")
    print("loaded", sorted(m for m in never if sys.modules.get(m)), flush=True)
    os.kill(os.getpid(), signal.SIGTERM)

threading.Thread(target=look, daemon=True).start()
sys.argv = ["hanbao", "run", "--log-level", "WARNING"]
from scheduler.cli import main
main()
"""


def test_the_daemon_loads_no_command_line_parser_nor_pydantic_v1(
    database_url: str, tmp_path: Path
) -> None:
    port = free_port()
    settings = write_settings(tmp_path, database_url, free_port(), daemon={"http_port": port})
    env = {**os.environ, "HANBAO_CONFIG": str(settings), "PORT": str(port)}
    result = subprocess.run(
        [sys.executable, "-c", LOADS], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    # uvicorn's own command line imports Click when uvicorn is imported: it may be there
    assert "loaded ['click']" in result.stdout or "loaded []" in result.stdout, result.stdout
    assert int(result.stdout.split("schema ")[1].split()[0]) > 10_000  # FastAPI built it all


def test_the_quick_start_reads_the_options_typer_declares() -> None:
    command = typer.main.get_command(app)
    run = command.commands[COMMAND]  # type: ignore[attr-defined]
    declared = {name: param.name for param in run.params for name in param.opts}
    assert declared == OPTIONS  # --help is the context's, not a parameter
    assert all(param.nargs == 1 for param in run.params if param.name in OPTIONS.values())
    assert {param.name: param.default for param in run.params}["log_level"] == DEFAULT_LOG_LEVEL


@pytest.mark.parametrize(
    ("argv", "options"),
    [
        (["run"], {}),
        (
            ["run", "--db", "sqlite://", "--log-level", "DEBUG"],
            {"db": "sqlite://", "log_level": "DEBUG"},
        ),
        (["run", "--config=a=b.yaml"], {"config": "a=b.yaml"}),
    ],
)
def test_a_plain_run_is_started_quickly(argv: list[str], options: dict[str, str]) -> None:
    assert plain_run(argv) == options


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["status"],
        ["run", "--help"],
        ["run", "--config"],
        ["run", "--config", "--db", "x"],
        ["run", "--db", "a", "--db", "b"],
        ["run", "--log-level", "LOUD"],
        ["run", "--verbose"],
        ["run", "extra"],
    ],
)
def test_anything_else_is_left_to_typer(argv: list[str]) -> None:
    assert plain_run(argv) is None


def test_run_help_and_a_misspelt_option_answer_as_typer_does() -> None:
    hanbao = [sys.executable, "-m", "scheduler", "run"]
    shown = subprocess.run([*hanbao, "--help"], capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0
    assert all(option in shown.stdout for option in OPTIONS), shown.stdout
    wrong = subprocess.run(
        [*hanbao, "--log-levl", "DEBUG"], capture_output=True, text=True, timeout=60
    )
    assert wrong.returncode == 2
    assert "No such option" in wrong.stderr
