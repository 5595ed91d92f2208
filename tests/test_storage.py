"""The storage contract: every test here runs on SQLite and on a real PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from scheduler.deadlines.rules_file import parse_rules
from scheduler.deadlines.vntime import end_of_day
from scheduler.errors import Conflict, InvalidInput, NotFound
from scheduler.lifecycle import ledger
from scheduler.lifecycle.simulate import simulate, steps
from scheduler.lifecycle.sweep import Emitted, sweep
from scheduler.settings import Config
from scheduler.store.queries import Store, transaction
from scheduler.store.schema import CaseRow, ObligationRow, ReminderRow
from scheduler.store.waves import Occurrence
from tests.conftest import count, open_case, run_until, vn

SUPERVISOR = "laodong@huyenmau.tinhmau.example"
DISTRICT_LEADER = "chutich@huyenmau.tinhmau.example"


@pytest.mark.parametrize(
    ("verified", "due"),
    [
        ("04/02/2027 15:00", date(2027, 2, 11)),
        ("21/08/2026 10:00", date(2026, 8, 22)),
        ("29/08/2026 10:00", date(2026, 9, 3)),
    ],
)
def test_urgent_report_due_one_working_day_after_verification(
    engine: Engine, config: Config, verified: str, due: date
) -> None:
    urgent = open_case(engine, config, "VV-1", verified, verified)
    with transaction(engine) as store:
        obligation = store.obligation(urgent)
    assert obligation is not None
    assert obligation.due_at == end_of_day(due)


def test_written_report_due_two_working_days_after_email(engine: Engine, config: Config) -> None:
    open_case(engine, config, "VV-TET", "04/02/2027 15:00", "04/02/2027 15:30")
    with transaction(engine) as store:
        done, started = ledger.report_case(
            store,
            config,
            "VV-TET",
            "urgent_report",
            vn("11/02/2027 09:00"),
            vn("11/02/2027 09:05"),
            "test",
            via="cli",
        )
    assert done.state(vn("11/02/2027 09:05")) == "submitted"
    assert done.days_late(vn("20/02/2027 00:00")) == 0
    assert [(o.kind, o.due_at) for o in started] == [
        ("written_report", end_of_day(date(2027, 2, 15)))
    ]


def test_case_obligations_every_case_kind(engine: Engine, config: Config) -> None:
    open_case(engine, config, "VV-2", "03/03/2027 10:00", "03/03/2027 10:00")
    with transaction(engine) as store:
        kinds = {o.kind: o for o in store.obligations(unit="X01")}
        assert set(kinds) == {"urgent_report", "support_plan"}
        assert kinds["support_plan"].due_at == end_of_day(date(2027, 3, 10))  # 5 working days
        _, started = ledger.submit(
            store,
            config,
            kinds["support_plan"].id,
            vn("09/03/2027 16:00"),
            vn("09/03/2027 16:00"),
            "test",
            via="cli",
        )
    assert [(o.kind, o.due_at) for o in started] == [
        ("plan_approval", end_of_day(date(2027, 3, 11)))
    ]


def test_calendar_hour_and_day_rules(engine: Engine, config: Config) -> None:
    """Decree 56's clocks: 12 calendar hours for protection, 15 days of temporary removal."""
    clocks = parse_rules(
        {
            "kinds": {
                "protect": {
                    "trigger": "case_verified",
                    "owed_by": ["commune"],
                    "deadline": {"hours": 12},
                    "ladder": [
                        {"step": "now", "at": "immediate", "notify": ["officer"]},
                        {"step": "late", "at_hours": 1, "notify": ["leader"], "flag_late": True},
                    ],
                },
                "reassess": {
                    "trigger": "case_verified",
                    "owed_by": ["commune"],
                    "deadline": {"calendar_days": 15},
                    "ladder": [{"step": "due_today", "at": 0, "notify": ["officer"]}],
                },
            }
        },
        Path("clocks.yaml"),
    )
    custom = replace(config, rules=clocks)
    with transaction(engine) as store:
        protect, reassess = ledger.open_case(
            store,
            custom,
            "VV-H",
            "X01",
            "xam_hai",
            vn("01/09/2026 20:00"),
            vn("01/09/2026 20:10"),
            "test",
        )
    assert protect.due_at == vn("02/09/2026 08:00")  # a holiday: hours do not care
    assert reassess.due_at == end_of_day(date(2026, 9, 16))
    emitted = run_until(engine, custom, vn("30/09/2026 00:00"))
    assert [(e.step, e.at) for e in emitted] == [
        ("now", vn("01/09/2026 20:10")),
        ("late", vn("02/09/2026 09:00")),
        ("due_today", vn("16/09/2026 08:00")),
    ]


