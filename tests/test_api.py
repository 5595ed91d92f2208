"""The HTTP API, on SQLite and PostgreSQL: every endpoint, and who may see and do what."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any, get_args

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from scheduler.clock import SimulatedClock
from scheduler.daemon import http_options
from scheduler.hierarchy.units import Unit
from scheduler.lifecycle.receipt import DISPUTE_REASONS
from scheduler.lifecycle.sweep import sweep
from scheduler.monitoring.health import Health
from scheduler.monitoring.metrics import Metrics
from scheduler.settings import Config
from scheduler.store.queries import transaction
from scheduler.web.access import create_token
from scheduler.web.api import create_app
from scheduler.web.bodies import DisputeReason
from tests.conftest import vn

NOW = "10/03/2027 09:00"
KEY = b"k" * 48
OFFICER = "treem@anbinh.huyenmau.tinhmau.example"


@dataclass
class Api:
    client: TestClient
    tokens: dict[str, str]  # name -> token
    metrics: Metrics

    @contextmanager
    def running(self) -> Iterator[Api]:
        """The application started; on the way out, a metrics refresh still running is waited
        for, so that no thread holds a connection when the test's engine is disposed."""
        try:
            with self.client:
                yield self
        finally:
            self.metrics.close()

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
    metrics = Metrics(engine, clock)
    app = create_app(engine, cfg, clock, metrics, Health(900))
    return Api(TestClient(app), tokens, metrics)


@pytest.fixture
def api(engine: Engine, config: Config) -> Iterator[Api]:
    made = make_api(engine, config)
    with made.running():
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


