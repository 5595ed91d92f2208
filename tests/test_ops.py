"""The operations files checked with the real tools: the alert rules with ``promtool`` (Debian's
``prometheus``, which .ci/run installs), and what the rules and the Grafana dashboard read
against what the daemon exposes (``uses`` and ``missing``, called by tests/test_daemon.py on a
real scrape)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import ROOT

OPS = ROOT / "ops"
TARGET_LABELS = {"job", "instance"}  # Prometheus adds them at scrape; the daemon never does


def test_every_alert_fires_and_stays_quiet_as_its_unit_tests_say() -> None:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (Debian: apt-get install prometheus)")
    rules = yaml.safe_load((OPS / "prometheus-alerts.yml").read_text(encoding="utf-8"))
    tests = yaml.safe_load((OPS / "prometheus-alerts.test.yml").read_text(encoding="utf-8"))
    alerts = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    firing = {
        case["alertname"]
        for test in tests["tests"]
        for case in test["alert_rule_test"]
        if case["exp_alerts"]
    }
    assert firing == alerts  # a test that makes each alert fire, and no test of a lost one
    for command in (
        ["check", "rules", "prometheus-alerts.yml"],
        ["test", "rules", "prometheus-alerts.test.yml"],
    ):
        result = subprocess.run(
            [promtool, *command], cwd=OPS, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "SUCCESS" in result.stdout


@dataclass(frozen=True)
class Use:
    """One expression of the rules or the dashboard: the series it selects, with their label
    matchers, and the labels it groups or names its legend by."""

    where: str
    selectors: tuple[tuple[str, tuple[tuple[str, str, str], ...]], ...]
    labels: frozenset[str]


def uses() -> Iterator[Use]:
    """Every expression in ops/prometheus-alerts.yml and ops/grafana-dashboard.json."""
    rules = yaml.safe_load((OPS / "prometheus-alerts.yml").read_text(encoding="utf-8"))
    for group in rules["groups"]:
        for rule in group["rules"]:
            yield _use(rule["alert"], rule["expr"], "")
    dashboard = json.loads((OPS / "grafana-dashboard.json").read_text(encoding="utf-8"))
    for panel in dashboard["panels"]:
        for target in panel.get("targets", []):
            yield _use(panel["title"], target["expr"], target.get("legendFormat", ""))


def _use(where: str, expr: str, legend: str) -> Use:
    selectors = tuple(
        (name, tuple(re.findall(r'(\w+)\s*(=~|!=|=)\s*"([^"]*)"', matchers)))
        for name, matchers in re.findall(r"(hanbao_\w+)(?:\{([^}]*)\})?", expr)
    )
    grouped = re.findall(r"\b(?:by|on|without|ignoring)\s*\(([^)]*)\)", expr)
    labels = {label.strip() for group in grouped for label in group.split(",") if label.strip()}
    labels |= set(re.findall(r"\{\{\s*(\w+)\s*\}\}", legend))
    return Use(where, selectors, frozenset(labels - TARGET_LABELS))


def missing(exposition: str) -> list[str]:
    """What the rules and the dashboard read that a scrape of ``exposition`` does not give:
    a metric, a label value a matcher names (each alternative of ``=~``), or a label they group
    or name a legend by."""
    samples: dict[str, list[dict[str, str]]] = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append(dict(sample.labels))
    problems = []
    for use in uses():
        for name, matchers in use.selectors:
            series = samples.get(name, [])
            if not series:
                problems.append(f"{use.where}: no {name}")
                continue
            for label, op, value in matchers:
                if label in TARGET_LABELS or op == "!=":
                    continue
                for wanted in value.split("|") if op == "=~" else [value]:
                    if not any(s.get(label) == wanted for s in series):
                        problems.append(f'{use.where}: no {name}{{{label}="{wanted}"}}')
            for label in use.labels:
                if not all(label in s for s in series):
                    problems.append(f"{use.where}: {name} without the label {label}")
    return problems


def test_the_check_finds_what_the_daemon_does_not_expose() -> None:
    """``missing`` itself: a job label where the rules read ``task``, an outcome never counted
    and a state never reported are each found (so the daemon test's empty list means
    something)."""
    exposition = "\n".join(
        [
            "# TYPE hanbao_job_last_success_timestamp_seconds gauge",
            'hanbao_job_last_success_timestamp_seconds{job="sweep"} 1.0',
            "# TYPE hanbao_messages_total counter",
            'hanbao_messages_total{outcome="sent"} 3.0',
            "# TYPE hanbao_outbox_messages gauge",
            'hanbao_outbox_messages{state="sent"} 3.0',
            "",
        ]
    )
    found = "\n".join(missing(exposition))
    assert 'HanbaoSweepStalled: no hanbao_job_last_success_timestamp_seconds{task="sweep"}' in found
    assert 'no hanbao_messages_total{outcome="refused"}' in found
    assert 'HanbaoOutboxBacklogGrowing: no hanbao_outbox_messages{state="pending"}' in found
    assert "hanbao_job_last_success_timestamp_seconds without the label task" in found
    assert "no hanbao_role" in found


def _systemd_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        pytest.skip(f"{name} is not installed (Debian: systemd)")
    return tool


def test_the_unit_verifies_clean_and_is_sandboxed_to_ok(tmp_path: Path) -> None:
    """``systemd-analyze verify`` (on a copy whose hanbao is this environment's: the unit's
    /opt/hanbao is not installed here) and ``security --offline=true``: 2.0 or less."""
    analyze = _systemd_tool("systemd-analyze")
    unit = (OPS / "hanbao.service").read_text(encoding="utf-8")
    hanbao = shutil.which("hanbao", path=str(Path(sys.executable).parent))
    assert hanbao is not None and "/opt/hanbao/.venv/bin/hanbao" in unit
    (tmp_path / "hanbao.service").write_text(unit.replace("/opt/hanbao/.venv/bin/hanbao", hanbao))
    verify = subprocess.run(
        [analyze, "verify", str(tmp_path / "hanbao.service")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (verify.returncode, verify.stdout + verify.stderr) == (0, "")
    security = subprocess.run(
        [analyze, "security", "--offline=true", "--no-pager", str(OPS / "hanbao.service")],
        capture_output=True,
        text=True,
        check=False,
    )
    found = re.search(
        r"Overall exposure level for hanbao\.service: ([\d.]+) (\w+)", security.stdout
    )
    assert found is not None, security.stdout + security.stderr
    assert float(found[1]) <= 2.0, security.stdout


def test_the_sysusers_entry_makes_the_user_the_unit_runs_as(tmp_path: Path) -> None:
    sysusers = _systemd_tool("systemd-sysusers")
    conf = tmp_path / "usr" / "lib" / "sysusers.d"
    conf.mkdir(parents=True)
    (tmp_path / "etc").mkdir()
    shutil.copy(OPS / "hanbao.sysusers", conf / "hanbao.conf")
    subprocess.run([sysusers, f"--root={tmp_path}"], capture_output=True, check=True)
    unit = (OPS / "hanbao.service").read_text(encoding="utf-8")
    user = re.search(r"^User=(\w+)$", unit, re.MULTILINE)
    state = re.search(r"^StateDirectory=(\w+)$", unit, re.MULTILINE)
    assert user is not None and state is not None
    (entry,) = [
        line.split(":")
        for line in (tmp_path / "etc" / "passwd").read_text().splitlines()
        if line.startswith(f"{user[1]}:")
    ]
    assert entry[5:] == [f"/var/lib/{state[1]}", "/usr/sbin/nologin"]
    assert f"{user[1]}:" in (tmp_path / "etc" / "group").read_text()
