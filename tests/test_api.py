"""The HTTP API, on SQLite and PostgreSQL: every endpoint, and who may see and do what."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from scheduler.access import create_token
from scheduler.api import create_app
from scheduler.clock import SimulatedClock
from scheduler.health import Health
from scheduler.hierarchy.units import Unit
from scheduler.metrics import Metrics
from scheduler.settings import Config
from scheduler.store.queries import transaction
from tests.conftest import vn

NOW = "10/03/2027 09:00"
KEY = b"k" * 48


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str]  # name -> token

    def call(self, method: str, path: str, who: str | None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return self.client.request(method, path, headers=headers, **kwargs)


def other_district(store_units: dict[str, Unit]) -> list[Unit]:
    """A second district H02 with one commune Y01, beside the sample's H01."""
    h01, x01 = store_units["H01"], store_units["X01"]
    d = "huyenkhac.tinhmau.example"
    return [
        replace(
            h01,
            code="H02",
            name="UBND huyện Khác",
            email=f"vt@{d}",
            contacts={"leader": (f"ct@{d}",), "supervisor": (f"ld@{d}",)},
        ),
        replace(
            x01,
            code="Y01",
            name="UBND xã Y",
            parent="H02",
            email=f"ubnd@y.{d}",
            contacts={"officer": (f"treem@y.{d}",), "leader": (f"ct@y.{d}",)},
        ),
    ]


def make_api(engine: Engine, config: Config) -> Api:
    cfg = replace(config, web=replace(config.web, signing_key=KEY))
    clock = SimulatedClock(vn(NOW), anchor=0, speed=0)
    tokens = {}
    with transaction(engine) as store:
        store.save_units(other_district(store.units()), vn(NOW).date())
        for name, unit, role in (
            ("x01", "X01", "officer"),
            ("y01", "Y01", "officer"),
            ("h01", "H01", "supervisor"),
            ("h02", "H02", "supervisor"),
            ("lead", "H01", "leader"),
            ("admin", "T01", "admin"),
        ):
            tokens[name] = create_token(store, unit, role, name, vn(NOW))[1]
    app = create_app(engine, cfg, clock, Metrics(engine, clock).registry, Health(900))
    return Api(TestClient(app), tokens)


@pytest.fixture
def api(engine: Engine, config: Config) -> Iterator[Api]:
    made = make_api(engine, config)
    with made.client:
        yield made


def open_case(api: Api, who: str, code: str, unit: str = "X01") -> Any:
    return api.call(
        "POST",
        "/api/cases",
        who,
        json={"code": code, "unit": unit, "verified_at": "09/03/2027 15:00"},
    )


def test_open_report_and_read_a_case(api: Api) -> None:
    response = open_case(api, "x01", "VV-API-1")
    assert response.status_code == 201
    urgent = response.json()[0]
    assert (urgent["kind"], urgent["due"], urgent["state"]) == (
        "urgent_report",
        "2027-03-10T23:59:59+07:00",
        "open",
    )
    reported = api.call(
        "POST",
        "/api/cases/VV-API-1/reports",
        "x01",
        json={"stage": "urgent", "at": "10/03/2027 08:30"},
    )
    assert [(o["kind"], o["state"]) for o in reported.json()] == [
        ("urgent_report", "submitted"),
        ("written_report", "open"),
    ]
    written = reported.json()[1]
    assert written["due"] == "2027-03-12T23:59:59+07:00"
    done = api.call(
        "POST",
        "/api/cases/VV-API-1/reports",
        "x01",
        json={"stage": "written", "at": "10/03/2027 08:45"},
    )
    assert done.status_code == 200
    history = api.call("GET", f"/api/obligations/{urgent['id']}", "x01").json()
    actions = [a["action"] for a in history["audit"]]
    assert actions[:2] == ["obligation_created", "submitted"]
    assert all(a["actor"].startswith("token:") for a in history["audit"])
    assert set(history) >= {"steps", "mails", "audit", "due", "state"}


def test_adhoc_request_and_periodic_submission(api: Api) -> None:
    assert (
        api.call(
            "POST",
            "/api/adhoc",
            "x01",
            json={
                "unit": "X01",
                "reference": "1/UBND",
                "due": "20/03/2027",
                "requested_by": "UBND huyện",
            },
        ).status_code
        == 403
    )
    created = api.call(
        "POST",
        "/api/adhoc",
        "h01",
        json={
            "unit": "X01",
            "reference": "1/UBND",
            "due": "20/03/2027",
            "requested_by": "UBND huyện",
        },
    )
    assert created.status_code == 201
    obligation = created.json()
    assert obligation["due"] == "2027-03-20T23:59:59+07:00"
    submitted = api.call(
        "POST",
        f"/api/obligations/{obligation['id']}/submission",
        "x01",
        json={"at": "10/03/2027 09:00"},
    )
    assert submitted.json()[0]["state"] == "submitted"
    again = api.call(
        "POST",
        f"/api/obligations/{obligation['id']}/submission",
        "x01",
        json={"at": "10/03/2027 09:00"},
    )
    assert again.status_code == 409


