from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import select
from typer.testing import CliRunner

from scheduler.cli import app
from scheduler.cli.calendar import unconfirmed_warnings
from scheduler.clock import SimulatedClock
from scheduler.deadlines.calendar import WorkCalendar, load_changes, load_overrides
from scheduler.deadlines.vntime import VN_TZ, end_of_day
from scheduler.errors import ConfigError, InvalidInput
from scheduler.mail.calendar_digest import calendar_digest
from scheduler.mail.render import Renderer
from scheduler.monitoring.metrics import Metrics
from scheduler.settings import Config
from scheduler.store.queries import transaction
from scheduler.store.schema import MessageRow
from tests.conftest import open_case, vn
from tests.test_delivery import compose_at


@pytest.fixture(scope="module")
def calendar(config: Config) -> WorkCalendar:
    return config.calendar


@pytest.mark.parametrize(
    ("verified", "working_days", "due"),
    [
        # 29 Tết (Thu 04/02/2027); Tết off until Wed 10/02 -> end of Thu 11/02
        ("04/02/2027 15:00", 1, date(2027, 2, 11)),
        # urgent email sent on 11/02 -> written report two working days later, Mon 15/02
        ("11/02/2027 09:00", 2, date(2027, 2, 15)),
        # Fri 21/08/2026 -> Sat 22/08/2026 is a swapped working Saturday
        ("21/08/2026 10:00", 1, date(2026, 8, 22)),
        # Sat 29/08/2026: Mon 31/08 swapped off, 01-02/09 National Day -> Thu 03/09
        ("29/08/2026 10:00", 1, date(2026, 9, 3)),
    ],
)
def test_domain_worked_examples(
    calendar: WorkCalendar, verified: str, working_days: int, due: date
) -> None:
    assert calendar.working_days_deadline(vn(verified), working_days) == end_of_day(due)


def test_start_day_is_not_counted_even_late_in_the_evening(calendar: WorkCalendar) -> None:
    assert calendar.working_days_deadline(vn("03/03/2027 23:30"), 1) == end_of_day(date(2027, 3, 4))


def test_deadline_ends_at_the_last_second_of_the_day_in_vietnam(calendar: WorkCalendar) -> None:
    due = calendar.working_days_deadline(vn("03/03/2027 08:00"), 1)
    assert due.isoformat() == "2027-03-04T23:59:59+07:00"


def test_instant_given_in_utc_counts_from_the_vietnamese_day(calendar: WorkCalendar) -> None:
    # 18:00 UTC on Wed 03/03 is already Thu 04/03 01:00 in Vietnam
    utc_evening = datetime(2027, 3, 3, 18, 0, tzinfo=UTC)
    assert calendar.working_days_deadline(utc_evening, 1) == end_of_day(date(2027, 3, 5))


def test_override_file_swaps_new_year_2026_for_state_agencies(calendar: WorkCalendar) -> None:
    # Công văn 12729/VPCP-KGVX: Fri 02/01/2026 off, Sat 10/01/2026 worked instead
    assert not calendar.is_working_day(date(2026, 1, 2))
    assert calendar.is_working_day(date(2026, 1, 10))
    assert calendar.working_days_deadline(vn("31/12/2025 10:00"), 1) == end_of_day(date(2026, 1, 5))
    assert calendar.working_days_deadline(vn("09/01/2026 10:00"), 1) == end_of_day(
        date(2026, 1, 10)
    )


def test_without_overrides_the_package_alone_misses_the_2026_swap() -> None:
    plain = WorkCalendar()
    assert plain.is_working_day(date(2026, 1, 2))
    assert not plain.is_working_day(date(2026, 1, 10))


def test_the_days_off_are_those_holidays_country_holidays_gives_for_vietnam() -> None:
    import holidays  # the whole package, as the calendar no longer imports it

    package = holidays.country_holidays("VN", language="vi")
    plain, start = WorkCalendar(), date(2015, 1, 1)
    for day in (start + timedelta(days=n) for n in range(21 * 365)):
        weekend = day.weekday() in (5, 6) and day not in package.weekend_workdays
        expected = package.get(day) or (
            ("Thứ Bảy", "Chủ nhật")[day.weekday() - 5] if weekend else None
        )
        assert plain.day_off_name(day) == expected, day
    assert plain.day_off_name(date(2027, 2, 6)) == "Tết Nguyên Đán"


def test_calendar_days_roll_to_the_next_working_day(calendar: WorkCalendar) -> None:
    # 15 days after Sat 15/08/2026 is Sun 30/08; Mon 31/08-Wed 02/09 are off -> Thu 03/09
    assert calendar.calendar_days_deadline(vn("15/08/2026 10:00"), 15) == end_of_day(
        date(2026, 9, 3)
    )


