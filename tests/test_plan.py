from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest

from scheduler.deadlines.calendar import WorkCalendar
from scheduler.deadlines.plan import CatchUp, Occurrence, due, occurrences
from scheduler.deadlines.rules import Kind
from scheduler.deadlines.rules_file import parse_rules
from scheduler.settings import Config
from tests.conftest import vn

EIGHT = time(8, 0)


def _moments(occs: list[Occurrence]) -> list[tuple[str, int, str]]:
    return [(o.step.name, o.repeat, o.at.strftime("%d/%m/%Y %H:%M")) for o in occs]


@pytest.fixture(scope="module")
def calendar(config: Config) -> WorkCalendar:
    return config.calendar


def test_urgent_report_ladder_over_tet_2027(config: Config, calendar: WorkCalendar) -> None:
    kind = config.rules.kind("urgent_report")
    verified = vn("04/02/2027 15:00")
    due_at = kind.deadline.due_after(verified, calendar)
    assert _moments(occurrences(kind, due_at, verified, calendar, EIGHT)) == [
        ("new_case", 0, "04/02/2027 15:00"),  # immediately, even on 29 Tết
        ("due_today", 0, "11/02/2027 08:00"),
        ("overdue", 0, "12/02/2027 08:00"),
        ("late_flag", 0, "12/02/2027 08:00"),
        ("overdue", 1, "15/02/2027 08:00"),
        ("escalate_district", 0, "15/02/2027 08:00"),
        ("overdue", 2, "16/02/2027 08:00"),
    ]


def test_weekend_deadline_is_reminded_on_the_last_working_day_before(
    config: Config, calendar: WorkCalendar
) -> None:
    kind = config.rules.kind("six_monthly")
    due_at = kind.deadline.due_in_year(2029)  # end of Sat 30/06/2029
    moments = _moments(occurrences(kind, due_at, vn("01/01/2029 00:00"), calendar, EIGHT))
    assert ("due_today", 0, "29/06/2029 08:00") in moments
    assert ("before_3", 0, "26/06/2029 08:00") in moments
    assert ("overdue", 0, "02/07/2029 08:00") in moments
    assert ("late_flag", 0, "02/07/2029 08:00") in moments
    # repeats every 3 working days: Mon 02/07, Thu 05/07, Tue 10/07
    assert [m for m in moments if m[0] == "overdue"] == [
        ("overdue", 0, "02/07/2029 08:00"),
        ("overdue", 1, "05/07/2029 08:00"),
        ("overdue", 2, "10/07/2029 08:00"),
    ]


def test_reminders_never_fall_on_a_day_off(config: Config, calendar: WorkCalendar) -> None:
    for kind_id in ("six_monthly", "annual", "sector_annual"):
        kind = config.rules.kind(kind_id)
        for year in range(2025, 2031):
            occs = occurrences(
                kind, kind.deadline.due_in_year(year), vn("01/01/2025 00:00"), calendar, EIGHT
            )
            assert all(calendar.is_working_day(o.at.date()) for o in occs), (kind_id, year)


def test_hour_offsets_ignore_the_calendar() -> None:
    rules = parse_rules(
        {
            "kinds": {
                "protect": {
                    "trigger": "case_verified",
                    "deadline": {"hours": 12},
                    "ladder": [{"step": "soon", "at_hours": -3, "notify": ["officer"]}],
                }
            }
        },
        Path("r.yaml"),
    )
    kind = rules.kind("protect")
    start = vn("31/08/2026 20:00")  # a day off
    due_at = kind.deadline.due_after(start, WorkCalendar())
    occs = occurrences(kind, due_at, start, WorkCalendar(), EIGHT)
    assert _moments(occs) == [("soon", 0, "01/09/2026 05:00")]


