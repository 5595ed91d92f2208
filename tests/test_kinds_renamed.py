"""Kinds are data: a copy of the shipped rules with every kind renamed, and nothing else changed,
runs the whole flow (a case opened, the sweep, the notice mailed to a relay, the report by mail
intake, the written follow-up and an ad-hoc request by the API, the timeliness figures) on both
backends. The code finds a kind by the part the rules give it (``role``), never by its id."""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import replace
from datetime import date
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from typer.testing import CliRunner

from scheduler.cli import app
from scheduler.clock import SimulatedClock
from scheduler.deadlines.rules_file import load_rules
from scheduler.intake.record import take
from scheduler.lifecycle import ledger
from scheduler.lifecycle.sweep import sweep
from scheduler.mail.deliver import run_once
from scheduler.monitoring.health import Health
from scheduler.monitoring.metrics import Metrics
from scheduler.reports import timeliness
from scheduler.settings import Config
from scheduler.store.queries import transaction
from scheduler.web.access import create_token
from scheduler.web.api import create_app
from tests.conftest import ROOT, vn
from tests.mailsink import Sink
from tests.test_delivery import mail_config

OFFICER_X01 = "treem@anbinh.huyenmau.tinhmau.example"
SHIPPED = yaml.safe_load((ROOT / "config" / "rules.yaml").read_text(encoding="utf-8"))
NEW_IDS = {old: f"loai_{n}" for n, old in enumerate(SHIPPED["kinds"], 1)}


def renamed_rules(folder: Path) -> Path:
    """The shipped rules with every kind id (and every ``after:`` naming one) renamed."""
    document: dict[str, Any] = {**SHIPPED, "kinds": {}}
    for old, kind in SHIPPED["kinds"].items():
        after = {"after": NEW_IDS[kind["after"]]} if "after" in kind else {}
        document["kinds"][NEW_IDS[old]] = {**kind, **after}
    path = folder / "rules.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), "utf-8")
    return path


@pytest.fixture
def renamed(config: Config, tmp_path: Path, sink: tuple[Sink, int]) -> Config:
    cfg = mail_config(config, sink[1])
    return replace(
        cfg,
        rules=load_rules(renamed_rules(tmp_path)),
        web=replace(cfg.web, signing_key=b"k" * 48),
    )


def test_the_renamed_rules_differ_from_the_shipped_ones_by_the_ids_alone(
    config: Config, renamed: Config
) -> None:
    assert sorted(renamed.rules.kinds) == sorted(NEW_IDS.values())
    for old, new in NEW_IDS.items():
        kind = config.rules.kind(old)
        after = None if kind.after is None else NEW_IDS[kind.after]
        assert renamed.rules.kind(new) == replace(kind, id=new, after=after)


def test_the_whole_flow_runs_on_renamed_kinds(
    engine: Engine, renamed: Config, sink: tuple[Sink, int]
) -> None:
    urgent, written, plan = NEW_IDS["urgent_report"], NEW_IDS["written_report"], "support_plan"
    opened = vn("03/03/2027 10:05")
    with transaction(engine) as store:
        created = ledger.open_case(
            store, renamed, "VV-2027-001", "X01", "xam_hai", vn("03/03/2027 10:00"), opened, "t"
        )
    assert [o.kind for o in created] == [urgent, NEW_IDS[plan]]
    assert created[0].key == f"case:VV-2027-001:{urgent}"

    # the sweep records the new-case notice; the mail job sends it to the relay
    assert [e.step for e in sweep(engine, renamed, opened)] == ["new_case"]
    queued, report = asyncio.run(run_once(engine, renamed, lambda: opened, random.Random(7)))
    handler, _ = sink
    handler.wait_for(lambda got: any(OFFICER_X01 in m.rcpt_tos for m in got))
    notice = next(m for m in handler.received if OFFICER_X01 in m.rcpt_tos)
    assert "VV-2027-001" in notice.subject and report.sent >= 1 and queued >= 1

    # the commune answers the notice: the intake matches the reply, the written report starts
    reply = EmailMessage()
    reply["From"], reply["To"] = OFFICER_X01, "baocao@huyenmau.tinhmau.example"
    reply["Subject"] = "Re: " + notice.subject
    reply["Message-ID"] = make_msgid(domain="anbinh.example")
    reply["In-Reply-To"] = reply["References"] = notice.message_id
    reply["Received"] = "from mail.anbinh by mx; " + format_datetime(vn("04/03/2027 09:00"))
    reply.set_content("Kính gửi UBND huyện.")
    with transaction(engine) as store:
        taken = take(store, renamed, reply.as_bytes(), "smtp", vn("04/03/2027 09:05"))
        answered = store.obligation(created[0].id)
        follow_up = store.obligation_by_key(f"case:VV-2027-001:{written}")
    assert (taken.outcome, taken.obligation_id) == ("matched", created[0].id)
    assert answered is not None and answered.submitted_via == "mail"
    assert follow_up is not None and follow_up.event_at == vn("04/03/2027 09:00")

    # the API's `written` stage and its ad-hoc default are the kinds that play those parts
    clock = SimulatedClock(vn("05/03/2027 10:00"), anchor=0, speed=0)
    with transaction(engine) as store:
        token = create_token(store, "H01", "supervisor", "h01", clock.now())[1]
    app = create_app(engine, renamed, clock, Metrics(engine, clock), Health(900))
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        done = client.post(
            "/api/cases/VV-2027-001/reports",
            json={"stage": "written", "at": "05/03/2027 09:00"},
            headers=auth,
        )
        asked = client.post(
            "/api/adhoc",
            json={"unit": "X02", "reference": "7/UBND", "due": "12/03/2027", "requested_by": "H"},
            headers=auth,
        )
        schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert done.status_code == 200, done.text
    assert [(o["kind"], o["id"]) for o in done.json()] == [(written, follow_up.id)]
    assert asked.status_code == 201, asked.text
    assert asked.json()["kind"] == NEW_IDS["adhoc_report"]
    assert schema["AdhocIn"]["properties"]["kind"]["default"] == NEW_IDS["adhoc_report"]
    assert {"urgent", "written", urgent} <= set(schema["ReportIn"]["properties"]["stage"]["enum"])

    # the figures count each renamed kind: both reports on time, the support plan missing
    with transaction(engine) as store:
        facts, _ = timeliness.read(
            store, renamed.calendar, date(2027, 3, 1), date(2027, 3, 31), vn("20/03/2027 12:00")
        )
    rows = {(r.kind, r.unit): r.as_json() for r in timeliness.table(facts) if r.level == "unit"}
    figures = {
        kind: (row["expected"], row["on_time"], row["missing"])
        for (kind, unit), row in rows.items()
        if unit == "X01"
    }
    assert figures == {urgent: (1, 1, 0), written: (1, 1, 0), NEW_IDS[plan]: (1, 0, 1)}
    assert not set(NEW_IDS) & {kind for kind, _ in rows}


def test_check_config_says_which_kind_plays_each_part() -> None:
    result = CliRunner().invoke(app, ["check-config", "--json"])
    assert result.exit_code == 0, result.output
    roles = {k["kind"]: k["role"] for k in json.loads(result.stdout)["kinds"] if k["role"]}
    assert roles == {
        "urgent_report": "urgent_notice",
        "written_report": "written_follow_up",
        "adhoc_report": "adhoc_request",
    }
