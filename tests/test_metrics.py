"""/metrics' state gauges: a snapshot read off the loop, per unit or per parent unit."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from scheduler.clock import SimulatedClock
from scheduler.errors import ConfigError
from scheduler.lifecycle import ledger
from scheduler.monitoring.health import Health
from scheduler.monitoring.metrics import Metrics
from scheduler.records import UnitLabels
from scheduler.settings import Config, load_config
from scheduler.store.queries import transaction
from scheduler.web.api import create_app
from tests.conftest import open_case, vn
from tests.test_settings import shipped_with

NOW = "10/07/2027 10:00"


def series(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    """Each series of ``name``: its labels, sorted, and its value."""
    found = {}
    for labels, value in re.findall(rf"^{name}\{{(.*)\}} (\S+)$", text, re.MULTILINE):
        found[tuple(sorted(re.findall(r'(\w+)="([^"]*)"', labels)))] = float(value)
    return found


def scrape(engine: Engine, config: Config, by: UnitLabels, every: float = 15) -> str:
    clock = SimulatedClock(vn(NOW), anchor=0, speed=0)
    metrics = Metrics(engine, clock, unit_labels=by, refresh_seconds=every)
    with TestClient(create_app(engine, config, clock, metrics, Health(900))) as client:
        text = client.get("/metrics").text
    assert metrics.on_time.refreshed.wait(30)  # its thread is done before the database goes
    return text


def test_per_parent_labels_count_the_same_obligations_without_a_series_per_unit(
    engine: Engine, config: Config
) -> None:
    with transaction(engine) as store:
        ledger.generate_periodic(store, config, 2027, vn("01/01/2027 00:00"), "test")
    open_case(engine, config, "VV-M", "03/07/2027 09:00", "03/07/2027 09:00")
    per_unit, per_parent = scrape(engine, config, "unit"), scrape(engine, config, "parent")
    for name in ("hanbao_obligations_open", "hanbao_obligations_overdue"):
        units, parents = series(per_unit, name), series(per_parent, name)
        assert {dict(k)["unit"] for k in units} >= {"X01", "X02", "YT-H01"}
        assert all(set(dict(k)) == {"kind", "parent"} for k in parents)
        summed: dict[tuple[str, str], float] = {}
        for labels, value in units.items():
            key = (dict(labels)["kind"], dict(labels)["parent"])
            summed[key] = summed.get(key, 0) + value
        assert {(dict(k)["kind"], dict(k)["parent"]): v for k, v in parents.items()} == summed
    # the most overdue of a parent's series is the most overdue of its units'
    oldest_units = series(per_unit, "hanbao_overdue_max_seconds")
    oldest_parents = series(per_parent, "hanbao_overdue_max_seconds")
    six_monthly = (("kind", "six_monthly"), ("parent", "H01"))
    assert oldest_parents[six_monthly] == max(
        v for k, v in oldest_units.items() if dict(k)["kind"] == "six_monthly"
    )
    due = vn("01/07/2027 00:00") - timedelta(seconds=1)  # the end of 30 June
    assert oldest_parents[six_monthly] == (vn(NOW) - due).total_seconds()


def test_a_scrape_serves_the_snapshot_and_refreshes_it_in_the_background(
    engine: Engine, config: Config
) -> None:
    clock = SimulatedClock(vn(NOW), anchor=0, speed=0)
    metrics = Metrics(engine, clock, unit_labels="unit", refresh_seconds=3600)
    with TestClient(create_app(engine, config, clock, metrics, Health(900))) as client:
        before = client.get("/metrics").text  # the first scrape waits for a snapshot
        assert 'hanbao_obligations_open{kind="urgent_report"' not in before
        open_case(engine, config, "VV-S", "09/07/2027 09:00", "09/07/2027 09:00")
        cached = client.get("/metrics").text  # younger than an hour: as it was
        assert 'hanbao_obligations_open{kind="urgent_report"' not in cached
        assert series(cached, "hanbao_state_age_seconds") == {} and re.search(
            r"^hanbao_state_age_seconds \d", cached, re.MULTILINE
        )
        metrics.state.refresh()
        after = client.get("/metrics").text
    assert metrics.on_time.refreshed.wait(30)  # its thread is done before the database goes
    opened = series(after, "hanbao_obligations_open")
    assert opened[(("kind", "urgent_report"), ("parent", "H01"), ("unit", "X01"))] == 1


def test_unit_labels_is_unit_or_parent(tmp_path: Path) -> None:
    assert load_config(shipped_with(tmp_path), "sqlite://", {}).metrics.unit_labels == "unit"
    chosen = load_config(shipped_with(tmp_path, metrics={"unit_labels": "parent"}), "sqlite://")
    assert chosen.metrics.unit_labels == "parent"
    path = shipped_with(tmp_path, metrics={"unit_labels": "commune"})
    with pytest.raises(ConfigError, match=rf"{path}: metrics\.unit_labels.*'commune'"):
        load_config(path, "sqlite://", {})
    with pytest.raises(ConfigError, match=r"metrics\.refresh_seconds"):
        load_config(shipped_with(tmp_path, metrics={"refresh_seconds": 0}), "sqlite://", {})
