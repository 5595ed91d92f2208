"""The case process of Decree 56/2017 as rules: events on a case start their own clocks.

Emergency protection within 12 calendar hours of the information (nights and holidays
included, reminders at any hour); a child's temporary removal for at most 15 days, reviewed by
then. On SQLite and PostgreSQL, through the ledger and the sweep, the CLI and the API.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine

from scheduler.deadlines.plan import occurrences
from scheduler.errors import InvalidInput, NotFound
from scheduler.lifecycle import ledger
from scheduler.lifecycle.sweep import sweep
from scheduler.settings import Config
from scheduler.store.queries import transaction
from tests.conftest import open_case, vn
from tests.test_api import Api, api  # noqa: F401  (the fixture)
from tests.test_cli import hanbao_json

OFFICER = "treem@anbinh.huyenmau.tinhmau.example"
CHAIRMAN = "chutich@anbinh.huyenmau.tinhmau.example"
DISTRICT = "laodong@huyenmau.tinhmau.example"


def event(engine: Engine, config: Config, code: str, kind: str, at: str, now: str) -> list[int]:
    with transaction(engine) as store:
        created = ledger.case_event(store, config, code, kind, vn(at), vn(now), "test")
    return [o.id for o in created]


def steps_at(
    engine: Engine, config: Config, moment: str, kind: str
) -> list[tuple[str, tuple[str, ...]]]:
    return [
        (e.step, e.recipients)
        for e in sweep(engine, config, vn(moment))
        if e.obligation.kind == kind
    ]


def test_the_12_hour_clock_runs_through_a_holiday_night_and_reminds_at_night(
    engine: Engine, config: Config
) -> None:
    # the information arrives on the evening of 30/04 (a holiday, the 01/05 holiday follows)
    open_case(engine, config, "VV-KC-1", "30/04/2027 19:00", "30/04/2027 19:30")
    (emergency,) = event(
        engine, config, "VV-KC-1", "emergency_received", "30/04/2027 20:00", "30/04/2027 20:05"
    )
    with transaction(engine) as store:
        obligation = store.obligation(emergency)
    assert obligation is not None
    assert obligation.due_at == vn("01/05/2027 08:00")  # 12 hours, not the next working day
    notice = steps_at(engine, config, "30/04/2027 20:05", "emergency_protection")
    assert notice == [("emergency_received", (OFFICER, CHAIRMAN))]
    assert steps_at(engine, config, "01/05/2027 03:59", "emergency_protection") == []
    # four hours before, at 04:00 on a holiday night
    assert steps_at(engine, config, "01/05/2027 04:00", "emergency_protection") == [
        ("four_hours_left", (OFFICER, CHAIRMAN))
    ]
    (due,) = steps_at(engine, config, "01/05/2027 08:00", "emergency_protection")
    assert due[0] == "emergency_due" and {CHAIRMAN, DISTRICT} <= set(due[1])
    late = [
        e
        for e in sweep(engine, config, vn("01/05/2027 09:00"))
        if e.obligation.kind == "emergency_protection"
    ]
    assert [(e.step, e.late_flag) for e in late] == [("late_flag", True)]


def test_a_removal_is_reviewed_by_day_15_even_when_day_15_is_a_holiday(
    engine: Engine, config: Config
) -> None:
    open_case(engine, config, "VV-CL-1", "26/04/2027 09:00", "26/04/2027 09:30")
    (removal,) = event(
        engine, config, "VV-CL-1", "child_removed", "26/04/2027 10:00", "26/04/2027 10:05"
    )
    with transaction(engine) as store:
        obligation = store.obligation(removal)
    assert obligation is not None
    # 15 calendar days, counted over 30/04 and 01/05, ending on a Tuesday at the hour of removal
    assert obligation.due_at == vn("11/05/2027 10:00")
    assert obligation.due_at - vn("26/04/2027 10:00") == timedelta(days=15)
    kind = config.rules.kind("removal_review")
    plan = [
        (o.step.name, o.at)
        for o in occurrences(
            kind,
            obligation.due_at,
            vn("26/04/2027 10:05"),
            config.calendar,
            config.rules.reminder_time,
        )
    ]
    assert plan == [
        ("child_removed", vn("26/04/2027 10:05")),
        ("before", vn("06/05/2027 08:00")),  # three working days before, past the holidays
        ("due_today", vn("11/05/2027 08:00")),
        ("overdue", vn("12/05/2027 08:00")),  # working hours: only the 12-hour clock mails at night
        ("late_flag", vn("12/05/2027 08:00")),
    ]
    assert steps_at(engine, config, "26/04/2027 10:05", "removal_review") == [
        ("child_removed", (OFFICER, CHAIRMAN))
    ]


def test_an_event_recorded_twice_is_one_obligation_and_another_day_is_another(
    engine: Engine, config: Config
) -> None:
    open_case(engine, config, "VV-CL-2", "03/05/2027 09:00", "03/05/2027 09:30")
    first = event(
        engine, config, "VV-CL-2", "child_removed", "03/05/2027 10:00", "03/05/2027 11:00"
    )
    again = event(
        engine, config, "VV-CL-2", "child_removed", "03/05/2027 10:00", "03/05/2027 11:05"
    )
    later = event(
        engine, config, "VV-CL-2", "child_removed", "20/05/2027 10:00", "20/05/2027 11:00"
    )
    assert first == again and later != first
    with pytest.raises(InvalidInput, match="child_removed, emergency_received"):
        event(engine, config, "VV-CL-2", "fire", "03/05/2027 10:00", "03/05/2027 11:00")
    with pytest.raises(NotFound, match="VV-NONE"):
        event(engine, config, "VV-NONE", "child_removed", "03/05/2027 10:00", "03/05/2027 11:00")
    with pytest.raises(InvalidInput, match="tương lai / is in the future"):
        event(engine, config, "VV-CL-2", "child_removed", "04/05/2027 10:00", "03/05/2027 11:00")


def test_case_event_from_the_command_line(
    database_url: str, engine: Engine, config: Config
) -> None:
    open_case(engine, config, "VV-KC-CLI", "03/05/2027 09:00", "03/05/2027 09:30")
    created = hanbao_json(
        "case",
        "event",
        "VV-KC-CLI",
        "--kind",
        "emergency_received",
        "--at",
        "03/05/2027 22:00",
        "--as-of",
        "03/05/2027 22:10",
        db=database_url,
    )
    assert [(o["kind"], o["due"], o["case"]) for o in created] == [
        ("emergency_protection", "2027-05-04T10:00:00+07:00", "VV-KC-CLI")
    ]


def test_case_event_through_the_api_within_the_callers_reach(api: Api) -> None:  # noqa: F811
    opened = api.call(
        "POST",
        "/api/cases",
        "x01",
        json={"code": "VV-KC-API", "unit": "X01", "verified_at": "09/03/2027 15:00"},
    )
    assert opened.status_code == 201
    body = {"kind": "child_removed", "at": "10/03/2027 08:00"}
    answer = api.call("POST", "/api/cases/VV-KC-API/events", "x01", json=body)
    assert answer.status_code == 201, answer.text
    assert [(o["kind"], o["due"]) for o in answer.json()] == [
        ("removal_review", "2027-03-25T08:00:00+07:00")
    ]
    # another district's officer does not reach the case; an unknown event is a 4xx
    assert api.call("POST", "/api/cases/VV-KC-API/events", "y01", json=body).status_code == 404
    wrong = {"kind": "fire", "at": "10/03/2027 08:00"}
    assert api.call("POST", "/api/cases/VV-KC-API/events", "x01", json=wrong).status_code == 422