def test_adhoc_request_uses_the_requesters_deadline(engine: Engine, config: Config) -> None:
    with transaction(engine) as store:
        created = ledger.request_adhoc(
            store,
            config,
            "CA-H01",
            "123/UBND-VX",
            end_of_day(date(2027, 3, 12)),
            "UBND huyện",
            vn("08/03/2027 09:00"),
            "test",
        )
    assert created.requested_by == "UBND huyện"
    emitted = run_until(engine, config, vn("12/03/2027 23:00"))
    assert [(e.step, e.at) for e in emitted] == [
        ("requested", vn("08/03/2027 09:00")),
        ("before", vn("11/03/2027 08:00")),
        ("due_today", vn("12/03/2027 08:00")),
    ]
    with transaction(engine) as store, pytest.raises(Conflict):
        ledger.request_adhoc(
            store,
            config,
            "CA-H01",
            "123/UBND-VX",
            end_of_day(date(2027, 3, 12)),
            "UBND huyện",
            vn("08/03/2027 09:00"),
            "test",
        )


def test_periodic_generation_is_idempotent(engine: Engine, config: Config) -> None:
    with transaction(engine) as store:
        first = ledger.generate_periodic(store, config, 2027, vn("01/01/2027 00:00"), "test")
    with transaction(engine) as store:
        second = ledger.generate_periodic(store, config, 2027, vn("02/01/2027 00:00"), "test")
    # 12 communes and 4 agencies owe six-monthly and annual; the 4 agencies the sector report
    assert first.created == 16 * 2 + 4
    assert (second.created, second.existing) == (0, first.created)
    assert count(engine, ObligationRow) == first.created


def test_one_off_dates_belong_to_their_year_only(engine: Engine, config: Config) -> None:
    with transaction(engine) as store:
        ledger.generate_periodic(store, config, 2024, vn("01/01/2024 00:00"), "test")
        ledger.generate_periodic(store, config, 2025, vn("01/01/2025 00:00"), "test")
        plan = [o for o in store.obligations() if o.kind == "plan_138_2024"]
    assert len(plan) == 4
    assert {o.due_at for o in plan} == {end_of_day(date(2024, 11, 14))}


def test_commune_on_time_gets_no_overdue_mail_and_is_never_flagged(
    engine: Engine, config: Config
) -> None:
    open_case(engine, config, "VV-OK", "03/03/2027 10:00", "03/03/2027 10:05")
    emitted = run_until(engine, config, vn("04/03/2027 12:00"))
    with transaction(engine) as store:
        ledger.report_case(
            store,
            config,
            "VV-OK",
            "urgent_report",
            vn("04/03/2027 11:00"),
            vn("04/03/2027 12:00"),
            "test",
            via="cli",
        )
        ledger.report_case(
            store,
            config,
            "VV-OK",
            "written_report",
            vn("05/03/2027 15:00"),
            vn("05/03/2027 15:00"),
            "test",
            via="cli",
        )
    emitted += run_until(engine, config, vn("31/03/2027 00:00"))
    case_steps = [
        (e.obligation.kind, e.step)
        for e in emitted
        if e.obligation.kind in ("urgent_report", "written_report")
    ]
    assert case_steps == [("urgent_report", "new_case"), ("urgent_report", "due_today")]
    assert not any(e.late_flag for e in emitted if e.obligation.kind != "support_plan")