def test_a_deadline_past_the_year_9999_is_refused_not_an_overflow(
    calendar: WorkCalendar,
) -> None:
    last = datetime(9999, 12, 31, 10, 0, tzinfo=VN_TZ)
    with pytest.raises(InvalidInput, match="falls outside the calendar"):
        calendar.working_days_deadline(last, 1)
    with pytest.raises(InvalidInput, match="falls outside the calendar"):
        calendar.calendar_days_deadline(last, 1)


def test_days_off_lists_named_holidays_and_not_plain_weekends(calendar: WorkCalendar) -> None:
    days = {d.day: d.name for d in calendar.days_off(2026)}
    assert days[date(2026, 9, 2)] == "Quốc khánh"
    assert date(2026, 1, 2) in days
    assert date(2026, 3, 7) not in days  # an ordinary Saturday
    assert [d.day for d in calendar.swapped_working_days(2026)] == [
        date(2026, 1, 10),
        date(2026, 8, 22),
    ]


def test_override_file_errors_name_the_entry_and_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "overrides.yaml"
    path.write_text("changes:\n  - {date: 02/01/2026, kind: off, name: x, source: y}\n")
    with pytest.raises(ConfigError, match=r"changes\[1\].*day_off.*working_day"):
        load_changes(path)
    path.write_text("changes:\n  - {date: 31/02/2026, kind: day_off, name: x, source: y}\n")
    with pytest.raises(ConfigError, match=r"changes\[1\].*dd/mm/yyyy"):
        load_changes(path)
    path.write_text("changes:\n  - {date: 02/01/2026, kind: day_off, name: x}\n")
    with pytest.raises(ConfigError, match="source"):
        load_changes(path)


@settings(max_examples=300, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2030, 12, 31)),
    n=st.integers(min_value=1, max_value=15),
)
def test_working_day_deadline_properties(calendar: WorkCalendar, start: datetime, n: int) -> None:
    moment = start.replace(tzinfo=VN_TZ)
    due = calendar.working_days_deadline(moment, n)
    assert due.time() == time(23, 59, 59)
    assert calendar.is_working_day(due.date())
    assert due.date() > moment.date()
    assert calendar.working_days_between(moment.date(), due.date()) == n
    # and not a day earlier: the day before the due day holds only n - 1 working days
    assert calendar.working_days_between(moment.date(), due.date() - timedelta(days=1)) == n - 1


# --- confirmation of a year's days off ------------------------------------------------------


def test_the_shipped_overrides_confirm_2026_citing_the_announcements(config: Config) -> None:
    source = config.calendar.confirmed[2026]
    assert "12729/VPCP-KGVX" in source and "Điều 112" in source
    assert 2027 not in config.calendar.confirmed


@pytest.mark.parametrize(
    ("now", "confirmed", "awaiting"),
    [
        ("31/10/2026 23:59", {2026: "x"}, []),  # the day before 1 November: nothing asked
        ("01/11/2026 00:00", {2026: "x"}, [2027]),  # from 1 November, next year is asked for
        ("01/11/2026 00:00", {2026: "x", 2027: "y"}, []),  # until it is confirmed
        ("15/03/2027 08:00", {2026: "x"}, [2027]),  # a year lived in unconfirmed is asked all year
        ("15/12/2026 08:00", {}, [2026, 2027]),
    ],
)
def test_a_year_is_asked_for_from_1_november_until_it_is_confirmed(
    now: str, confirmed: dict[int, str], awaiting: list[int]
) -> None:
    calendar = WorkCalendar(confirmed=confirmed)
    assert calendar.awaiting_confirmation(vn(now)) == awaiting
    assert calendar.provisional(date(2027, 1, 4)) is (2027 not in confirmed)


def test_check_config_warns_from_1_november_naming_the_year_and_the_fix(config: Config) -> None:
    assert unconfirmed_warnings(config.calendar, "o.yaml", vn("31/10/2026 08:00")) == []
    (warning,) = unconfirmed_warnings(config.calendar, "o.yaml", vn("01/11/2026 08:00"))
    assert "2027" in warning and "hanbao calendar check 2027" in warning and "o.yaml" in warning


