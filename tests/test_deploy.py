"""The Dockerfile and the systemd unit, read as deployed and run here with exactly their
environment: the paths they name are mapped into a temporary folder, nothing else changes.
(No Docker engine or systemd runs in CI; what they would do with the files is tested here.)"""

from __future__ import annotations

import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from scheduler.daemon import SHUTDOWN_GRACE
from tests.conftest import ROOT
from tests.mailsink import free_port
from tests.test_daemon import serving

VENV_BIN = str(Path(sys.executable).parent)


def dockerfile() -> dict[str, list[str]]:
    """Each instruction of the Dockerfile, continuation lines joined, by keyword."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    instructions: dict[str, list[str]] = {}
    for instruction in "\n".join(lines).replace("\\\n", " ").splitlines():
        if instruction.strip():
            keyword, _, rest = instruction.strip().partition(" ")
            instructions.setdefault(keyword, []).append(rest.strip())
    return instructions


def clean_environment() -> dict[str, str]:
    """This machine's environment without hanbao's variables, our venv first on PATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANBAO_")}
    return {**env, "PATH": VENV_BIN + os.pathsep + env.get("PATH", "")}


def image_environment(data: Path) -> dict[str, str]:
    """The image's ENV, with /app/config (the shipped settings in the image), its virtual
    environment (/opt/hanbao) and /data mapped here; ``$PATH`` is this one."""
    env = clean_environment()
    venv = str(Path(VENV_BIN).parent)
    for line in dockerfile()["ENV"]:
        for pair in shlex.split(line):
            key, _, value = pair.partition("=")
            value = value.replace("$PATH", env["PATH"]).replace("/opt/hanbao", venv)
            env[key] = value.replace("/app/", f"{ROOT}/").replace("/data/", f"{data}/")
    return env


def test_the_image_starts_on_its_own_environment_and_its_health_check_follows_the_port(
    tmp_path: Path,
) -> None:
    env = image_environment(tmp_path)
    assert env["HANBAO_HTTP_HOST"] == "0.0.0.0"  # how a published port reaches a container
    env["HANBAO_HTTP_PORT"] = str(free_port())  # `docker run -e HANBAO_HTTP_PORT=…`
    (command,) = dockerfile()["CMD"]
    (health,) = dockerfile()["HEALTHCHECK"]
    with serving(json.loads(command), env, cwd=ROOT) as image:
        check = subprocess.run(
            ["sh", "-c", health.partition(" CMD ")[2]],
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert check.returncode == 0, check.stderr
        image.stop()  # SIGTERM, and it must exit 0
    assert (tmp_path / "hanbao.sqlite3").is_file()


def unit_file() -> dict[str, list[str]]:
    """The [Service] settings of ops/hanbao.service, by key, in order."""
    service: dict[str, list[str]] = {}
    section = ""
    for line in (ROOT / "ops" / "hanbao.service").read_text(encoding="utf-8").splitlines():
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            service.setdefault(key, []).append(value)
    return service


def test_the_systemd_unit_keeps_its_database_in_its_state_directory(tmp_path: Path) -> None:
    """README's layout: settings, rules and calendar in /etc/hanbao (read-only to the service
    under ProtectSystem=strict), and the database in the state directory systemd makes."""
    unit = unit_file()
    (state,) = unit["StateDirectory"]
    (workdir,) = unit["WorkingDirectory"]
    assert workdir == f"/var/lib/{state}"
    etc, var = tmp_path / "etc" / "hanbao", tmp_path / "var" / "lib" / state
    etc.mkdir(parents=True)
    var.mkdir(parents=True)
    for name in ("hanbao.yaml", "rules.yaml", "calendar-overrides.yaml"):
        shutil.copy(ROOT / "config" / name, etc / name)
    # the secrets README's steps write: an empty SMTP password (a relay without login), a key
    (etc / "smtp-password").write_text("")
    (etc / "signing-key").write_text(secrets.token_urlsafe(48) + "\n")
    credentials = tmp_path / "credentials"  # what systemd hands the service: %d

    def mapped(value: str) -> str:
        value = value.replace("/etc/hanbao/", f"{etc}/").replace("%d/", f"{credentials}/")
        return value.replace(f"/var/lib/{state}/", f"{var}/")

    credentials.mkdir()
    for credential in unit["LoadCredential"]:
        name, _, source = credential.partition(":")
        shutil.copy(mapped(source), credentials / name)
    env = clean_environment()
    for assignment in unit["Environment"]:
        key, _, value = assignment.partition("=")
        env[key] = mapped(value)
    (init,) = unit["ExecStartPre"]
    command = [mapped(part) for part in shlex.split(init)]
    command[0] = shutil.which("hanbao", path=VENV_BIN) or command[0]
    result = subprocess.run(
        [*command, "--json"], env=env, cwd=var, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["database"] == f"sqlite:///{var / 'hanbao.sqlite3'}"
    assert sorted(p.name for p in etc.iterdir()) == [
        "calendar-overrides.yaml",
        "hanbao.yaml",
        "rules.yaml",
        "signing-key",
        "smtp-password",
    ]


def _pinned(lock: str) -> dict[str, str]:
    """name -> version of every requirement in a lock file"""
    text = (ROOT / lock).read_text(encoding="utf-8")
    return {
        canonical(name): version
        for name, version in re.findall(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)", text, re.MULTILINE)
    }


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_locks_pin_every_dependency_with_hashes() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

    def names(requirements: list[str]) -> set[str]:
        return {canonical(re.split(r"[\[<>=~! ;]", r, maxsplit=1)[0]) for r in requirements}

    runtime, test = _pinned("requirements.lock"), _pinned("requirements-test.lock")
    assert names(project["dependencies"]) <= set(runtime)
    assert names(project["dependencies"] + project["optional-dependencies"]["test"]) <= set(test)
    assert {n: test[n] for n in runtime if n in test} == {
        n: v for n, v in runtime.items() if n in test
    }
    for lock in ("requirements.lock", "requirements-test.lock"):
        pins = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / lock).read_text(encoding="utf-8"))
        pins = [p for p in pins if re.match(r"[A-Za-z0-9._-]+==", p)]
        assert pins and all("--hash=sha256:" in p for p in pins), lock


def test_the_image_installs_the_locked_dependencies_then_the_wheel() -> None:
    """The dependency layer depends on the lock file alone (a README edit does not reinstall
    them); hanbao goes in as a wheel, not editable; docker stop waits for the daemon's grace;
    the build context is only what the image needs."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    final = text[text.rindex("\nFROM ") :]  # the image's stage
    steps = [line.strip() for line in final.splitlines() if line.startswith(("COPY", "RUN"))]
    deps = next(i for i, step in enumerate(steps) if "--require-hashes" in step)
    assert [s for s in steps[:deps] if s.startswith("COPY")] == [
        "COPY requirements.lock /tmp/requirements.lock"
    ]
    assert not [run for run in dockerfile()["RUN"] if " -e " in run or "--editable" in run]
    assert "pip install --no-deps /tmp/dist/hanbao-" in final
    (signal_,) = dockerfile()["STOPSIGNAL"]
    assert signal_ == "SIGTERM"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    timeouts = [int(t) for t in re.findall(r"--stop-timeout (\d+)", readme)]
    assert timeouts and min(timeouts) > SHUTDOWN_GRACE
    assert "--format docker" in readme  # buildah and podman drop HEALTHCHECK without it
    ignore = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert "*" in ignore and not any(
        line.startswith("!") and line[1:].rstrip("/") in {".git", "tests", "bench", ".schemathesis"}
        for line in ignore
    )
