"""``hanbao demo`` as a subprocess: by default it starts with a year of history replayed through
the plan (the page, the exports and the metrics have something to show); ``--empty`` keeps the
bare start of before."""

from __future__ import annotations

import os
import re
import sys
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func
from sqlmodel import col, select

from scheduler.deadlines.vntime import VN_TZ, fmt_date
from scheduler.store.queries import transaction
from scheduler.store.schema import AuditRow, MessageRow, ObligationRow, ReminderRow, make_engine
from tests.conftest import CONFIG_PATH
from tests.mailsink import free_port
from tests.test_cli import hanbao_json
from tests.test_daemon import _scrape, serving


def demo(folder: Path, *flags: str) -> tuple[str, datetime]:
    """Run the demo until it serves; its /metrics text, and when it started."""
    http_port = free_port()
    env = {
        **os.environ,
        "HANBAO_CONFIG": str(CONFIG_PATH),
        "HANBAO_SMTP_PORT": str(free_port()),
        "HANBAO_HTTP_PORT": str(http_port),
    }
    env.pop("HANBAO_DATABASE_URL", None)
    started = datetime.now(VN_TZ)
    command = [sys.executable, "-m", "scheduler", "demo", "--folder", str(folder), *flags]
    with serving(command, env) as running:
        # said at once into a pipe, not when the demo ends
        assert any("token: hb_" in line for line in running.log), "".join(running.log)
        _scrape(http_port, "/metrics")  # starts the on-time ratio's computation
        running.wait_line("action=on_time_ratio_refreshed")
        status, metrics = _scrape(http_port, "/metrics")
        running.stop()
    assert status == 200
    return metrics, started


def ratios(metrics: str) -> dict[str, float]:
    return {
        kind: float(value)
        for kind, value in re.findall(
            r'^hanbao_reports_on_time_ratio\{kind="(\w+)",parent="H01"\} (\S+)$',
            metrics,
            re.MULTILINE,
        )
    }


def test_the_demo_starts_with_a_year_replayed_through_the_plan(tmp_path: Path) -> None:
    metrics, started = demo(tmp_path / "demo")
    seen = ratios(metrics)
    assert {"urgent_report", "written_report", "six_monthly", "annual"} <= set(seen)
    assert all(0 < value < 1 for value in seen.values()), seen  # some late, some on time

    url = f"sqlite:///{tmp_path / 'demo' / 'hanbao.sqlite3'}"
    span = ("--from", fmt_date(started.date() - timedelta(days=365)), "--to", fmt_date(started))
    rows = hanbao_json("report", "timeliness", *span, "--unit", "H01", db=url)
    district = [r for r in rows if (r["unit"], r["level"]) == ("H01", "rollup")]
    for figure in ("on_time", "late", "missing"):
        assert sum(r[figure] for r in district) > 0, figure
    engine = make_engine(url)
    with transaction(engine) as store:

        def count(query: object) -> int:
            return int(store.session.exec(query).one())  # type: ignore[call-overload]

        submitted = count(select(func.count()).where(col(ObligationRow.submitted_at).is_not(None)))
        audited = count(select(func.count()).where(AuditRow.action == "submitted"))
        flags = count(select(func.count()).where(col(ReminderRow.late_flag)))
        old_mail = count(select(func.count()).where(MessageRow.created_at < started))
    engine.dispose()
    assert submitted > 100 and audited == submitted  # every submission went through the ledger
    assert flags > 0  # the sweep flagged late units to the district as the year went
    assert old_mail == 0  # the replayed year's reminders were that year's: not mailed now


def test_the_empty_demo_keeps_the_bare_start(tmp_path: Path) -> None:
    metrics, _ = demo(tmp_path / "demo", "--empty")
    assert "hanbao_reports_on_time_ratio{" not in metrics  # nothing due yet, nothing to rate
    url = f"sqlite:///{tmp_path / 'demo' / 'hanbao.sqlite3'}"
    listed = hanbao_json("status", db=url)
    cases = {(o["case"], o["unit"]) for o in listed if o["case"]}
    assert len(cases) == 1 and cases.pop()[1] == "X01"  # today's one case, as before
    assert all(o["submitted_at"] is None for o in listed)  # no history