def test_late_commune_is_flagged_to_the_district_once_per_flag_step(
    engine: Engine, config: Config
) -> None:
    urgent = open_case(engine, config, "VV-LATE", "03/03/2027 10:00", "03/03/2027 10:05")
    emitted = run_until(engine, config, vn("31/03/2027 00:00"))
    mine = [e for e in emitted if e.obligation.id == urgent]
    flags = [e for e in mine if e.late_flag]
    assert [(e.step, e.at, e.recipients) for e in flags] == [
        ("late_flag", vn("05/03/2027 08:00"), (SUPERVISOR,))
    ]
    assert [e.step for e in mine] == [
        "new_case",
        "due_today",
        "overdue",
        "late_flag",
        "overdue",
        "escalate_district",
        "overdue",
    ]
    escalation = next(e for e in mine if e.step == "escalate_district")
    assert escalation.recipients == (DISTRICT_LEADER,)
    with transaction(engine) as store:
        trail = [a for a in store.audit_trail(urgent) if a.action == "late_flag"]
        assert len(trail) == 1
        # the commune reports at last: recorded as late, never erased
        done, _ = ledger.report_case(
            store,
            config,
            "VV-LATE",
            "urgent_report",
            vn("10/03/2027 09:00"),
            vn("10/03/2027 09:00"),
            "test",
            via="cli",
        )
    assert (done.state(vn("11/03/2027 00:00")), done.days_late(vn("11/03/2027 00:00"))) == (
        "submitted",
        6,
    )
    assert [
        e for e in run_until(engine, config, vn("31/12/2027 00:00")) if e.obligation.id == urgent
    ] == []


def test_the_same_sweep_twice_records_each_step_once(engine: Engine, config: Config) -> None:
    with transaction(engine) as store:
        ledger.generate_periodic(store, config, 2027, vn("01/01/2027 00:00"), "test")
    first = sweep(engine, config, vn("01/07/2027 08:00"))
    rows = count(engine, ReminderRow)
    second = sweep(engine, config, vn("01/07/2027 08:00"))
    assert len(first) > 0 and second == []
    assert count(engine, ReminderRow) == rows


def test_a_stale_compare_and_set_loses(engine: Engine, config: Config) -> None:
    urgent = open_case(engine, config, "VV-CAS", "03/03/2027 10:00", "03/03/2027 10:00")
    with transaction(engine) as store:
        obligation = store.obligation(urgent)
        assert obligation is not None and obligation.next_action_at is not None
        assert not store.advance(urgent, vn("01/01/2000 00:00"), None)
        assert store.advance(urgent, obligation.next_action_at, vn("04/03/2027 08:00"))
        assert not store.advance(urgent, obligation.next_action_at, None)


def test_a_stale_bulk_compare_and_set_moves_only_the_rows_still_in_place(
    engine: Engine, config: Config
) -> None:
    first = open_case(engine, config, "VV-BULK1", "03/03/2027 10:00", "03/03/2027 10:00")
    second = open_case(engine, config, "VV-BULK2", "03/03/2027 10:00", "03/03/2027 10:00")
    with transaction(engine) as store:
        cursor = store.obligation(first)
        assert cursor is not None and cursor.next_action_at is not None
        moved = vn("04/03/2027 08:00")
        assert store.advance_many(
            [(first, cursor.next_action_at, moved), (second, vn("01/01/2000 00:00"), None)]
        ) == {first}
        assert store.advance_many([(first, cursor.next_action_at, None), (second, None, None)]) == (
            set()
        )
        again = store.obligation(first)
        assert again is not None and again.next_action_at == moved


