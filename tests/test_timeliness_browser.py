"""The leaders' timeliness page in a real browser (Debian's Chromium, driven by Playwright), on
the daemon, at phone and desktop width and printed on A4; screenshots and the PDF are saved."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from scheduler.settings import Config
from scheduler.store.queries import transaction
from scheduler.web.access import create_token
from tests.conftest import FIGURES, vn, write_settings
from tests.mailsink import Sink, free_port, start
from tests.test_browser import CHROMIUM, SCREENSHOTS
from tests.test_daemon import FAST, daemon
from tests.test_timeliness import READ_AT, build_scenario

pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)"
)
NO_SIDEWAYS_SCROLL = (
    "document.documentElement.scrollWidth <= window.innerWidth && "
    "[...document.querySelectorAll('.table')].every(t => t.scrollWidth <= t.clientWidth)"
)


def test_the_timeliness_page_reads_on_a_phone_and_a_desk_and_prints_on_a4(
    engine: Engine,
    config: Config,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from playwright.sync_api import sync_playwright

    build_scenario(engine, config)
    with transaction(engine) as store:
        token = create_token(store, "T01", "leader", "browser", vn(READ_AT))[1]
    handler, smtp_port = Sink(), free_port()
    controller = start(handler, smtp_port)
    http_port = free_port()
    base = f"http://127.0.0.1:{http_port}"
    settings = write_settings(
        tmp_path,
        database_url,
        smtp_port,
        daemon={**FAST, "http_port": http_port},
        web={"base_url": base},
    )
    monkeypatch.setenv("HANBAO_SIGNING_KEY", "s" * 48)
    name = engine.dialect.name
    shots = {w: SCREENSHOTS / f"timeliness-{w}-{name}.png" for w in ("phone", "desktop")}
    pdf = SCREENSHOTS / f"timeliness-a4-{name}.pdf"
    page_url = f"{base}/overview/timeliness?from=01/03/2027&to=30/06/2027&kind=urgent_report"
    try:
        with daemon(settings, f"start=10/07/2027 12:00;speed=1;anchor={time.time()}") as running:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=CHROMIUM,
                    args=["--no-sandbox", "--disable-gpu", "--no-first-run"],
                )
                page = browser.new_page(viewport={"width": 412, "height": 900})  # a phone
                page.goto(f"{base}/login")
                page.fill("#token", token)
                page.click("button[type=submit]")
                page.wait_for_url(f"{base}/overview")
                page.click("text=Tỷ lệ báo cáo đúng hạn")
                page.wait_for_url(f"{base}/overview/timeliness")
                page.goto(page_url)
                # the province's card ranks its district; the district's card its communes
                cards = page.locator(".card.parent")
                assert cards.evaluate_all("cs => cs.map(c => c.dataset.unit)") == ["T01", "H01"]
                communes = cards.nth(1).locator("tr.unit")
                assert communes.evaluate_all("rs => rs.map(r => r.dataset.unit)") == [
                    "X01",
                    "X04",
                    "X02",
                    "X03",
                ]
                assert communes.nth(3).locator("td.rate").inner_text() == "0.0 %"
                assert page.locator("svg.trend").count() == 7  # 2 parents, 1 district, 4 communes
                assert page.locator("svg.trend").first.is_visible()
                assert page.evaluate(NO_SIDEWAYS_SCROLL)  # nothing wider than the phone
                SCREENSHOTS.mkdir(exist_ok=True)
                page.screenshot(path=str(shots["phone"]), full_page=True)

                page.set_viewport_size({"width": 1280, "height": 900})
                assert page.locator("th.wide").first.is_visible()  # the full table on a desk
                page.screenshot(path=str(shots["desktop"]), full_page=True)

                page.emulate_media(media="print")
                assert not page.locator("form.filters").is_visible()
                page.set_viewport_size({"width": 718, "height": 1000})  # A4 less margins, 96 dpi
                assert page.evaluate(NO_SIDEWAYS_SCROLL)
                page.pdf(path=str(pdf), format="A4")
                browser.close()
            running.stop()
    finally:
        controller.stop()
    assert all(shot.stat().st_size > 10_000 for shot in shots.values())
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.read_bytes().count(b"/Type /Page\n") <= 2
    FIGURES.append(f"timeliness page ({name}): {shots['phone']}, {shots['desktop']}, {pdf}")
