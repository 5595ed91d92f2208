"""In a real browser (Debian's Chromium, driven by Playwright): a leader logs in to the
overview, the officer follows the acknowledgement link from a mail captured by aiosmtpd,
confirms, and the obligation leaves the overdue list for the week's submissions, self-declared;
the district confirms it by its link, and the page says so. Saves a screenshot of the page."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from scheduler.links import sign
from scheduler.settings import Config
from scheduler.store.queries import transaction
from scheduler.web.access import create_token
from tests.conftest import FIGURES, ROOT, open_case, vn, write_settings
from tests.mailsink import Sink, free_port, start
from tests.test_daemon import FAST, daemon

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = ROOT / "test-artifacts"
OFFICER = "treem@anbinh.huyenmau.tinhmau.example"
SUPERVISOR = "laodong@huyenmau.tinhmau.example"
KEY = b"s" * 48
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)"
)


def test_leader_sees_the_case_leave_the_overdue_list_after_the_link(
    engine: Engine,
    config: Config,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from playwright.sync_api import sync_playwright

    urgent = open_case(engine, config, "VV-BROWSER", "01/03/2027 10:00", "01/03/2027 10:00")
    with transaction(engine) as store:
        token = create_token(store, "H01", "supervisor", "browser", vn("01/03/2027 10:00"))[1]
    handler, smtp_port = Sink(), free_port()
    controller = start(handler, smtp_port)
    http_port = free_port()
    base = f"http://127.0.0.1:{http_port}"
    settings = write_settings(
        tmp_path,
        database_url,
        smtp_port,
        daemon={**FAST, "http_port": http_port},
        mail={"rate_per_minute": 60_000},
        web={"base_url": base},
    )
    monkeypatch.setenv("HANBAO_SIGNING_KEY", KEY.decode())  # inherited by the daemon subprocess
    try:
        with daemon(settings, f"start=10/03/2027 09:00;speed=1;anchor={time.time()}") as running:
            handler.wait_for(
                lambda got: any(r.rcpt_tos == (OFFICER,) and "/ack/" in r.text() for r in got), 60
            )
            mail = next(r for r in handler.received if r.rcpt_tos == (OFFICER,))
            links = re.findall(rf"{re.escape(base)}/ack/\S+", mail.text())
            assert links
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM,
                    args=[
                        "--no-sandbox",
                        "--disable-gpu",
                        "--disable-background-networking",
                        "--disable-component-update",
                        "--no-first-run",
                    ],
                )
                page = browser.new_page(viewport={"width": 412, "height": 900})  # a phone
                page.goto(f"{base}/login")
                page.fill("#token", token)
                page.click("button[type=submit]")
                page.wait_for_url(f"{base}/overview")
                row = f'tr.obligation[data-id="{urgent}"]'
                assert page.locator(row).count() == 1
                header = page.locator("header").bounding_box()
                logout = page.locator("header button", has_text="Đăng xuất").bounding_box()
                assert header is not None and logout is not None
                assert header["y"] <= logout["y"]  # the button sits inside the header's band
                assert logout["y"] + logout["height"] <= header["y"] + header["height"]
                SCREENSHOTS.mkdir(exist_ok=True)
                shot = SCREENSHOTS / "overview.png"
                page.screenshot(path=str(shot), full_page=True)

                officer = browser.new_page()
                officer.goto(next(link for link in links if f'"o":{urgent}' in _payload(link)))
                officer.click("#confirm")
                officer.wait_for_selector("#done")
                assert "Đã ghi nhận" in officer.inner_text("#done")

                page.reload()
                assert page.locator(row).count() == 0
                standing = page.locator(f'#submitted tr[data-id="{urgent}"] .standing')
                assert standing.inner_text() == "Đơn vị tự báo đã gửi (qua liên kết)"

                # the district's "Đã nhận", as its digest would link it
                with transaction(engine) as store:
                    acked = store.obligation(urgent)
                assert acked is not None
                district = browser.new_page()
                district.goto(
                    f"{base}/confirm/"
                    + sign(
                        KEY,
                        urgent,
                        SUPERVISOR,
                        vn("10/03/2027 09:00"),
                        30,
                        "confirm",
                        acked.submitted_at,
                    )
                )
                district.click("#confirm")
                district.wait_for_selector("#done")
                page.reload()
                assert standing.inner_text().startswith("Cấp trên đã xác nhận đã nhận")
                browser.close()
            running.stop()  # SIGTERM, and it must exit 0
    finally:
        controller.stop()
    assert shot.stat().st_size > 10_000
    FIGURES.append(f"browser test ({engine.dialect.name}): overview screenshot at {shot}")


def _payload(link: str) -> str:
    import base64

    text = link.rsplit("/", 1)[1].split(".")[0]
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
