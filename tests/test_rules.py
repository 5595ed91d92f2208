from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from scheduler.deadlines.calendar import WorkCalendar
from scheduler.deadlines.rules import Recipient
from scheduler.deadlines.rules_file import parse_rules
from scheduler.deadlines.vntime import end_of_day
from scheduler.errors import ConfigError
from scheduler.settings import Config
from tests.conftest import ROOT, vn

HERE = Path("rules.yaml")


def _rules(kind: dict[str, Any]) -> dict[str, Any]:
    return {"kinds": {"k": kind}}


GOOD = {
    "trigger": "case_verified",
    "owed_by": ["commune"],
    "deadline": {"working_days": 1},
    "ladder": [{"step": "due_today", "at": 0, "notify": ["officer"]}],
}


def test_shipped_rules_follow_seed_000(config: Config) -> None:
    rules = config.rules
    assert rules.kind("urgent_report").deadline.working_days == 1
    assert rules.kind("written_report").after == "urgent_report"
    assert rules.kind("written_report").deadline.working_days == 2
    assert rules.kind("six_monthly").deadline.before_day_month == (1, 7)
    assert rules.kind("annual").deadline.before_day_month == (1, 1)
    assert rules.kind("annual").deadline.year_offset == 1
    flags = [s for s in rules.kind("urgent_report").ladder if s.flag_late]
    assert [s.notify for s in flags] == [(Recipient("supervisor", of_parent=True),)]


def test_fixed_dates_end_the_day_before_whatever_the_weekday(config: Config) -> None:
    rules = config.rules
    assert rules.kind("six_monthly").deadline.due_in_year(2029) == end_of_day(date(2029, 6, 30))
    assert rules.kind("annual").deadline.due_in_year(2026) == end_of_day(date(2026, 12, 31))
    assert rules.kind("plan_138_2024").deadline.due_in_year(2024) == end_of_day(date(2024, 11, 14))


def test_kind_names_people_read_carry_no_source_labels_or_ids(config: Config) -> None:
    names = [k.name for k in config.rules.kinds.values()]
    assert [n for n in names if "seed" in n.lower() or "_" in n] == []


def test_a_one_off_kind_is_over_once_its_date_has_passed(config: Config) -> None:
    plan = config.rules.kind("plan_138_2024")  # before 15/11/2024
    assert not plan.over(vn("14/11/2024 23:59"))
    assert plan.over(vn("15/11/2024 00:00"))
    assert not config.rules.kind("six_monthly").over(vn("15/11/2030 00:00"))


def test_period_kinds_count_from_the_event() -> None:
    rules = parse_rules(
        {
            "kinds": {
                "hours": {**GOOD, "deadline": {"hours": 12}},
                "days": {**GOOD, "deadline": {"calendar_days": 15}},
            }
        },
        HERE,
    )
    calendar = WorkCalendar()
    start = vn("29/08/2026 20:00")
    assert rules.kind("hours").deadline.due_after(start, calendar) == vn("30/08/2026 08:00")
    # 15 days after 29/08 is Sun 13/09 -> Mon 14/09
    assert rules.kind("days").deadline.due_after(start, calendar) == end_of_day(date(2026, 9, 14))


BAD_KINDS = [
    ({"trigger": "weekly"}, r"kinds\.k\.trigger: dùng một trong"),
    ({"deadline": {"working_days": 0}}, r"kinds\.k\.deadline\.working_days: .*positive"),
    ({"deadline": {"before": "01/07"}}, r"kinds\.k\.deadline: cần working_days"),
    ({"trigger": "yearly", "deadline": {"working_days": 1}}, r"trigger yearly cần before"),
    ({"trigger": "yearly", "deadline": {"before": "31/02"}}, r"deadline\.before: viết dd/mm"),
    ({"trigger": "yearly", "deadline": {"before": "29/02"}}, r"deadline\.before: viết dd/mm"),
    ({"trigger": "request"}, r"trigger request cần deadline: \{requested: true\}"),
    ({"ladder": []}, r"ladder: cần ít nhất một bậc"),
    ({"ladder": [{"step": "x", "at": "soon", "notify": ["officer"]}]}, r"ladder\[1\]\.at"),
    ({"ladder": [{"step": "x", "at": 0, "notify": ["mayor"]}]}, r"unknown role 'mayor'"),
    (
        {"ladder": [{"step": "x", "at": 0, "notify": ["officer"]}] * 2},
        r"tên bậc 'x' bị trùng",
    ),
    ({"trigger": "after"}, r"after chỉ dùng và bắt buộc"),
    ({"owed_by": ["village"]}, r"loại đơn vị không có 'village'"),
    ({"colour": "red"}, r"unknown key 'colour'"),
    ({"trigger": "case_event"}, r"kinds\.k\.event: event chỉ dùng và bắt buộc"),
    ({"event": "child_removed"}, r"kinds\.k\.event: event chỉ dùng và bắt buộc"),
    ({"trigger": "case_event", "event": "a b"}, r"kinds\.k\.event: .*a name like"),
    (
        {"trigger": "case_event", "event": "x", "deadline": {"before": "01/07"}},
        r"kinds\.k\.deadline: cần working_days",
    ),
    ({"role": "adhoc_request"}, r"kinds\.k\.role: vai trò cần trigger .*adhoc_request \(request\)"),
    ({"role": "mayor"}, r"kinds\.k\.role: .*not 'mayor'"),
]


