"""``pip install`` without ``-e``: the wheel built from the checkout, installed into a fresh
virtual environment, runs ``hanbao demo`` from an empty folder until a mail is captured, and
``hanbao init --config-dir`` writes the settings it ships. The wheel's dependencies are those
this test environment resolved (a ``.pth`` line points at them): the test is about what the
wheel itself carries, and needs no second download of them."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.mailsink import free_port
from tests.test_cli import hanbao_json
from tests.test_daemon import _scrape, serving


def _wheel(tmp_path: Path) -> Path:
    out = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = out.glob("hanbao-*.whl")
    return wheel


def _fresh_venv(where: Path, wheel: Path) -> Path:
    venv.create(where, with_pip=False)
    bindir = where / "bin"
    python = bindir / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # the dependencies: this environment's site-packages as a plain path (its .pth files, the
    # editable install of the checkout among them, are not read from there)
    Path(site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "-q",
            "--no-deps",
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return bindir


@pytest.mark.slow
def test_the_wheel_runs_the_demo_from_an_empty_folder(tmp_path: Path) -> None:
    wheel = _wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    for shipped in (
        "templates/email/new_case.txt",
        "templates/web/login.html",
        "config/hanbao.yaml",
        "config/units.sample.yaml",
    ):
        assert f"scheduler/_shipped/{shipped}" in names
    bindir = _fresh_venv(tmp_path / "venv", wheel)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANBAO_")}
    env["PATH"] = f"{bindir}{os.pathsep}{env['PATH']}"
    empty = tmp_path / "empty"
    empty.mkdir()
    where = subprocess.run(
        [
            bindir / "python",
            "-c",
            "import scheduler, jobs; print(scheduler.__file__, jobs.__file__)",
        ],
        cwd=empty,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert all(path.startswith(str(tmp_path / "venv")) for path in where), where

    settings = subprocess.run(
        [bindir / "hanbao", "init", "--config-dir", "etc"],
        cwd=empty,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert "HANBAO_CONFIG=" in settings.stdout
    assert (empty / "etc" / "hanbao.yaml").read_bytes() == (
        ROOT / "config" / "hanbao.yaml"
    ).read_bytes()
    (empty / "etc" / "rules.yaml").write_text("# the operator's\n")
    again = subprocess.run(
        [bindir / "hanbao", "init", "--config-dir", "etc"],
        cwd=empty,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert "rules.yaml" not in again.stdout
    assert (empty / "etc" / "rules.yaml").read_text() == "# the operator's\n"

    demo = tmp_path / "demo"
    demo.mkdir()
    http_port = free_port()
    env |= {"HANBAO_SMTP_PORT": str(free_port()), "HANBAO_HTTP_PORT": str(http_port)}
    with serving([str(bindir / "hanbao"), "demo", "--empty"], env, cwd=demo) as running:
        running.wait_line("action=captured", timeout=60)
        status, page = _scrape(http_port, "/login")  # a page from the wheel's templates
        running.stop()
    assert status == 200 and "<form" in page
    assert any((demo / "hanbao-demo" / "mail").iterdir())


def test_init_config_dir_writes_the_samples_keeps_edits_and_touches_no_database(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "etc"
    folder.mkdir()
    (folder / "hanbao.yaml").write_text("# the operator's\n")
    db = tmp_path / "never.sqlite3"
    out = hanbao_json("init", "--config-dir", str(folder), db=f"sqlite:///{db}", cwd=tmp_path)
    assert out == {
        "config_dir": str(folder),
        "written": [
            "rules.yaml",
            "calendar-overrides.yaml",
            "units.sample.yaml",
            "reform.sample.yaml",
        ],
        "kept": ["hanbao.yaml"],
        "settings": str(folder / "hanbao.yaml"),
    }
    assert (folder / "hanbao.yaml").read_text() == "# the operator's\n"
    assert (folder / "rules.yaml").read_bytes() == (ROOT / "config" / "rules.yaml").read_bytes()
    assert not db.exists()
