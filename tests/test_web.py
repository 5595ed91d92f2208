"""The leaders' overview page and its login, through the real HTTP application."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy import Engine

from scheduler.clock import SimulatedClock
from scheduler.lifecycle import ledger, receipt
from scheduler.lifecycle.sweep import sweep
from scheduler.records import Via
from scheduler.settings import Config
from scheduler.store.queries import transaction
from scheduler.web.access import authenticate, revoke_token
from tests.conftest import open_case, vn
from tests.test_api import Api, make_api


@pytest.fixture
def api(engine: Engine, config: Config) -> Iterator[Api]:
    made = make_api(engine, config)
    with transaction(engine) as store:
        ledger.generate_periodic(store, config, 2027, vn("01/01/2027 00:00"), "test")
    open_case(engine, config, "VV-W1", "01/03/2027 10:00", "01/03/2027 10:00")  # overdue
    with made.running():
        yield made


def login(api: Api, who: str) -> int:
    response = api.client.post("/login", data={"token": api.tokens[who]}, follow_redirects=False)
    return response.status_code


def test_the_page_needs_a_login_by_a_leader_or_supervisor(api: Api) -> None:
    assert api.client.get("/overview", follow_redirects=False).headers["location"] == "/login"
    assert login(api, "x01") == 401  # a commune officer does not get the leaders' page
    assert api.client.get("/overview", follow_redirects=False).status_code == 303
    assert login(api, "h01") == 303
    cookie = api.client.cookies.get("hanbao_session")
    assert cookie is not None
    page = api.client.get("/overview")
    assert page.status_code == 200 and "báo cáo quá hạn" in page.text


def test_session_cookie_is_httponly_strict_and_tamper_proof(api: Api) -> None:
    response = api.client.post("/login", data={"token": api.tokens["lead"]}, follow_redirects=False)
    header = response.headers["set-cookie"].lower()
    assert "httponly" in header and "samesite=strict" in header
    value = api.client.cookies["hanbao_session"]
    mac = value.split(".")[1]
    api.client.cookies.clear()
    api.client.post("/login", data={"token": api.tokens["h01"]}, follow_redirects=False)
    other = api.client.cookies["hanbao_session"].split(".")[0]
    api.client.cookies.clear()
    api.client.cookies.set("hanbao_session", f"{other}.{mac}")  # another session, this mac
    assert api.client.get("/overview", follow_redirects=False).status_code == 303
    api.client.cookies.clear()  # the same path with the genuine value does get in
    api.client.cookies.set("hanbao_session", value)
    assert api.client.get("/overview", follow_redirects=False).status_code == 200


GARBLED = [
    "hanbao_session=1.9999999999.tôi".encode(),  # the issue's: non-ASCII where a mac was
    "hanbao_session=1.9999999999.tôi".encode("latin-1"),
    b"hanbao_session=\xff\xfe.\x80",
    b"hanbao_session=...",
    b"hanbao_session=",
]


@pytest.mark.parametrize("path", ["/overview", "/overview/unit/X01", "/overview/export.csv"])
@pytest.mark.parametrize("cookie", GARBLED)
def test_a_garbled_session_cookie_is_not_logged_in(api: Api, path: str, cookie: bytes) -> None:
    response = api.client.get(path, headers={b"cookie": cookie}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"


@pytest.mark.parametrize("path", ["/overview", "/overview/unit/X01", "/overview/export.csv"])
def test_a_real_cookie_ending_in_a_non_ascii_letter_is_not_logged_in(api: Api, path: str) -> None:
    assert login(api, "lead") == 303
    value = api.client.cookies["hanbao_session"]
    api.client.cookies.clear()
    for altered in (value[:-1] + "é", value + "=", value + "é"):
        cookie = f"hanbao_session={altered}".encode()
        response = api.client.get(path, headers={b"cookie": cookie}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login"
    # the genuine value, sent the same way, does get in
    genuine = api.client.get(path, headers={b"cookie": f"hanbao_session={value}".encode()})
    assert genuine.status_code == 200


def test_the_trend_counts_calendar_months_so_a_february_flag_shows_on_31_march(
    api: Api, engine: Engine, config: Config
) -> None:
    open_case(engine, config, "VV-FEB", "22/02/2027 10:00", "22/02/2027 10:00")
    flagged = sweep(engine, config, vn("26/02/2027 09:00"))
    assert [e.at for e in flagged if e.late_flag]  # recorded on 26/02/2027
    app = api.client.app
    assert isinstance(app, FastAPI)
    app.state.services.clock = SimulatedClock(vn("31/03/2027 10:00"), anchor=0, speed=0)
    login(api, "h01")
    page = api.client.get("/overview").text
    rows = re.findall(r"<tr><td>(\d\d/\d{4})</td><td>.*?</span> (\d+)</td></tr>", page)
    assert [month for month, _ in rows] == [f"{m:02d}/2026" for m in range(4, 13)] + [
        "01/2027",
        "02/2027",
        "03/2027",
    ]
    assert dict(rows)["02/2027"] != "0"


def test_overview_shows_overdue_by_parent_and_unit_within_reach(api: Api) -> None:
    login(api, "h01")
    page = api.client.get("/overview").text
    assert "UBND huyện Mẫu Sơn" in page and "UBND xã An Bình" in page
    assert 'id="overdue-count">2<' in page  # the case's urgent report and support plan
    assert "UBND xã Y" not in page  # another district
    filtered = api.client.get("/overview?kind=support_plan").text
    assert 'id="overdue-count">1<' in filtered
    assert api.client.get("/overview/unit/X01").status_code == 200
    assert api.client.get("/overview/unit/Y01").status_code == 404


def test_the_kind_filter_leaves_out_a_one_off_plan_of_years_ago(api: Api) -> None:
    login(api, "h01")
    page = api.client.get("/overview").text
    assert "Báo cáo định kỳ 06 tháng" in page
    assert "Ban Chỉ đạo 138" not in page and "seed" not in page


def test_exports_are_the_leaders_table(api: Api) -> None:
    login(api, "h01")
    xlsx = api.client.get("/overview/export.xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "Đơn vị cấp trên" and len(rows) == 2 + 2
    csv = api.client.get("/overview/export.csv")
    assert csv.content.startswith(b"\xef\xbb\xbf") and "VV-W1" in csv.content.decode("utf-8-sig")


def test_logout_ends_the_session(api: Api) -> None:
    login(api, "admin")
    assert api.client.get("/overview").status_code == 200
    api.client.post("/logout", follow_redirects=False)
    assert api.client.get("/overview", follow_redirects=False).status_code == 303


def test_a_revoked_token_stops_api_calls_and_page_sessions(api: Api, engine: Engine) -> None:
    login(api, "h01")
    assert api.client.get("/overview").status_code == 200
    with transaction(engine) as store:
        who = authenticate(store, api.tokens["h01"])
        assert who is not None
        revoke_token(store, who.token_id, vn("10/03/2027 09:00"))
    assert api.client.get("/overview", follow_redirects=False).status_code == 303
    assert api.call("GET", "/api/obligations", "h01").status_code == 401


def test_the_leaders_see_how_each_submission_stands(
    api: Api, engine: Engine, config: Config
) -> None:
    by_link = open_case(engine, config, "VV-S1", "05/03/2027 10:00", "05/03/2027 10:00")
    by_mail = open_case(engine, config, "VV-S2", "05/03/2027 11:00", "05/03/2027 11:00")
    with transaction(engine) as store:
        disputed = next(o.id for o in store.obligations(unit="X01") if o.case_code == "VV-W1")
        ways: list[tuple[int, Via]] = [(by_link, "link"), (by_mail, "mail"), (disputed, "api")]
        for obligation, via in ways:
            moment = vn("08/03/2027 09:00")
            ledger.submit(store, config, obligation, moment, moment, "test", via=via)
        receipt.confirm(store, config, by_mail, vn("09/03/2027 08:00"), "cli")
        receipt.dispute(store, config, disputed, "not_received", vn("09/03/2027 08:10"), "cli")
    login(api, "h01")
    page = api.client.get("/overview").text
    recent = page[page.index('id="submitted"') :]
    assert "Đơn vị tự báo đã gửi (qua liên kết)" in recent
    assert "Cấp trên đã xác nhận đã nhận (09/03/2027 08:00)" in recent
    overdue = page[page.index(f'data-id="{disputed}"') :]
    assert overdue.index("Cấp trên chưa nhận được (09/03/2027 08:10)") < overdue.index("</tr>")
    history = api.client.get("/overview/unit/X01").text
    assert "Tình trạng nộp" in history and "Đã thấy thư báo cáo" not in history  # confirmed
    assert "Cấp trên đã xác nhận đã nhận (09/03/2027 08:00)" in history
    rows = list(
        csv.reader(io.StringIO(api.client.get("/overview/export.csv").text.lstrip("\ufeff")))
    )
    assert rows[0][-1] == "Tình trạng nộp" and rows[0][6] == "Số ngày quá hạn"
    (line,) = [r for r in rows if r[4] == "VV-W1" and r[3].startswith("Báo cáo nhanh")]
    assert line[-1] == "Cấp trên chưa nhận được (09/03/2027 08:10)"
