"""Reporting rates on both backends, on a scenario built through the ledger whose every figure
is worked out by hand below; and the pure rules behind them.

The sample district H01 (province T01). X04 merges into X03: its last day is Mon 15/03/2027.
Urgent reports (01 working day) of cases verified in March 2027:
- X01, VV-1 verified Thu 04/03 10:00, due end of Fri 05/03, sent Fri 05/03 09:00: on time;
- X02, VV-2 verified Thu 04/03, due Fri 05/03, sent Tue 09/03: late by 2 working days (Mon,
  Tue; 4 calendar days over the weekend);
- X03, VV-3 verified Thu 04/03, never sent: missing;
- X04, VV-4 verified Wed 10/03, due Thu 11/03, sent Thu 11/03: on time, counted for X04, which
  existed then;
- X04, VV-5 verified Mon 15/03 (its last day), due Tue 16/03: the closing hands it to X03,
  which sends it Wed 17/03: late by 1 working day, counted for X03 (it answered on 16/03).
Six-monthly report 2027-H1, due end of Wed 30/06/2027: owed by the 11 communes that still
exist on its deadline and the 4 agencies (X04 owes nothing: X03 reports for the period); X01
sends it 25/06 (on time), X02 on Fri 02/07 (late by 2 working days: Thu 01, Fri 02), X05 sends
it 28/06 but H01 disputes it on 29/06 (missing); nobody else sends it.
Read on Sat 10/07/2027 12:00, for 01/03/2027-30/06/2027.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from scheduler.clock import SimulatedClock
from scheduler.hierarchy.units import Unit
from scheduler.lifecycle import ledger, receipt
from scheduler.lifecycle.sweep import sweep
from scheduler.monitoring.health import Health
from scheduler.monitoring.metrics import Metrics
from scheduler.reports import timeliness
from scheduler.settings import Config
from scheduler.store.queries import transaction
from scheduler.web.access import create_token
from scheduler.web.api import create_app
from tests.conftest import vn
from tests.test_cli import hanbao, hanbao_json

READ_AT = "10/07/2027 12:00"
FIRST, LAST = date(2027, 3, 1), date(2027, 6, 30)
COLUMNS = (
    *("expected", "submitted", "on_time", "late", "missing"),
    *("on_time_rate", "mean_days_late", "max_days_late"),
)


def build_scenario(engine: Engine, config: Config) -> None:
    def at(moment: str) -> datetime:
        return vn(moment)

    with transaction(engine) as store:
        x04 = store.units(["X04"])["X04"]
        store.save_units(
            [replace(x04, valid_to=date(2027, 3, 15), successor="X03")], date(2027, 1, 1)
        )
        ledger.generate_periodic(store, config, 2027, at("01/01/2027 08:00"), "test")
    for code, unit, verified in (
        ("VV-1", "X01", "04/03/2027 10:00"),
        ("VV-2", "X02", "04/03/2027 10:00"),
        ("VV-3", "X03", "04/03/2027 10:00"),
        ("VV-4", "X04", "10/03/2027 10:00"),
        ("VV-5", "X04", "15/03/2027 10:00"),
    ):
        with transaction(engine) as store:
            ledger.open_case(store, config, code, unit, "xam_hai", at(verified), at(verified), "t")
    for code, sent in (
        ("VV-1", "05/03/2027 09:00"),
        ("VV-2", "09/03/2027 09:00"),
        ("VV-4", "11/03/2027 09:00"),
    ):
        with transaction(engine) as store:
            ledger.report_case(store, config, code, "urgent", at(sent), at(sent), "t", via="cli")
    sweep(engine, config, at("16/03/2027 08:00"))  # X04's closing is applied: VV-5 moves to X03
    with transaction(engine) as store:
        moved = store.obligation_by_key("case:VV-5:urgent_report")
        assert moved is not None and (moved.unit, moved.moved_from) == ("X03", "X04")
        ledger.report_case(
            store,
            config,
            "VV-5",
            "urgent",
            at("17/03/2027 09:00"),
            at("17/03/2027 09:00"),
            "t",
            via="cli",
        )
    for unit, sent in (
        ("X01", "25/06/2027 09:00"),
        ("X02", "02/07/2027 09:00"),
        ("X05", "28/06/2027 09:00"),
    ):
        with transaction(engine) as store:
            report = store.obligation_by_key(f"periodic:six_monthly:2027-H1:{unit}")
            assert report is not None
            ledger.submit(store, config, report.id, at(sent), at(sent), "t", via="cli")
    with transaction(engine) as store:
        report = store.obligation_by_key("periodic:six_monthly:2027-H1:X05")
        assert report is not None
        receipt.dispute(store, config, report.id, "not_received", at("29/06/2027 10:00"), "H01")


def serve(engine: Engine, config: Config) -> tuple[dict[str, str], FastAPI, Metrics]:
    """Tokens, the HTTP application, its clock stopped at ``READ_AT``, and its metrics."""
    clock = SimulatedClock(vn(READ_AT), anchor=0, speed=0)
    with transaction(engine) as store:
        tokens = {
            name: create_token(store, unit, role, name, vn(READ_AT))[1]
            for name, unit, role in (
                ("x01", "X01", "officer"),
                ("h01", "H01", "supervisor"),
                ("admin", "T01", "admin"),
            )
        }
    cfg = replace(config, web=replace(config.web, signing_key=b"k" * 48))
    metrics = Metrics(engine, clock)
    return tokens, create_app(engine, cfg, clock, metrics, Health(900)), metrics


def figures(rows: list[timeliness.Row], kind: str) -> dict[tuple[str, str], tuple[object, ...]]:
    return {
        (r.unit, r.level): (r.period, r.parent, *(r.as_json()[c] for c in COLUMNS))
        for r in rows
        if r.kind == kind
    }


def test_every_figure_of_the_hand_built_scenario_on_both_backends(
    engine: Engine, config: Config
) -> None:
    calendar = config.calendar
    assert all(calendar.is_working_day(date(2027, 3, d)) for d in (4, 5, 8, 9, 10, 11, 15, 16, 17))
    assert not any(calendar.is_working_day(date(2027, 3, d)) for d in (6, 7))
    build_scenario(engine, config)
    with transaction(engine) as store:
        facts, _ = timeliness.read(store, calendar, FIRST, LAST, vn(READ_AT))
    rows = timeliness.table(facts)

    urgent = figures(rows, "urgent_report")
    assert urgent == {
        # unit/level: period, parent, expected, submitted, on time, late, missing, rate, mean, max
        ("X01", "unit"): ("2027-03", "H01", 1, 1, 1, 0, 0, 1.0, None, None),
        ("X02", "unit"): ("2027-03", "H01", 1, 1, 0, 1, 0, 0.0, 2.0, 2),
        ("X03", "unit"): ("2027-03", "H01", 2, 1, 0, 1, 1, 0.0, 1.0, 1),
        ("X04", "unit"): ("2027-03", "H01", 1, 1, 1, 0, 0, 1.0, None, None),
        ("H01", "rollup"): ("2027-03", "T01", 5, 4, 2, 2, 1, 0.4, 1.5, 2),
        ("T01", "rollup"): ("2027-03", None, 5, 4, 2, 2, 1, 0.4, 1.5, 2),
    }

    six = figures(rows, "six_monthly")
    owing = {f"X{n:02d}" for n in range(1, 13)} - {"X04"} | {"CA-H01", "YT-H01", "GD-H01", "TP-H01"}
    assert {unit for unit, level in six if level == "unit"} == owing  # X04: X03 reports for it
    assert six[("X01", "unit")] == ("2027-H1", "H01", 1, 1, 1, 0, 0, 1.0, None, None)
    assert six[("X02", "unit")] == ("2027-H1", "H01", 1, 1, 0, 1, 0, 0.0, 2.0, 2)
    assert six[("X05", "unit")] == ("2027-H1", "H01", 1, 0, 0, 0, 1, 0.0, None, None)  # disputed
    for unit in owing - {"X01", "X02", "X05"}:
        assert six[(unit, "unit")] == ("2027-H1", "H01", 1, 0, 0, 0, 1, 0.0, None, None), unit
    assert six[("H01", "rollup")] == ("2027-H1", "T01", 15, 2, 1, 1, 13, 0.0667, 2.0, 2)
    assert six[("T01", "rollup")] == ("2027-H1", None, 15, 2, 1, 1, 13, 0.0667, 2.0, 2)

    # read as of Thu 01/07 noon, before X02 sent it: missing then
    with transaction(engine) as store:
        then, _ = timeliness.read(store, calendar, FIRST, LAST, vn("01/07/2027 12:00"))
    six_then = figures(timeliness.table(then), "six_monthly")
    assert six_then[("X02", "unit")] == ("2027-H1", "H01", 1, 0, 0, 0, 1, 0.0, None, None)
    assert six_then[("H01", "rollup")] == ("2027-H1", "T01", 15, 1, 1, 0, 14, 0.0667, None, None)

    # not yet due on 10/07 (annual, sector): not judged; the kinds due in the span are
    assert {r.kind for r in rows} == {
        "urgent_report",
        "written_report",
        "support_plan",
        "six_monthly",
    }


def test_the_command_and_the_api_give_the_same_rows_within_reach(
    engine: Engine, config: Config, database_url: str, tmp_path: Path
) -> None:
    build_scenario(engine, config)
    span = ("--from", "01/03/2027", "--to", "30/06/2027", "--as-of", READ_AT)
    rows = hanbao_json("report", "timeliness", *span, "--kind", "urgent_report", db=database_url)
    h01 = next(r for r in rows if (r["unit"], r["level"]) == ("H01", "rollup"))
    assert h01 == {
        "unit": "H01",
        "parent": "T01",
        "level": "rollup",
        "kind": "urgent_report",
        "period": "2027-03",
        "expected": 5,
        "submitted": 4,
        "on_time": 2,
        "late": 2,
        "missing": 1,
        "on_time_rate": 0.4,
        "mean_days_late": 1.5,
        "max_days_late": 2,
    }
    assert [(r["unit"], r["level"]) for r in rows] == [
        ("T01", "rollup"),
        ("H01", "rollup"),
        ("X01", "unit"),
        ("X02", "unit"),
        ("X03", "unit"),
        ("X04", "unit"),
    ]
    backwards = ("--from", "02/03/2027", "--to", "01/03/2027")
    refused = hanbao("report", "timeliness", *backwards, db=database_url, ok=False)
    assert refused.returncode == 2 and "--to must not be before --from" in refused.stderr
    # a district's table stops at the district: no province row counting it alone
    mine = hanbao_json("report", "timeliness", *span, "--unit", "H01", db=database_url)
    assert {r["unit"] for r in mine} >= {"H01", "X01"} and "T01" not in {r["unit"] for r in mine}

    book = tmp_path / "dung-han.xlsx"
    written = hanbao_json(
        "report", "timeliness", *span, "--format", "xlsx", "-o", str(book), db=database_url
    )
    assert written == {"file": str(book), "format": "xlsx", "rows": written["rows"]}
    from openpyxl import load_workbook

    sheets = load_workbook(book).worksheets
    assert [s.title for s in sheets] == ["H01 UBND huyện Mẫu Sơn", "T01 UBND tỉnh Mẫu"]
    heading = [c.value for c in sheets[0][2]]
    assert heading[:3] == ["Mã đơn vị", "Đơn vị", "Cấp"] and "Tỷ lệ đúng hạn (%)" in heading
    x02 = next(
        [c.value for c in r]
        for r in sheets[0].iter_rows(min_row=3)
        if r[0].value == "X02" and r[4].value == config.rules.kind("urgent_report").name
    )
    assert x02[6:14] == [1, 1, 0, 1, 0, 0, 2, 2]
    csv = hanbao(
        "report",
        "timeliness",
        *span,
        "--format",
        "csv",
        "-o",
        str(tmp_path / "t.csv"),
        db=database_url,
    )
    assert csv.returncode == 0
    assert (tmp_path / "t.csv").read_bytes().startswith("\ufeffMã đơn vị,".encode())

    tokens, app, _ = serve(engine, config)
    with TestClient(app) as client:

        def get(who: str, **query: str) -> Any:
            response = client.get(
                "/api/timeliness",
                params={"from": "01/03/2027", "to": "30/06/2027", **query},
                headers={"Authorization": f"Bearer {tokens[who]}"},
            )
            return response.status_code, response.json()

        assert get("admin", kind="urgent_report") == (200, rows)
        status, seen = get("h01", kind="urgent_report")
        assert status == 200 and seen == [r for r in rows if r["unit"] != "T01"]
        status, seen = get("x01")
        assert status == 200 and {r["unit"] for r in seen} == {"X01"}
        assert get("x01", unit="X02")[0] == 404
        assert get("h01", kind="nope")[0] == 422
        assert get("h01", **{"from": "01/07/2027"})[0] == 422  # after "to"
        assert get("h01", **{"to": "31/02/2027"})[0] == 422


def test_the_leaders_page_ranks_units_and_draws_their_trend_without_script(
    engine: Engine, config: Config
) -> None:
    build_scenario(engine, config)
    tokens, app, _ = serve(engine, config)
    with TestClient(app) as client:
        assert client.post("/login", data={"token": tokens["h01"]}).status_code == 200
        assert 'href="/overview/timeliness"' in client.get("/overview").text
        query = "from=01/03/2027&to=30/06/2027&kind=urgent_report"
        page = client.get(f"/overview/timeliness?{query}")
    assert page.status_code == 200
    html = page.text
    assert "<script" not in html and "@media print" in html and "size: A4" in html
    # H01's card only (T01 is above the supervisor's reach), its communes best first:
    # X01 and X04 1/1 on time; X02 late, none missing; X03 late and missing
    assert re.findall(r'class="card parent" data-unit="(\w+)"', html) == ["H01"]
    assert re.findall(r'class="unit" data-unit="(\w+)"', html) == ["X01", "X04", "X02", "X03"]
    assert "40.0 %</b> đúng hạn (2/5; trễ 2, chưa báo cáo 1)" in html
    # one 12-month chart for the district and one per commune; March 2027 drawn for each
    assert html.count("<svg") == 5
    assert html.count("03/2027: 1/1 đúng hạn") == 2 and "03/2027: 0/2 đúng hạn" in html
    assert "03/2027: 2/5 đúng hạn" in html and "04/2027: không có báo cáo đến hạn" in html


def test_the_on_time_ratio_metric_is_per_parent_and_kind_only(
    engine: Engine, config: Config
) -> None:
    build_scenario(engine, config)
    _, app, metrics = serve(engine, config)
    with TestClient(app) as client:
        client.get("/metrics")  # a scrape starts the computation, and does not wait for it
        assert metrics.on_time.refreshed.wait(30)
        text = client.get("/metrics").text
    series = {}
    for labels, value in re.findall(
        r"^hanbao_reports_on_time_ratio\{(.*)\} (\S+)$", text, re.MULTILINE
    ):
        named = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        assert set(named) == {"parent", "kind"}
        series[(named["parent"], named["kind"])] = float(value)
    assert series[("H01", "urgent_report")] == series[("T01", "urgent_report")] == 0.4
    assert series[("H01", "six_monthly")] == pytest.approx(1 / 15)
    assert {parent for parent, _ in series} == {"H01", "T01"}  # no per-commune series


def test_a_unit_counts_under_the_parent_it_had_on_the_deadline_and_a_parent_counts_itself(
    config: Config,
) -> None:
    # X01 answered to H01 until 30/06/2025, then (the 2025 reform) to T01 directly
    units = {
        "T01": Unit("T01", "Tỉnh", "province", None, "t@x.example"),
        "H01": Unit("H01", "Huyện", "district", "T01", "h@x.example"),
        "X01": Unit("X01", "Xã", "commune", "T01", "x@x.example"),
    }
    history = [("X01", "H01", date(2025, 6, 30))]
    items = [
        timeliness.Expected("X01", "annual", "2025-H1", None, vn("10/06/2025 23:59"), None),
        timeliness.Expected(
            "X01", "annual", "2025-H1", None, vn("10/07/2025 23:59"), vn("10/07/2025 09:00")
        ),
        timeliness.Expected(
            "H01", "annual", "2025-H1", None, vn("20/06/2025 23:59"), vn("20/06/2025 09:00")
        ),
    ]
    facts = timeliness.attribute(items, units, history, config.calendar)
    assert [f.chain for f in facts] == [("H01", "T01"), ("T01",), ("T01",)]
    rows = {(r.unit, r.level): r for r in timeliness.table(facts)}
    assert set(rows) == {("X01", "unit"), ("H01", "unit"), ("H01", "rollup"), ("T01", "rollup")}
    # H01's rollup: its own report (on time) and X01's of June (missing), not X01's of July
    assert (rows[("H01", "rollup")].expected, rows[("H01", "rollup")].on_time) == (2, 1)
    assert rows[("T01", "rollup")].expected == 3 and rows[("T01", "rollup")].missing == 1
    # a district's own table: nothing above it
    mine = timeliness.table(timeliness.within(facts, "H01"), top="H01")
    assert {(r.unit, r.level) for r in mine} == {
        ("X01", "unit"),
        ("H01", "unit"),
        ("H01", "rollup"),
    }
    assert next(r for r in mine if r.level == "rollup").parent == "T01"