@pytest.mark.parametrize(("change", "message"), BAD_KINDS)
def test_invalid_rules_are_rejected_with_where_and_fix(
    change: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        parse_rules(_rules({**GOOD, **change}), HERE)


@pytest.mark.parametrize(
    "change",
    [
        *(change for change, _ in BAD_KINDS),
        {"trigger": "after", "after": "nothing"},
        {"trigger": "yearly", "deadline": {"before": "01/07"}, "period": "H1"},
        {"ladder": [{"step": "x", "at": "immediate", "notify": ["officer"], "repeat": 3}]},
        {"ladder": [{"step": "x", "at": 0, "notify": ["officer"], "time": "8h"}]},
        {"ladder": [{"at": 0}]},
        {"ladder": [{"step": "x", "at_hours": "soon", "notify": []}]},
    ],
)
def test_every_rules_problem_is_said_in_vietnamese_and_english(change: dict[str, Any]) -> None:
    with pytest.raises(ConfigError) as error:
        parse_rules(_rules({**GOOD, **change}), HERE)
    problems = [line for line in str(error.value).splitlines() if line.startswith("  - ")]
    assert problems and [p for p in problems if " / " not in p] == []


def test_a_loop_of_after_kinds_is_refused_naming_its_kinds() -> None:
    after = {**GOOD, "trigger": "after"}
    kinds = {
        "urgent": GOOD,
        "plan": {**after, "after": "approval"},
        "approval": {**after, "after": "review"},
        "review": {**after, "after": "plan"},
        "itself": {**after, "after": "itself"},
    }
    with pytest.raises(ConfigError) as error:
        parse_rules({"kinds": kinds}, HERE)
    text = str(error.value)
    assert (
        "kinds.plan.after: vòng lặp / a loop of after: plan -> approval -> review -> plan" in text
    )
    assert "a loop of after: itself -> itself" in text
    assert text.count("a loop of after") == 2  # each loop once, from wherever it was entered


def test_every_problem_is_reported_at_once() -> None:
    bad = {**GOOD, "trigger": "yearly", "owed_by": [], "ladder": [{"step": "x", "at": "y"}]}
    with pytest.raises(ConfigError) as error:
        parse_rules(_rules(bad), HERE)
    text = str(error.value)
    assert "trigger yearly cần before" in text
    assert "owed_by" in text
    assert "ladder[1].at" in text


def test_each_part_is_played_by_one_kind_at_most() -> None:
    with pytest.raises(
        ConfigError, match=r"kinds\.b\.role: chỉ một loại giữ vai trò urgent_notice"
    ):
        parse_rules(
            {
                "kinds": {
                    "a": {**GOOD, "role": "urgent_notice"},
                    "b": {**GOOD, "role": "urgent_notice"},
                }
            },
            HERE,
        )


def test_rules_written_before_roles_give_them_by_place_never_by_id(config: Config) -> None:
    """An operator's rules.yaml copied before ``role:`` existed: the first case_verified kind is
    the urgent notice, the first kind after it the written follow-up, the first request kind
    the ad-hoc request; the shipped rules declare the same ones."""
    shipped = yaml.safe_load((ROOT / "config" / "rules.yaml").read_text(encoding="utf-8"))
    old = {
        **shipped,
        "kinds": {
            kind_id: {key: value for key, value in kind.items() if key != "role"}
            for kind_id, kind in shipped["kinds"].items()
        },
    }
    inferred = parse_rules(old, HERE)
    roles = {k.id: k.role for k in inferred.kinds.values() if k.role}
    assert roles == {k.id: k.role for k in config.rules.kinds.values() if k.role}
    assert roles == {
        "urgent_report": "urgent_notice",
        "written_report": "written_follow_up",
        "adhoc_report": "adhoc_request",
    }
    assert inferred.kind_for("written_follow_up").after == "urgent_report"
    assert parse_rules(_rules(GOOD), HERE).playing("adhoc_request") is None