def _urgent(config: Config, calendar: WorkCalendar) -> tuple[Kind, list[Occurrence]]:
    kind = config.rules.kind("urgent_report")
    verified = vn("03/03/2027 10:00")
    return kind, occurrences(
        kind, kind.deadline.due_after(verified, calendar), verified, calendar, EIGHT
    )


def test_a_sweep_on_time_handles_one_moment_and_points_to_the_next(
    config: Config, calendar: WorkCalendar
) -> None:
    _, occs = _urgent(config, calendar)
    result = due(occs, occs[0].at, vn("03/03/2027 10:00"), CatchUp())
    assert [o.step.name for o in result.send] == ["new_case"]
    assert result.skip == ()
    assert result.next_action_at == vn("04/03/2027 08:00")


def test_nothing_is_due_before_next_action_at(config: Config, calendar: WorkCalendar) -> None:
    _, occs = _urgent(config, calendar)
    result = due(occs, vn("04/03/2027 08:00"), vn("04/03/2027 07:59"), CatchUp())
    assert result.send == () and result.skip == ()
    assert result.next_action_at == vn("04/03/2027 08:00")


def test_catch_up_after_days_off_sends_each_person_the_latest_and_every_flag(
    config: Config, calendar: WorkCalendar
) -> None:
    _, occs = _urgent(config, calendar)
    # the daemon was down from Thu 04/03 07:00 to Wed 10/03 09:00
    result = due(occs, vn("04/03/2027 08:00"), vn("10/03/2027 09:00"), CatchUp(coalesce=True))
    # the officer and leader get the latest overdue reminder; the district leader still gets
    # the escalation meant for them; the late flag is evidence and always goes
    assert sorted((o.step.name, o.repeat) for o in result.send) == [
        ("escalate_district", 0),
        ("late_flag", 0),
        ("overdue", 2),
    ]
    assert sorted((o.step.name, o.repeat) for o in result.skip) == [
        ("due_today", 0),
        ("overdue", 0),
        ("overdue", 1),
    ]
    assert result.next_action_at is None  # the ladder is exhausted


def test_catch_up_without_coalescing_sends_everything_missed(
    config: Config, calendar: WorkCalendar
) -> None:
    _, occs = _urgent(config, calendar)
    result = due(occs, vn("04/03/2027 08:00"), vn("10/03/2027 09:00"), CatchUp(coalesce=False))
    assert len(result.send) == 6 and result.skip == ()


def test_steps_at_the_same_moment_are_all_sent(config: Config, calendar: WorkCalendar) -> None:
    _, occs = _urgent(config, calendar)
    result = due(occs, vn("05/03/2027 08:00"), vn("05/03/2027 08:00"), CatchUp())
    assert sorted(o.step.name for o in result.send) == ["late_flag", "overdue"]


def test_obligation_created_after_its_deadline_flags_at_once(
    config: Config, calendar: WorkCalendar
) -> None:
    kind = config.rules.kind("urgent_report")
    verified, opened = vn("01/03/2027 10:00"), vn("09/03/2027 14:00")
    occs = occurrences(kind, kind.deadline.due_after(verified, calendar), opened, calendar, EIGHT)
    result = due(occs, occs[0].at, opened, CatchUp())
    assert sorted(o.step.name for o in result.send) == [
        "escalate_district",
        "late_flag",
        "new_case",
    ]
    assert all(o.at <= opened for o in result.skip)


def test_a_new_case_notice_is_never_coalesced_away(config: Config, calendar: WorkCalendar) -> None:
    """A case entered at 07:59 on its due day, swept at 08:00:30: the [KHẨN] notice still goes."""
    kind = config.rules.kind("urgent_report")
    verified, opened = vn("03/03/2027 10:00"), vn("04/03/2027 07:59")
    occs = occurrences(kind, kind.deadline.due_after(verified, calendar), opened, calendar, EIGHT)
    result = due(occs, occs[0].at, vn("04/03/2027 08:01"), CatchUp())
    assert sorted(o.step.name for o in result.send) == ["due_today", "new_case"]
