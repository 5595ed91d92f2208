"""Units that merge, split and close: one ``units import`` applies a reorganisation.

The sample reform (``config/reform.sample.yaml``) is the 2025 one in small: the district H01 ends
on 30/06/2025 and the province T01 takes over; X01-X03 merge into X20 from 01/07/2025.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine

from scheduler.errors import ImportRejected, InvalidInput
from scheduler.lifecycle import ledger, unit_import
from scheduler.settings import Config
from scheduler.store.queries import transaction
from scheduler.store.schema import UnitParentRow
from tests.conftest import ROOT, count, open_case, vn
from tests.mailsink import Sink
from tests.test_cli import hanbao_json
from tests.test_delivery import deliver_at, mail_config

REFORM = ROOT / "config" / "reform.sample.yaml"
X20_OFFICER = "treem@binhan.tinhmau.example"
PROVINCE_SUPERVISOR = "phongtreem.soyte@tinhmau.example"


def units_file(folder: Path, *rows: dict[str, Any]) -> Path:
    path = folder / "units.yaml"
    path.write_text(yaml.safe_dump({"units": list(rows)}, allow_unicode=True), encoding="utf-8")
    return path


def row(engine: Engine, code: str, **changes: Any) -> dict[str, Any]:
    """A stored unit as a units-file row, with ``changes``."""
    with transaction(engine) as store:
        unit = store.units([code])[code]
    found: dict[str, Any] = {
        "code": unit.code,
        "name": unit.name,
        "kind": unit.kind,
        "parent": unit.parent,
        "email": unit.email,
        **{role: ";".join(a) for role, a in unit.contacts.items()},
    }
    return {**found, **changes}


def new_commune(code: str, valid_from: str, parent: str = "T01") -> dict[str, Any]:
    return {
        "code": code,
        "name": "UBND xã Bình An",
        "kind": "commune",
        "parent": parent,
        "email": "ubnd@binhan.tinhmau.example",
        "officer": X20_OFFICER,
        "leader": "chutich@binhan.tinhmau.example",
        "valid_from": valid_from,
    }


def import_units(engine: Engine, config: Config, path: Path, at: str) -> int:
    with transaction(engine) as store:
        return unit_import.import_units(store, config, path, vn(at), "test")


def obligations_of(engine: Engine, unit: str) -> dict[tuple[str, str | None], Any]:
    with transaction(engine) as store:
        return {(o.kind, o.period or o.case_code): o for o in store.obligations(unit=unit)}


@pytest.fixture
def year_2025(engine: Engine, config: Config) -> Engine:
    with transaction(engine) as store:
        ledger.generate_periodic(store, config, 2025, vn("01/01/2025 08:00"), "test")
    return engine


def test_a_merger_hands_what_the_communes_owe_to_the_new_commune(
    year_2025: Engine, config: Config
) -> None:
    engine = year_2025
    import_units(engine, config, REFORM, "01/07/2025 07:00")

    # each commune owed its own half-year report (it existed until the deadline): all three move
    with transaction(engine) as store:
        half_year = [
            o for o in store.obligations(unit="X20", open_only=True) if o.kind == "six_monthly"
        ]
        annual = [o for o in store.obligations(unit="X20") if o.kind == "annual"]
        superseded = [
            o for code in ("X02", "X03") for o in store.obligations(unit=code) if o.superseded_by
        ]
        trail = store.audit_trail()
    assert sorted(o.moved_from or "" for o in half_year) == ["X01", "X02", "X03"]
    assert {o.owner for o in half_year} >= {"X01 (nay thuộc X20)"}
    # the year's report is X20's alone: X01's moved to it, X02's and X03's are answered by it
    assert [(o.moved_from, o.state(vn("01/07/2025 08:00"))) for o in annual] == [("X01", "open")]
    assert {(o.kind, o.superseded_by) for o in superseded} == {("annual", annual[0].id)}
    assert all(o.state(vn("01/01/2026 09:00")) == "superseded" for o in superseded)
    assert sum(e.action == "obligation_moved" for e in trail) == 4
    assert sum(e.action == "obligation_superseded" for e in trail) == 2
    closed = {e.detail["unit"]: e.detail for e in trail if e.action == "unit_closed"}
    assert set(closed) == {"H01", "X01", "X02", "X03"}
    assert closed["H01"]["successor"] == "T01"
    assert "X04" in closed["H01"]["children"] and "CA-H01" in closed["H01"]["children"]
    with transaction(engine) as store:
        units = store.units()
    assert units["X04"].parent == "T01" and units["X20"].parent == "T01"
    # the periodic job creates no second annual report for X20, nor any for the closed communes
    with transaction(engine) as store:
        again = ledger.generate_periodic(store, config, 2025, vn("01/07/2025 09:00"), "test")
        nothing_for_x01 = store.obligations(unit="X01")
    assert again.created == 0
    assert nothing_for_x01 == []  # all it owed is with X20 now
    with transaction(engine) as store:
        next_year = ledger.generate_periodic(store, config, 2026, vn("01/01/2026 08:00"), "test")
        owing_2026 = {o.unit for o in store.obligations() if o.period == "2026-H1"}
    assert next_year.created > 0
    assert "X20" in owing_2026 and not owing_2026 & {"X01", "X02", "X03"}


def test_reimporting_the_same_reform_changes_nothing(year_2025: Engine, config: Config) -> None:
    engine = year_2025
    import_units(engine, config, REFORM, "01/07/2025 07:00")
    before = (obligations_of(engine, "X20"), count(engine, UnitParentRow))
    with transaction(engine) as store:
        moves = len(store.audit_trail())
    import_units(engine, config, REFORM, "02/07/2025 07:00")
    assert (obligations_of(engine, "X20"), count(engine, UnitParentRow)) == before
    with transaction(engine) as store:
        trail = store.audit_trail()[moves:]
    assert [e.action for e in trail] == ["units_imported"]


def test_the_tree_of_any_day_is_kept(year_2025: Engine, config: Config, database_url: str) -> None:
    import_units(year_2025, config, REFORM, "01/07/2025 07:00")
    before = hanbao_json("units", "list", "--as-of", "15/06/2025", db=database_url)
    after = hanbao_json("units", "list", "--as-of", "01/07/2025", db=database_url)
    parents_before = {u["code"]: u["parent"] for u in before}
    parents_after = {u["code"]: u["parent"] for u in after}
    assert parents_before["X04"] == "H01" and parents_before["X01"] == "H01"
    assert "X20" not in parents_before
    assert parents_after["X04"] == "T01" and parents_after["X20"] == "T01"
    assert not {"H01", "X01", "X02", "X03"} & set(parents_after)
    x01 = next(u for u in hanbao_json("units", "list", db=database_url) if u["code"] == "X01")
    assert (x01["valid_to"], x01["successor"]) == ("2025-06-30", "X20")


def test_a_split_names_one_successor(engine: Engine, config: Config, tmp_path: Path) -> None:
    path = units_file(
        tmp_path,
        row(engine, "X01", valid_to="30/06/2025", successor="X20;X21"),
        new_commune("X20", "01/07/2025"),
        {**new_commune("X21", "01/07/2025"), "email": "ubnd@x21.tinhmau.example"},
    )
    with pytest.raises(ImportRejected) as refused:
        import_units(engine, config, path, "01/07/2025 07:00")
    assert any(
        p.startswith("dòng/row 1 (X01): mỗi đơn vị chỉ có một đơn vị kế thừa")
        and "one successor per unit" in p
        for p in refused.value.problems
    ), refused.value.problems
    with transaction(engine) as store:
        assert "X20" not in store.units()  # nothing written


def test_closing_without_successor_while_owing_is_refused_with_what_is_owed(
    engine: Engine, config: Config, tmp_path: Path
) -> None:
    open_case(engine, config, "VV-2025-009", "20/06/2025 10:00", "20/06/2025 11:00")
    path = units_file(tmp_path, row(engine, "X01", valid_to="30/06/2025"))
    with pytest.raises(ImportRejected) as refused:
        import_units(engine, config, path, "01/07/2025 07:00")
    [problem] = refused.value.problems
    assert problem.startswith("X01: đóng ngày 30/06/2025 mà không có đơn vị kế thừa")
    assert "urgent_report VV-2025-009" in problem and "support_plan VV-2025-009" in problem
    with transaction(engine) as store:
        assert store.units(["X01"])["X01"].valid_to is None


def test_a_commune_that_owes_nothing_can_close_and_then_gets_nothing(
    engine: Engine, config: Config, tmp_path: Path
) -> None:
    import_units(
        engine,
        config,
        units_file(tmp_path, row(engine, "X12", valid_to="31/03/2025")),
        "01/04/2025 07:00",
    )
    with (
        pytest.raises(InvalidInput, match="hết hiệu lực sau 31/03/2025"),
        transaction(engine) as store,
    ):
        ledger.open_case(
            store,
            config,
            "VV-2025-010",
            "X12",
            "xam_hai",
            vn("02/04/2025 09:00"),
            vn("02/04/2025 10:00"),
            "test",
        )
    with transaction(engine) as store:
        ledger.generate_periodic(store, config, 2025, vn("02/04/2025 08:00"), "test")
        owing = {(o.unit, o.period) for o in store.obligations()}
    assert ("X12", "2025") not in owing and ("X12", "2025-H1") not in owing
    assert ("X11", "2025") in owing


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            lambda e: [row(e, "X01", valid_to="30/06/2025", successor="X99")],
            "dòng/row 1 (X01): đơn vị kế thừa 'X99' không có",
        ),
        (
            lambda e: [
                row(e, "X01", valid_to="30/06/2025", successor="X02"),
                row(e, "X02", valid_to="30/06/2025", successor="X01"),
            ],
            "dòng/row 2 (X02): chuỗi đơn vị kế thừa tạo vòng lặp",
        ),
        (
            lambda e: [{**new_commune("X20", "01/07/2025"), "valid_to": "30/06/2025"}],
            "dòng/row 1 (X20): hiệu lực đến 30/06/2025 trước hiệu lực từ 01/07/2025",
        ),
        (
            lambda e: [row(e, "X01", successor="X02")],
            "dòng/row 1 (X01): đơn vị kế thừa cần hiệu lực đến",
        ),
        (
            lambda e: [row(e, "X01", valid_to="31/02/2025")],
            "dòng/row 1 (X01): valid_to '31/02/2025'",
        ),
        (
            lambda e: [row(e, "H01", valid_to="30/06/2025")],
            "X04: cấp trên H01 hết hiệu lực sau 30/06/2025 mà không có đơn vị kế thừa",
        ),
    ],
)
def test_a_bad_reorganisation_is_rejected_with_its_row_and_nothing_written(
    engine: Engine, config: Config, tmp_path: Path, rows: Any, message: str
) -> None:
    with transaction(engine) as store:
        before = store.units()
    with pytest.raises(ImportRejected) as refused:
        import_units(engine, config, units_file(tmp_path, *rows(engine)), "01/07/2025 07:00")
    assert any(message in p for p in refused.value.problems), refused.value.problems
    assert "nothing was written" in str(refused.value)
    with transaction(engine) as store:
        assert store.units() == before


def test_after_a_merger_the_overdue_reminder_and_the_late_flag_follow_the_new_tree(
    engine: Engine,
    config: Config,
    sink: tuple[Sink, int],
    tmp_path: Path,
) -> None:
    handler, port = sink
    cfg = mail_config(config, port)
    # Mon 01/03/2027: a case in X01; its urgent report is due at the end of Tue 02/03
    open_case(engine, cfg, "VV-2027-101", "01/03/2027 10:00", "01/03/2027 10:05")
    deliver_at(engine, cfg, vn("01/03/2027 10:05"))
    deliver_at(engine, cfg, vn("02/03/2027 08:00"))
    handler.wait_for(lambda got: len(got) == 4)  # [KHẨN] and the deadline-day reminder, x2
    # X01 merges into X20 (under the province) at the end of 02/03, the report still unsent
    reform = units_file(
        tmp_path,
        row(engine, "X01", valid_to="02/03/2027", successor="X20"),
        new_commune("X20", "03/03/2027"),
    )
    import_units(engine, cfg, reform, "03/03/2027 07:00")
    deliver_at(engine, cfg, vn("03/03/2027 08:00"))
    deliver_at(engine, cfg, vn("03/03/2027 08:30"))  # the supervisors' digest
    handler.wait_for(lambda got: any(PROVINCE_SUPERVISOR in r.rcpt_tos for r in got))
    after = handler.received[4:]
    digest = next(r for r in after if r.rcpt_tos == (PROVINCE_SUPERVISOR,))
    overdue = [r for r in after if r.subject.startswith("[QUÁ HẠN]") and r is not digest]
    assert {r.rcpt_tos for r in overdue} == {(X20_OFFICER,), ("chutich@binhan.tinhmau.example",)}
    assert "VV-2027-101" in overdue[0].subject
    assert "UBND xã Bình An" in digest.text()
    # nothing more to the old commune, nor to the district that no longer supervises it
    old = {"treem@anbinh.huyenmau.tinhmau.example", "laodong@huyenmau.tinhmau.example"}
    assert not old & {a for r in after for a in r.rcpt_tos}
    with transaction(engine) as store:
        urgent = store.obligation_by_key("case:VV-2027-101:urgent_report")
        assert urgent is not None and (urgent.unit, urgent.moved_from) == ("X20", "X01")
        flags = [s for s in store.history(urgent.id)["steps"] if s["late_flag"]]
    assert [s["recipients"] for s in flags] == [[PROVINCE_SUPERVISOR]]