def test_a_bulk_compare_and_set_is_undone_with_its_transaction(
    engine: Engine, config: Config
) -> None:
    """A sweep that dies after moving its cursors and before recording its reminders moved
    nothing: on SQLite, Python's driver opens its implicit transaction only before a statement
    that starts with INSERT, UPDATE, DELETE or REPLACE, and a ``WITH … UPDATE`` committed alone."""
    first = open_case(engine, config, "VV-UNDO", "03/03/2027 10:00", "03/03/2027 10:00")
    with transaction(engine) as store:
        before = store.obligation(first)
    assert before is not None and before.next_action_at is not None
    with pytest.raises(RuntimeError), transaction(engine) as store:
        assert store.advance_many([(first, before.next_action_at, None)]) == {first}
        raise RuntimeError("the daemon dies before the reminders are written")
    with transaction(engine) as store:
        after = store.obligation(first)
    assert after is not None and after.next_action_at == before.next_action_at


def test_two_sweeps_racing_record_each_step_and_late_flag_once(
    engine: Engine, config: Config
) -> None:
    with transaction(engine) as store:
        ledger.generate_periodic(store, config, 2027, vn("01/01/2027 00:00"), "test")
    for moment in ("16/06/2027 08:00", "25/06/2027 08:00", "30/06/2027 08:00"):
        sweep(engine, config, vn(moment))
    small = replace(config, sweep_batch=1)  # many batches: the two sweeps interleave
    start = threading.Barrier(2)

    def racer() -> list[Emitted]:
        start.wait(timeout=30)
        return sweep(engine, small, vn("01/07/2027 08:00"))

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: racer(), range(2)))
    emitted = [e for result in results for e in result]
    keys = [(e.obligation.id, e.step, e.repeat) for e in emitted]
    assert keys and len(keys) == len(set(keys))
    flags = [e for e in emitted if e.late_flag]
    with transaction(engine) as store:
        trail = [a for a in store.audit_trail() if a.action == "late_flag"]
    assert flags and sorted(a.obligation_id or 0 for a in trail) == sorted(
        e.obligation.id for e in flags
    )
    assert sweep(engine, config, vn("01/07/2027 08:00")) == []


