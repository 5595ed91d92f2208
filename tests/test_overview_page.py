"""The leaders' overview at scale: its reads scoped to the leader's units, a per-parent summary
instead of a country's list, and the newest submissions counted past a page's worth."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from scheduler.lifecycle import ledger
from scheduler.settings import Config
from scheduler.store import overview as store_overview
from scheduler.store.queries import transaction
from scheduler.web import overview_page
from tests.conftest import open_case, vn
from tests.test_api import NOW, Api, make_api, other_district


@pytest.fixture
def api(engine: Engine, config: Config) -> Iterator[Api]:
    made = make_api(engine, config)
    open_case(engine, config, "VV-O1", "01/03/2027 10:00", "01/03/2027 10:00")  # X01, overdue
    with transaction(engine) as store:
        ledger.open_case(
            store, config, "VV-O2", "Y01", "xam_hai", vn("02/03/2027 10:00"), vn(NOW), "test"
        )
    with made.running():
        yield made


def login(api: Api, who: str) -> None:
    assert api.client.post("/login", data={"token": api.tokens[who]}).status_code == 200


def test_a_long_list_becomes_a_line_per_parent_each_linking_to_its_own_list(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(overview_page, "LISTED", 1)  # any list is "long"
    login(api, "admin")
    page = api.client.get("/overview").text
    assert 'class="obligation"' not in page and 'id="by-parent"' in page
    lines = re.findall(
        r'<tr class="parent-summary"><td><a href="/overview\?parent=(\w+)">([^<]+)</a></td>\s*'
        r'<td><span class="late">(\d+)</span></td>',
        page,
    )
    assert [(code, int(n)) for code, _, n in lines] == [("H01", 2), ("H02", 2)]
    assert 'id="overdue-count">4<' in page  # the counts are still of every report
    district = api.client.get("/overview?parent=H02").text  # one parent: listed in full
    assert len(re.findall(r'class="obligation" data-id="\d+"', district)) == 2
    assert "UBND xã Y" in district and "UBND xã An Bình" not in district


def test_the_newest_submissions_are_listed_and_the_rest_counted(
    api: Api, engine: Engine, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(overview_page, "SUBMITTED_SHOWN", 1)
    with transaction(engine) as store:
        for code, moment in (("VV-O1", "09/03/2027 08:00"), ("VV-O2", "09/03/2027 09:00")):
            urgent = store.obligation_by_key(f"case:{code}:urgent_report")
            assert urgent is not None
            ledger.submit(store, config, urgent.id, vn(moment), vn(moment), "test", via="api")
    login(api, "admin")
    recent = api.client.get("/overview").text.split('id="submitted"')[1]
    assert re.findall(
        r'class="submission" data-id="\d+"><td><a href="/overview/unit/(\w+)"', recent
    ) == ["Y01"]
    assert "… và 1 báo cáo khác" in recent


def test_the_filters_all_choice_shows_everything_in_reach(api: Api) -> None:
    login(api, "h01")
    expected = {"": 2, "?parent=&kind=": 2, "?parent=H01&kind=": 2, "?kind=urgent_report": 1}
    for query, overdue in expected.items():  # VV-O1's reports, never Y01's (another district)
        page = api.client.get(f"/overview{query}").text
        assert f'id="overdue-count">{overdue}<' in page, query
    assert 'id="overdue-count">0<' in api.client.get("/overview?parent=T01").text


@pytest.mark.parametrize("wide", [store_overview.WIDE, 0])
def test_the_overview_reads_only_the_units_asked_for(
    engine: Engine, config: Config, wide: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Named in the statement, or (past ``WIDE`` units) kept after reading: the same rows."""
    monkeypatch.setattr(store_overview, "WIDE", wide)
    with transaction(engine) as store:
        store.save_units(other_district(store.units()), vn(NOW).date())
        ledger.open_case(
            store, config, "VV-A", "X01", "xam_hai", vn("01/03/2027 10:00"), vn(NOW), "t"
        )
        ledger.open_case(
            store, config, "VV-B", "Y01", "xam_hai", vn("01/03/2027 10:00"), vn(NOW), "t"
        )
    with transaction(engine) as store:
        tree = store.unit_tree()
        assert tree["Y01"].parent == "H02" and tree["X01"].name == "UBND xã An Bình"
        district = store.subtree("H02")  # H02, what is below it, and its parent T01
        assert set(district) == {"H02", "Y01", "T01"} and district["Y01"] == tree["Y01"]
        assert set(store.subtree("T01")) == set(tree)
        mine = store.open_due_by(vn("20/03/2027 00:00"), {"X01", "X02"})
        everyone = store.open_due_by(vn("20/03/2027 00:00"), None)
        urgent = store.open_due_by(vn("20/03/2027 00:00"), {"Y01"}, "urgent_report")
        nobody = store.submitted_since(vn("01/01/2027 00:00"), set())
    assert {o.unit for o in mine} == {"X01"} and {o.unit for o in everyone} == {"X01", "Y01"}
    assert [(o.unit, o.kind, o.case_code) for o in urgent] == [("Y01", "urgent_report", "VV-B")]
    assert [o.due_at for o in everyone] == sorted(o.due_at for o in everyone)
    assert nobody == []