def test_a_confirmed_list_that_is_wrong_is_refused_naming_the_entry(tmp_path: Path) -> None:
    path = tmp_path / "o.yaml"
    path.write_text("confirmed:\n  - {year: 2027, source: CV 1}\n", encoding="utf-8")
    assert load_overrides(path) == ([], {2027: "CV 1"})
    path.write_text("confirmed:\n  - {year: 2027}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"confirmed\[1\]: .*source"):
        load_overrides(path)


def test_calendar_check_prints_the_days_hanbao_assumes_and_whether_confirmed() -> None:
    def check(*args: str) -> Any:
        result = CliRunner().invoke(app, ["calendar", "check", *args, "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    confirmed = check("2026")
    assert set(confirmed) == {
        "year",
        "confirmed",
        "source",
        "package_version",
        "days_off",
        "working_days",
    }
    assert confirmed["confirmed"] is True and "12729" in str(confirmed["source"])
    assert "2026-01-02" in {d["date"] for d in confirmed["days_off"]}  # the swapped Friday
    assert "2026-01-10" in {d["date"] for d in confirmed["working_days"]}  # its Saturday
    # in November the year to confirm is the next one
    unconfirmed = check("--as-of", "02/11/2026 08:00")
    assert (unconfirmed["year"], unconfirmed["confirmed"], unconfirmed["source"]) == (
        2027,
        False,
        None,
    )


def test_metrics_show_the_year_to_confirm_and_zero_once_it_is(engine: Engine) -> None:
    clock = SimulatedClock(vn("02/11/2026 08:00"), anchor=0.0, speed=0.0)  # stands still
    asked = Metrics(engine, clock, WorkCalendar(confirmed={2026: "x"})).registry
    assert asked.get_sample_value("hanbao_calendar_unconfirmed_year") == 2027
    settled = Metrics(engine, clock, WorkCalendar(confirmed={2026: "x", 2027: "y"})).registry
    assert settled.get_sample_value("hanbao_calendar_unconfirmed_year") == 0


def test_a_mail_whose_deadline_falls_in_an_unconfirmed_year_says_it_is_provisional(
    engine: Engine, config: Config
) -> None:
    notice = "hạn dự kiến theo lịch nghỉ chưa được xác nhận"

    def bodies() -> list[str]:
        with transaction(engine) as store:
            rows = store.session.exec(select(MessageRow)).all()
            return [row.body_text + row.body_html for row in rows]

    # 2027 is not confirmed in the shipped file: the case's urgent notice says so
    open_case(engine, config, "VV-2027-LICH", "03/03/2027 10:00", "03/03/2027 10:05")
    assert compose_at(engine, config, vn("03/03/2027 10:05")) > 0
    assert bodies() and all(notice in body for body in bodies())
    # confirmed, the next case's notice does not
    sure = WorkCalendar(
        [], confirmed={**config.calendar.confirmed, 2027: "Thông báo của Chính phủ"}
    )
    confirmed = replace(config, calendar=sure)
    before = len(bodies())
    open_case(engine, confirmed, "VV-2027-XN", "04/03/2027 10:00", "04/03/2027 10:05")
    assert compose_at(engine, confirmed, vn("04/03/2027 10:05")) > 0
    assert not any(notice in body for body in bodies()[before:])


def test_the_operators_get_one_mail_a_day_saying_which_days_off_are_assumed(
    engine: Engine, config: Config
) -> None:
    admin = "vanhanh@tinhmau.example"
    with transaction(engine) as store:
        top = store.units(["T01"])["T01"]
        store.save_units(
            [replace(top, contacts={**top.contacts, "admin": (admin,)})], date(2026, 11, 2)
        )

    def queue(cfg: Config, moment: str) -> int:
        with transaction(engine) as store:
            return calendar_digest(store, cfg, Renderer(cfg.mail.domain), vn(moment))

    assert queue(config, "30/10/2026 09:00") == 0  # October: 2026 is confirmed, 2027 not asked
    assert queue(config, "02/11/2026 08:00") == 0  # before the digest time
    assert queue(config, "02/11/2026 09:00") == 1  # 1 November passed: 2027 is asked for
    assert queue(config, "02/11/2026 15:00") == 0  # once a day
    with transaction(engine) as store:
        (message,) = store.session.exec(
            select(MessageRow).where(MessageRow.recipient == admin)
        ).all()
    assert "2027" in message.subject
    assert (
        "calendar_overrides" in message.body_text and "hanbao calendar check" in message.body_text
    )
    assert "Tết" in message.body_text  # the days assumed are listed
    sure = replace(
        config, calendar=WorkCalendar([], confirmed={**config.calendar.confirmed, 2027: "y"})
    )
    assert queue(sure, "03/11/2026 09:00") == 0  # confirmed: no more mail


def test_check_config_json_carries_the_warnings_on_both_sides_of_1_november() -> None:
    def warnings(as_of: str) -> list[str]:
        result = CliRunner().invoke(app, ["check-config", "--as-of", as_of, "--json"])
        assert result.exit_code == 0, result.output
        found: list[str] = json.loads(result.stdout)["warnings"]
        return found

    assert warnings("31/10/2026 23:00") == []
    (said,) = warnings("01/11/2026 00:30")
    assert "2027" in said and "calendar_overrides" in said