def test_list_with_filters(api: Api) -> None:
    open_case(api, "x01", "VV-L1")
    open_case(api, "y01", "VV-L2", unit="Y01")
    mine = api.call("GET", "/api/obligations?kind=urgent_report", "x01").json()
    assert [o["case"] for o in mine] == ["VV-L1"]
    assert api.call("GET", "/api/obligations?state=submitted", "x01").json() == []
    everything = api.call("GET", "/api/obligations?kind=urgent_report", "admin").json()
    assert {o["case"] for o in everything} == {"VV-L1", "VV-L2"}


def test_a_commune_cannot_see_or_change_another_commune(api: Api) -> None:
    theirs = open_case(api, "y01", "VV-Y", unit="Y01").json()[0]
    assert open_case(api, "x01", "VV-X", unit="Y01").status_code == 404
    assert api.call("GET", f"/api/obligations/{theirs['id']}", "x01").status_code == 404
    assert (
        api.call(
            "POST",
            f"/api/obligations/{theirs['id']}/submission",
            "x01",
            json={"at": "10/03/2027 08:00"},
        ).status_code
        == 404
    )
    assert (
        api.call(
            "POST",
            "/api/cases/VV-Y/reports",
            "x01",
            json={"stage": "urgent", "at": "10/03/2027 08:00"},
        ).status_code
        == 404
    )
    assert api.call("GET", "/api/obligations?unit=Y01", "x01").status_code == 404
    assert api.call("GET", "/api/obligations", "x01").json() == []


def test_a_district_sees_its_communes_not_another_districts(api: Api) -> None:
    ours = open_case(api, "x01", "VV-H1").json()[0]
    theirs = open_case(api, "y01", "VV-H2", unit="Y01").json()[0]
    assert api.call("GET", f"/api/obligations/{ours['id']}", "h01").status_code == 200
    assert api.call("GET", f"/api/obligations/{ours['id']}", "lead").status_code == 200
    assert api.call("GET", f"/api/obligations/{theirs['id']}", "h01").status_code == 404
    listed = {o["case"] for o in api.call("GET", "/api/obligations", "h01").json()}
    assert listed == {"VV-H1"}
    assert (
        api.call(
            "POST",
            "/api/adhoc",
            "h01",
            json={
                "unit": "Y01",
                "reference": "2/UBND",
                "due": "20/03/2027",
                "requested_by": "UBND huyện",
            },
        ).status_code
        == 404
    )


def test_bad_input_is_422_with_what_to_fix_and_writes_nothing(api: Api) -> None:
    bad_date = api.call(
        "POST",
        "/api/cases",
        "x01",
        json={"code": "VV-BAD", "unit": "X01", "verified_at": "31/02/2027 10:00"},
    )
    assert bad_date.status_code == 422
    assert "dd/mm/yyyy" in bad_date.json()["detail"]
    name = api.call(
        "POST",
        "/api/cases",
        "x01",
        json={"code": "Nguyễn Văn A", "unit": "X01", "verified_at": "09/03/2027 10:00"},
    )
    assert name.status_code == 422
    missing = api.call("POST", "/api/cases", "x01", json={"code": "VV-M"})
    assert missing.status_code == 422
    assert api.call("GET", "/api/obligations", "admin").json() == []


def test_a_case_verified_decades_ago_needs_backfill(api: Api) -> None:
    old = {"code": "VV-1990", "unit": "X01", "verified_at": "01/01/1990 10:00"}
    refused = api.call("POST", "/api/cases", "x01", json=old)
    assert refused.status_code == 422 and '"backfill": true' in refused.json()["detail"]
    assert api.call("GET", "/api/obligations", "admin").json() == []
    backfilled = api.call("POST", "/api/cases", "x01", json={**old, "backfill": True})
    assert backfilled.status_code == 201


def test_an_adhoc_reference_with_a_control_character_is_422_not_a_server_error(api: Api) -> None:
    adhoc = {"unit": "X01", "reference": "1\x00/UBND", "due": "20/03/2027", "requested_by": "UBND"}
    refused = api.call("POST", "/api/adhoc", "h01", json=adhoc)
    assert refused.status_code == 422 and "printable" in refused.json()["detail"]


def test_refusals_say_why_in_vietnamese_and_english(api: Api) -> None:
    anonymous = api.call("GET", "/api/obligations", None).json()["detail"]
    assert "cần token hợp lệ / a valid token is needed" in anonymous
    adhoc = {"unit": "X01", "reference": "1/UBND", "due": "20/03/2027", "requested_by": "UBND"}
    officer = api.call("POST", "/api/adhoc", "x01", json=adhoc).json()["detail"]
    assert "/ only a supervising unit" in officer


def test_authentication_failures_are_limited(api: Api) -> None:
    assert api.call("GET", "/api/obligations", None).status_code == 401
    codes = [
        api.client.get("/api/obligations", headers={"Authorization": "Bearer hb_wrong"}).status_code
        for _ in range(12)
    ]
    assert codes[:9] == [401] * 9 and codes[-1] == 429
    # even the right token waits once the address is blocked
    assert api.call("GET", "/api/obligations", "x01").status_code == 429


def test_security_headers(api: Api) -> None:
    response = api.client.get("/openapi.json")
    assert response.status_code == 200
    for header in (
        "X-Content-Type-Options",
        "X-Frame-Options",
        "Content-Security-Policy",
        "Referrer-Policy",
    ):
        assert header in response.headers
    assert response.headers["Referrer-Policy"] == "no-referrer"