def test_a_batch_that_fails_to_record_stops_the_sweep_and_the_next_sweep_records_it_once(
    engine: Engine, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL a batch is recorded on a thread while the next is planned: a failure there
    ends the sweep, undoes that batch and the one planned after it, and loses nothing."""
    with transaction(engine) as store:
        ledger.generate_periodic(store, config, 2027, vn("01/01/2027 00:00"), "test")
    for moment in ("16/06/2027 08:00", "25/06/2027 08:00", "30/06/2027 08:00"):
        sweep(engine, config, vn(moment))
    july1 = vn("01/07/2027 08:00")
    with transaction(engine) as store:
        due = sorted(o.id for o in store.due_for_action(july1, 10_000))
    recorded = Store.add_reminders
    calls: list[int] = []

    def fails_at_the_second_batch(store: Store, rows: Sequence[Occurrence]) -> None:
        calls.append(len(rows))
        if len(calls) == 2:
            raise RuntimeError("the database refused the second batch's reminders")
        recorded(store, rows)

    monkeypatch.setattr(Store, "add_reminders", fails_at_the_second_batch)
    with pytest.raises(RuntimeError, match="second batch"):
        sweep(engine, replace(config, sweep_batch=2), july1)
    monkeypatch.undo()
    with transaction(engine) as store:
        first = {a.obligation_id for a in store.audit_trail() if a.action == "late_flag"}
    assert len(due) > 4 and len(first) == 2  # the first batch only: the rest undone
    emitted = sweep(engine, config, july1)
    with transaction(engine) as store:
        flagged = [a.obligation_id or 0 for a in store.audit_trail() if a.action == "late_flag"]
        assert store.due_for_action(july1, 10_000) == []
    assert sorted(flagged) == due  # every due obligation flagged late, once
    assert {e.obligation.id for e in emitted} == set(due) - first


def test_finding_due_work_ignores_obligations_not_yet_due(engine: Engine, config: Config) -> None:
    with transaction(engine) as store:
        ledger.generate_periodic(store, config, 2027, vn("01/01/2027 00:00"), "test")
        assert store.due_for_action(vn("15/06/2027 23:00"), 1000) == []
        due = store.due_for_action(vn("16/06/2027 08:00"), 1000)
    assert {o.kind for o in due} == {"six_monthly"}


@pytest.mark.parametrize(
    ("code", "unit", "category", "verified", "error"),
    [
        ("VV-X", "X99", "xam_hai", "03/03/2027 10:00", NotFound),
        ("VV-X", "CA-H01", "xam_hai", "03/03/2027 10:00", InvalidInput),  # agencies: no cases
        ("VV-X", "X01", "xam_hai", "03/03/2030 10:00", InvalidInput),  # verified in the future
        ("Nguyễn Văn A", "X01", "xam_hai", "03/03/2027 10:00", InvalidInput),  # a name, not a code
        ("VV-X", "X01", "bé bị đánh ở nhà", "03/03/2027 10:00", InvalidInput),  # a story
    ],
)
def test_refused_case_writes_nothing(
    engine: Engine,
    config: Config,
    code: str,
    unit: str,
    category: str,
    verified: str,
    error: type[Exception],
) -> None:
    with pytest.raises(error), transaction(engine) as store:
        ledger.open_case(
            store, config, code, unit, category, vn(verified), vn("04/03/2027 10:00"), "test"
        )
    assert count(engine, CaseRow) == 0
    assert count(engine, ObligationRow) == 0


def test_duplicate_case_code_is_refused(engine: Engine, config: Config) -> None:
    open_case(engine, config, "VV-D", "03/03/2027 10:00", "03/03/2027 10:00")
    with pytest.raises(Conflict, match="VV-D"):
        open_case(engine, config, "VV-D", "03/03/2027 10:00", "03/03/2027 11:00")
    assert count(engine, ObligationRow) == 2


def test_submission_is_checked_and_recorded_once(engine: Engine, config: Config) -> None:
    urgent = open_case(engine, config, "VV-S", "03/03/2027 10:00", "03/03/2027 10:00")
    now = vn("04/03/2027 10:00")
    with (
        pytest.raises(InvalidInput, match="before the obligation began"),
        transaction(engine) as store,
    ):
        ledger.submit(store, config, urgent, vn("02/03/2027 10:00"), now, "test", via="cli")
    with pytest.raises(InvalidInput, match="in the future"), transaction(engine) as store:
        ledger.submit(store, config, urgent, vn("05/03/2027 10:00"), now, "test", via="cli")
    with transaction(engine) as store:
        ledger.submit(store, config, urgent, vn("04/03/2027 09:00"), now, "test", via="cli")
    with pytest.raises(Conflict, match="already submitted"), transaction(engine) as store:
        ledger.submit(store, config, urgent, vn("04/03/2027 09:30"), now, "test", via="cli")
    assert count(engine, ObligationRow) == 3  # urgent, support plan, and one written report


def test_simulate_matches_a_real_run_and_changes_nothing(engine: Engine, config: Config) -> None:
    open_case(engine, config, "VV-SIM", "03/03/2027 10:00", "03/03/2027 10:05")
    before = (count(engine, ObligationRow), count(engine, ReminderRow))
    simulated = simulate(engine, config, vn("03/03/2027 10:05"), end_of_day(date(2027, 12, 31)))
    assert (count(engine, ObligationRow), count(engine, ReminderRow)) == before
    with transaction(engine) as store:
        ledger.generate_periodic(store, config, 2027, vn("03/03/2027 10:05"), "test")
    real = run_until(engine, config, end_of_day(date(2027, 12, 31)))

    def key(e: Emitted) -> tuple[str, str, str, int, datetime, tuple[str, ...]]:
        return (e.obligation.key, e.obligation.unit, e.step, e.repeat, e.at, e.recipients)

    assert len(simulated) > 100
    assert [key(e) for e in simulated] == [key(e) for e in real]


def next_actions(engine: Engine) -> dict[int, datetime | None]:
    with transaction(engine) as store:
        rows = store.session.exec(select(ObligationRow.id, ObligationRow.next_action_at))
        return {int(i): at for i, at in rows if i is not None}


def test_simulate_yields_each_step_as_its_sweep_records_it(engine: Engine, config: Config) -> None:
    """The steps come lazily (a national year is never held), and leaving early rolls back."""
    open_case(engine, config, "VV-SIM", "03/03/2027 10:00", "03/03/2027 10:05")
    before = (count(engine, ObligationRow), count(engine, ReminderRow))
    start, end = vn("03/03/2027 10:05"), end_of_day(date(2027, 12, 31))
    with transaction(engine) as store:  # the year exists: the first write is the sweep's
        ledger.generate_periodic(store, config, 2027, start, "test")
    before = (count(engine, ObligationRow), count(engine, ReminderRow))
    moments: list[datetime] = []
    cursors = next_actions(engine)
    total = len(simulate(engine, config, start, end, lambda now, _: moments.append(now)))
    # not one cursor moved: SQLite's driver runs a ``WITH … UPDATE`` (the sweep's
    # compare-and-set) outside its implicit transaction unless one was begun explicitly
    assert next_actions(engine) == cursors
    seen: list[datetime] = []
    with closing(steps(engine, config, start, end, lambda now, _: seen.append(now))) as lazy:
        assert seen == []  # nothing runs before the first step is asked for
        first = next(lazy)
        assert first.at == moments[0] and seen == []  # the first sweep is not even finished
        rest = [next(lazy) for _ in range(5)]
        assert len(seen) < len(moments) // 2 and total > 100  # far from the end of the year
        assert all(a.at <= b.at for a, b in zip([first, *rest], rest, strict=False))
    # leaving early (``close()``) rolls back what the steps wrote
    assert next_actions(engine) == cursors
    assert (count(engine, ObligationRow), count(engine, ReminderRow)) == before


def test_generating_more_obligations_than_one_statement_holds(
    engine: Engine, config: Config
) -> None:
    """A national year must not exceed the bound-parameter limit (PostgreSQL: 65,535)."""
    codes = [f"X{n:05d}" for n in range(3_100)]
    with transaction(engine) as store:
        sample = store.units(["X01"])["X01"]
        store.save_units([replace(sample, code=code) for code in codes], date(2027, 1, 1))
    with transaction(engine) as store:
        result = ledger.generate_periodic(store, config, 2027, vn("01/01/2027 00:00"), "test")
    assert result.created == (3_100 + 16) * 2 + 4


def test_an_obligation_whose_kind_vanished_waits_and_loses_nothing(
    engine: Engine, config: Config
) -> None:
    """A kind renamed in rules.yaml by mistake: the sweep sets it aside; once the rules are
    fixed, the steps it missed are handled, and the late flag is not lost."""
    urgent = open_case(engine, config, "VV-P", "03/03/2027 10:00", "03/03/2027 10:05")
    sweep(engine, config, vn("03/03/2027 10:05"))
    broken = replace(
        config,
        rules=replace(
            config.rules,
            kinds={k: v for k, v in config.rules.kinds.items() if k != "urgent_report"},
        ),
    )
    for moment in ("04/03/2027 08:00", "05/03/2027 08:00", "08/03/2027 08:00"):
        assert [e for e in sweep(engine, broken, vn(moment)) if e.obligation.id == urgent] == []
    fixed = [e for e in sweep(engine, config, vn("08/03/2027 09:00")) if e.obligation.id == urgent]
    assert sorted(e.step for e in fixed) == ["escalate_district", "late_flag", "overdue"]
