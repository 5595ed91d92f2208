"""An admin reads the audit trail's failed logins: through the API, and with ``hanbao audit``."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.test_api import Api, api, open_case
from tests.test_cli import hanbao, hanbao_json

__all__ = ["api"]  # the fixture


def test_an_admin_lists_the_failed_logins_newest_first_and_no_one_else_does(api: Api) -> None:
    for _ in range(3):
        api.client.get("/api/obligations", headers={"Authorization": "Bearer hb_wrong"})
    assert api.client.post("/login", data={"token": "hb_wrong"}).status_code == 401
    assert open_case(api, "x01", "VV-A").status_code == 201  # another action, not listed
    listed = api.call("GET", "/api/audit?action=login_failed", "admin")
    assert listed.status_code == 200
    failures = listed.json()
    assert [f["detail"]["where"] for f in failures] == ["page", "api", "api", "api"]
    assert {f["actor"] for f in failures} == {"client:testclient"}
    assert all("hb_wrong" not in str(f) for f in failures)  # never the token typed
    assert len(api.call("GET", "/api/audit?action=login_failed&limit=2", "admin").json()) == 2
    assert api.call("GET", "/api/audit?since=11/03/2027", "admin").json() == []
    everything = api.call("GET", "/api/audit", "admin").json()
    assert "case_opened" in {e["action"] for e in everything}
    for who in ("h01", "lead", "x01"):
        assert api.call("GET", "/api/audit?action=login_failed", who).status_code == 403


def test_hanbao_audit_lists_the_failed_logins(api: Api, engine: Engine, database_url: str) -> None:
    api.client.get("/api/obligations", headers={"Authorization": "Bearer hb_wrong"})
    open_case(api, "x01", "VV-B")
    failures = hanbao_json("audit", "--action", "login_failed", db=database_url)
    assert [(f["actor"], f["action"], f["detail"]) for f in failures] == [
        ("client:testclient", "login_failed", {"where": "api"})
    ]
    table = hanbao("audit", "--limit", "5", db=database_url).stdout
    assert "login_failed" in table and "case_opened" in table
    refused = hanbao("audit", "--since", "31/02/2027", db=database_url, ok=False)
    assert refused.returncode == 2 and "31/02/2027" in refused.stderr