def test_authentication_failures_are_slowed_but_a_valid_token_always_works(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    assert api.call("GET", "/api/obligations", None).status_code == 401
    codes = [
        api.client.get("/api/obligations", headers={"Authorization": "Bearer hb_wrong"}).status_code
        for _ in range(12)
    ]
    assert codes[:9] == [401] * 9 and codes[-1] == 429
    # a colleague's typing does not lock the leaders out: the right token still works, on the
    # API and on the page, from the same address
    assert api.call("GET", "/api/obligations", "x01").status_code == 200
    signed_in = api.client.post("/login", data={"token": api.tokens["h01"]}, follow_redirects=False)
    assert signed_in.status_code == 303
    assert api.client.post("/login", data={"token": "hb_wrong"}).status_code == 429
    failures = [r.getMessage() for r in caplog.records if "action=login_failed" in r.getMessage()]
    assert len(failures) == 14 and all("client=testclient" in line for line in failures)
    assert not any("hb_wrong" in line for line in failures)
    answer = api.client.get("/metrics", follow_redirects=False)
    assert answer.status_code == 200  # itself, not a redirect to /metrics/ (curl -f printed none)
    metrics = answer.text
    assert 'hanbao_login_failures_total{where="api"} 13.0' in metrics
    assert 'hanbao_login_failures_total{where="page"} 1.0' in metrics


def test_failed_logins_are_in_the_audit_trail_for_the_first_tries_of_an_address(
    api: Api, engine: Engine
) -> None:
    for _ in range(15):
        api.client.get("/api/obligations", headers={"Authorization": "Bearer hb_wrong"})
    with transaction(engine) as store:
        entries = [e for e in store.audit_trail() if e.action == "login_failed"]
    assert len(entries) == 10  # the first ten; a flood goes to the log and the counter
    assert {(e.actor, e.detail["where"]) for e in entries} == {("client:testclient", "api")}


def test_forwarded_for_is_believed_only_behind_a_proxy_and_only_from_it(config: Config) -> None:
    plain = http_options(config)
    assert (plain["proxy_headers"], plain["forwarded_allow_ips"]) == (False, [])
    proxied = http_options(
        replace(
            config,
            web=replace(config.web, behind_tls_proxy=True, proxy_addresses=("10.0.0.5",)),
        )
    )
    assert (proxied["proxy_headers"], proxied["forwarded_allow_ips"]) == (True, ["10.0.0.5"])


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


# --- the receiving unit's word ----------------------------------------------------------------


def submitted_case(api: Api, code: str, verified: str, at: str) -> int:
    """A case of X01 whose urgent report the commune says it sent at ``at``; its id."""
    opened = api.call(
        "POST", "/api/cases", "x01", json={"code": code, "unit": "X01", "verified_at": verified}
    )
    urgent = int(opened.json()[0]["id"])
    done = api.call("POST", f"/api/obligations/{urgent}/submission", "x01", json={"at": at})
    assert done.status_code == 200 and done.json()[0]["submitted_via"] == "api"
    return urgent


def word(api: Api, what: str, obligation: int, who: str, reason: str | None = None) -> Any:
    body = {"reason": reason} if reason is not None else None
    return api.call("POST", f"/api/obligations/{obligation}/{what}", who, json=body)


def test_the_parent_unit_confirms_a_submission_and_twice_changes_nothing(
    api: Api, engine: Engine
) -> None:
    urgent = submitted_case(api, "VV-OK", "09/03/2027 15:00", "10/03/2027 08:30")
    first = word(api, "confirmation", urgent, "h01")
    assert first.status_code == 200
    body = first.json()
    assert (body["state"], body["confirmed_at"], body["submitted_via"]) == (
        "submitted",
        "2027-03-10T09:00:00+07:00",
        "api",
    )
    again = word(api, "confirmation", urgent, "lead")
    assert again.status_code == 200 and again.json() == body
    with transaction(engine) as store:
        confirmed = [a for a in store.audit_trail(urgent) if a.action == "submission_confirmed"]
    assert [a.actor.rsplit(":", 2)[1:] for a in confirmed] == [["H01", "supervisor"]]
    other = submitted_case(api, "VV-OK2", "09/03/2027 15:00", "10/03/2027 08:40")
    assert word(api, "confirmation", other, "admin").json()["confirmed_at"] is not None


def test_only_the_receiving_side_may_confirm_or_dispute(api: Api, engine: Engine) -> None:
    urgent = submitted_case(api, "VV-ROLE", "09/03/2027 15:00", "10/03/2027 08:30")
    with transaction(engine) as store:
        api.tokens["x01sup"] = create_token(store, "X01", "supervisor", "x", vn(NOW))[1]
    for what, reason in (("confirmation", None), ("dispute", "not_received")):
        assert word(api, what, urgent, "x01", reason).status_code == 403  # the officer
        refused = word(api, what, urgent, "x01sup", reason)  # the commune that owes it
        assert refused.status_code == 403 and "only the receiving side" in refused.json()["detail"]
        assert word(api, what, urgent, "h02", reason).status_code == 404  # another district
        assert word(api, what, urgent, "y01", reason).status_code == 404
    unknown = word(api, "dispute", urgent, "h01", "Nguyễn Văn A không nộp")
    extra = api.call(
        "POST",
        f"/api/obligations/{urgent}/dispute",
        "h01",
        json={"reason": "not_received", "note": "tên trẻ"},
    )
    assert (unknown.status_code, extra.status_code) == (422, 422)
    plan = api.call("GET", "/api/obligations?kind=support_plan", "h01").json()[0]["id"]
    api.call("POST", f"/api/obligations/{plan}/submission", "x01", json={"at": NOW})
    refused = word(api, "confirmation", plan, "h01")
    assert (
        refused.status_code == 422 and "does not go to the parent unit" in refused.json()["detail"]
    )
    written = api.call("GET", "/api/obligations?kind=written_report", "h01").json()[0]["id"]
    assert word(api, "confirmation", written, "h01").status_code == 409  # nothing submitted yet
    state = api.call("GET", f"/api/obligations/{urgent}", "h01").json()
    assert (state["state"], state["confirmed_at"], state["disputed_at"]) == (
        "submitted",
        None,
        None,
    )
    assert not [a for a in state["audit"] if a["action"].startswith("submission_")]


def test_a_dispute_before_the_deadline_reopens_and_reminders_resume(
    api: Api, engine: Engine, config: Config
) -> None:
    urgent = submitted_case(api, "VV-DISP", "09/03/2027 15:00", "10/03/2027 08:30")  # due 10/03
    assert [e for e in sweep(engine, config, vn(NOW)) if e.obligation.id == urgent] == []
    disputed = word(api, "dispute", urgent, "h01", "not_received")
    assert disputed.status_code == 200
    body = disputed.json()
    assert (body["state"], body["submitted_at"], body["submitted_via"], body["days_late"]) == (
        "open",
        None,
        None,
        0,
    )
    assert body["disputed_at"] == "2027-03-10T09:00:00+07:00"
    emitted = [e for e in sweep(engine, config, vn(NOW)) if e.obligation.id == urgent]
    assert emitted and all(OFFICER in e.recipients for e in emitted)  # reminded again
    assert not any(e.late_flag for e in emitted)
    assert [e for e in sweep(engine, config, vn(NOW)) if e.obligation.id == urgent] == []
    assert word(api, "dispute", urgent, "h01", "not_received").status_code == 409  # nothing left
    history = api.call("GET", f"/api/obligations/{urgent}", "h01").json()
    (audit,) = [a for a in history["audit"] if a["action"] == "submission_disputed"]
    assert (
        audit["actor"].endswith(":H01:supervisor") and audit["detail"]["reason"] == "not_received"
    )


def test_a_dispute_after_the_deadline_is_late_and_flags_the_commune(
    api: Api, engine: Engine, config: Config
) -> None:
    urgent = submitted_case(api, "VV-LATE", "05/03/2027 10:00", "08/03/2027 09:00")  # due 08/03
    assert word(api, "confirmation", urgent, "h01").status_code == 200
    body = word(api, "dispute", urgent, "lead", "wrong_report").json()
    assert (body["state"], body["days_late"], body["confirmed_at"]) == ("overdue", 2, None)
    emitted = [e for e in sweep(engine, config, vn(NOW)) if e.obligation.id == urgent]
    assert [e.step for e in emitted if e.late_flag] == ["late_flag"]
    history = api.call("GET", f"/api/obligations/{urgent}", "h01").json()
    (audit,) = [a for a in history["audit"] if a["action"] == "submission_disputed"]
    assert audit["detail"]["was_confirmed"] is True and audit["detail"]["reason"] == "wrong_report"
    # the commune sends it again: a new submission, late, for the district to confirm
    again = api.call(
        "POST", f"/api/obligations/{urgent}/submission", "x01", json={"at": NOW}
    ).json()[0]
    assert (again["state"], again["days_late"], again["disputed_at"]) == ("submitted", 2, None)


def test_the_district_word_is_documented_in_openapi(api: Api) -> None:
    assert set(get_args(DisputeReason)) == set(DISPUTE_REASONS)
    paths = api.client.get("/openapi.json").json()["paths"]
    for what in ("confirmation", "dispute"):
        operation = paths[f"/api/obligations/{{obligation_id}}/{what}"]["post"]
        assert {"200", "403", "404", "409"} <= set(operation["responses"])
    schemas = api.client.get("/openapi.json").json()["components"]["schemas"]
    reason = schemas["DisputeIn"]["properties"]["reason"]
    assert set(reason.get("enum") or reason["allOf"][0]["enum"]) == set(DISPUTE_REASONS)
    assert schemas["DisputeIn"].get("additionalProperties") is False


def cases_written(api: Api) -> int:
    return len(api.call("GET", "/api/obligations", "admin").json())


def test_a_body_over_the_limit_is_413_before_it_is_read_or_authenticated(api: Api) -> None:
    before = cases_written(api)
    big = {"code": "VV-BIG", "unit": "X01", "verified_at": "09/03/2027 15:00", "pad": "x" * 2**21}
    assert api.call("POST", "/api/cases", "x01", json=big).status_code == 413
    assert api.call("POST", "/api/cases", None, json=big).status_code == 413  # not 401 first
    lying = api.client.post(
        "/api/cases", content=b"{}", headers={"Content-Length": "99999999999999999999"}
    )
    assert lying.status_code in (400, 413)
    assert cases_written(api) == before


def test_a_chunked_body_is_cut_off_at_the_limit(api: Api) -> None:
    before = cases_written(api)

    def chunks() -> Iterator[bytes]:
        yield b'{"code": "VV-CHUNK", "unit": "X01", "verified_at": "09/03/2027 15:00", "p": "'
        for _ in range(40):
            yield b"y" * 65536
        yield b'"}'

    response = api.client.post(
        "/api/cases",
        content=chunks(),
        headers={
            "Authorization": f"Bearer {api.tokens['x01']}",
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 413 and "max_body_bytes" in response.text
    assert cases_written(api) == before


def test_unknown_fields_are_refused_and_a_422_echoes_only_an_excerpt(api: Api) -> None:
    before = cases_written(api)
    padded = {"code": "VV-PAD", "unit": "X01", "verified_at": "09/03/2027 15:00", "pad": "z"}
    refused = api.call("POST", "/api/cases", "x01", json=padded)
    assert refused.status_code == 422 and refused.json()["errors"][0]["loc"] == ["body", "pad"]
    assert refused.json()["detail"].startswith("body.pad: Extra inputs are not permitted")
    long_code = {"code": "C" * 200_000, "unit": "X01", "verified_at": "09/03/2027 15:00"}
    answer = api.call("POST", "/api/cases", "x01", json=long_code)
    assert answer.status_code == 422 and len(answer.content) < 2000
    assert cases_written(api) == before


def test_every_error_is_detail_as_a_string_and_declared_in_the_document(api: Api) -> None:
    """One shape for every error the API gives, each status declared with it (issue 17, 7)."""
    raw = {"Authorization": f"Bearer {api.tokens['h01']}", "Content-Type": "application/json"}
    answers = {
        400: api.client.post(
            "/api/obligations/1/submission", content=b'{"at": "\xff"}', headers=raw
        ),
        401: api.call("GET", "/api/obligations", None),
        403: api.call("GET", "/api/audit", "h01"),
        404: api.call("GET", "/api/obligations/999999", "h01"),
        409: (open_case(api, "x01", "VV-E"), open_case(api, "x01", "VV-E"))[1],
        413: api.client.post(
            "/api/cases", content=b"{}", headers={**raw, "Content-Length": str(2**21)}
        ),
        422: api.call("POST", "/api/adhoc", "h01", json={"unit": "X01"}),
    }
    for status, answer in answers.items():
        assert answer.status_code == status, (status, answer.text)
        body = answer.json()
        assert isinstance(body["detail"], str) and body["detail"], (status, body)
        assert set(body) <= {"detail", "errors"}
    clock_rule = api.call(  # the API's own 422: a string too, no longer where a list was
        "POST",
        "/api/cases",
        "x01",
        json={"code": "VV-F", "unit": "X01", "verified_at": "11/03/2027 09:00"},
    )
    assert clock_rule.status_code == 422 and "in the future" in clock_rule.json()["detail"]
    document = api.client.get("/openapi.json").json()
    problem = {"$ref": "#/components/schemas/Problem"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            declared = operation["responses"]
            for code in ("401", "422", "429"):
                assert declared[code]["content"]["application/json"]["schema"] == problem, (
                    method,
                    path,
                    code,
                )
            if method == "post":
                assert {"404", "409"} <= set(declared), (method, path)
            if "requestBody" in operation:
                assert {"400", "413"} <= set(declared), (method, path)
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_the_login_form_has_the_same_limit(api: Api) -> None:
    response = api.client.post("/login", data={"token": "t" * 2**21})
    assert response.status_code == 413


def test_a_metrics_refresh_in_progress_ends_before_the_application_stops(
    engine: Engine, config: Config
) -> None:
    """The on-time ratio is computed in a thread of its own; it must not outlive the application
    and hold a connection of an engine that is then disposed (CI saw one leaked)."""
    made = make_api(engine, config)
    with made.running():
        made.client.get("/metrics")  # starts the computation
        thread = made.metrics.on_time.thread
        assert thread is not None
    assert not thread.is_alive()
