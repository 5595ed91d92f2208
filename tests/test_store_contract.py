"""The store's contract for what the shell calls: the daemon and its jobs, the command line, the
intake and ``/metrics`` reach the database only through these operations of
``scheduler.store``, and each behaves the same on SQLite and on PostgreSQL (the ``engine`` and
``database_url`` fixtures give each backend in turn)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from scheduler.lifecycle import ledger
from scheduler.lifecycle.sweep import sweep
from scheduler.settings import Config
from scheduler.store.connection import (
    DBAPIError,
    Engine,
    OperationalError,
    SQLAlchemyError,
    check_writable,
    shown_url,
)
from scheduler.store.gauges import OpenCount
from scheduler.store.queries import rolled_back, transaction
from scheduler.store.schema import MessageRow, ReminderRow, make_engine, with_database
from scheduler.store.upkeep import tidy
from scheduler.store.waves import Occurrence
from tests.conftest import open_case, vn
from tests.mailsink import free_port

VERIFIED, OPENED = "04/02/2027 15:00", "04/02/2027 16:00"  # due 11/02/2027: Tết in between


def _message(state: str, created: datetime, n: int) -> MessageRow:
    return MessageRow(
        key=f"contract-{n}",
        message_id=f"<contract-{n}@hanbao.example>",
        template="reminder",
        priority=1,
        unit="X01",
        concerned='["X01"]',
        recipient="treem@anbinh.huyenmau.tinhmau.example",
        subject="s",
        body_text="b",
        body_html="<p>b</p>",
        state=state,
        next_attempt_at=created,
        created_at=created,
    )


def test_newest_obligation_id_is_zero_on_an_empty_ledger_then_the_highest_id(
    engine: Engine, config: Config
) -> None:
    with transaction(engine) as store:
        assert store.newest_obligation_id() == 0
    first = open_case(engine, config, "VV-2027-001", VERIFIED, OPENED)
    with transaction(engine) as store:
        after_first = store.newest_obligation_id()
    open_case(engine, config, "VV-2027-002", VERIFIED, OPENED)
    with transaction(engine) as store:
        ids = [o.id for o in store.obligations()]
        assert after_first >= first
        assert store.newest_obligation_id() == max(ids) > after_first


def test_a_transaction_that_raises_writes_nothing(engine: Engine, config: Config) -> None:
    with pytest.raises(RuntimeError), transaction(engine) as store:
        store.audit(vn(OPENED), "test", "contract_check")
        ledger.open_case(
            store, config, "VV-2027-001", "X01", "xam_hai", vn(VERIFIED), vn(OPENED), "t"
        )
        raise RuntimeError("abandon")
    with transaction(engine) as store:
        assert store.newest_obligation_id() == 0
        assert store.audit_log.latest(None, None, 10) == []


def test_a_rolled_back_store_leaves_the_database_as_it_was(engine: Engine, config: Config) -> None:
    with rolled_back(engine) as store:
        ledger.open_case(
            store, config, "VV-2027-001", "X01", "xam_hai", vn(VERIFIED), vn(OPENED), "t"
        )
        store.audit(vn(OPENED), "simulate", "contract_check")
        assert store.newest_obligation_id() > 0  # seen inside, as the simulation's sweeps see it
        assert store.earliest_action() is not None
    with transaction(engine) as store:
        assert store.newest_obligation_id() == 0
        assert store.earliest_action() is None
        assert store.audit_log.latest(None, None, 10) == []


def test_the_audit_log_lists_the_latest_entries_of_an_action_newest_first(
    engine: Engine,
) -> None:
    start = vn("01/03/2027 08:00")
    with transaction(engine) as store:
        for hour, action in enumerate(
            ["login_failed", "case_open", "login_failed", "login_failed"]
        ):
            store.audit(start + timedelta(hours=hour), "api", action, where="page", n=hour)
    with transaction(engine) as store:
        everything = store.audit_log.latest(None, None, 10)
        failed = store.audit_log.latest("login_failed", None, 10)
        recent = store.audit_log.latest("login_failed", start + timedelta(hours=2), 10)
        one = store.audit_log.latest(None, None, 1)
    assert [e.detail["n"] for e in everything] == [3, 2, 1, 0]
    assert [e.detail["n"] for e in failed] == [3, 2, 0]
    assert [e.detail["n"] for e in recent] == [3, 2]
    assert [(e.action, e.actor, e.at) for e in one] == [
        ("login_failed", "api", start + timedelta(hours=3))
    ]


def test_gauges_count_open_and_overdue_obligations_per_unit_and_per_parent(
    engine: Engine, config: Config
) -> None:
    urgent = open_case(engine, config, "VV-2027-001", VERIFIED, OPENED)
    open_case(engine, config, "VV-2027-002", VERIFIED, OPENED)
    with transaction(engine) as store:
        obligation = store.obligation(urgent)
        assert obligation is not None
        before = store.gauges.open_counts(vn("05/02/2027 09:00"), "unit")
        after = store.gauges.open_counts(vn("12/02/2027 09:00"), "unit")
        parents = store.gauges.open_counts(vn("12/02/2027 09:00"), "parent")
    kind, due = obligation.kind, obligation.due_at

    def series(counts: list[OpenCount]) -> dict[tuple[str, str, str], tuple[int, int]]:
        return {(c.kind, c.unit, c.parent): (c.open, c.overdue) for c in counts}

    assert series(before)[(kind, "X01", "H01")] == (2, 0)
    assert series(after)[(kind, "X01", "H01")] == (2, 2)
    assert series(parents)[(kind, "", "H01")] == (2, 2)
    assert {c.unit for c in parents} == {""}  # per parent: no commune in the labels
    assert {c.oldest_due for c in before} == {None}
    assert next(c.oldest_due for c in after if c.kind == kind) == due
    with transaction(engine) as store:  # a submitted obligation is no longer open
        ledger.submit(
            store, config, urgent, vn("12/02/2027 10:00"), vn("12/02/2027 10:00"), "t", via="cli"
        )
    with transaction(engine) as store:
        counted = series(store.gauges.open_counts(vn("12/02/2027 11:00"), "unit"))
    assert counted[(kind, "X01", "H01")] == (1, 1)


def test_the_outbox_gauge_counts_messages_by_state_and_dates_the_oldest_waiting(
    engine: Engine,
) -> None:
    with transaction(engine) as store:
        empty = store.gauges.outbox()
    assert (empty.states, empty.oldest_waiting) == ({}, None)
    first = vn("01/03/2027 08:00")
    with transaction(engine) as store:
        for n, state in enumerate(["sent", "pending", "sending", "pending", "failed"]):
            store.session.add(_message(state, first + timedelta(minutes=n), n))
    with transaction(engine) as store:
        outbox = store.gauges.outbox()
    assert outbox.states == {"sent": 1, "pending": 2, "sending": 1, "failed": 1}
    assert outbox.oldest_waiting is not None
    assert outbox.oldest_waiting == first + timedelta(minutes=1)  # the sent one is not waiting


def test_a_mailbox_cursor_is_absent_until_moved_then_holds_the_last_move(
    engine: Engine,
) -> None:
    now = vn("01/03/2027 08:00")
    with transaction(engine) as store:
        assert store.cursor("imap:INBOX") is None
        store.move_cursor("imap:INBOX", 7, 42, now)
    with transaction(engine) as store:
        assert store.cursor("imap:INBOX") == (7, 42)
        assert store.cursor("imap:Other") is None
        store.move_cursor("imap:INBOX", 8, 3, now)  # the folder was rebuilt: a new UIDVALIDITY
    with transaction(engine) as store:
        assert store.cursor("imap:INBOX") == (8, 3)


def test_settling_reminders_marks_those_recorded_by_then_as_composed_when_recorded(
    engine: Engine, config: Config
) -> None:
    open_case(engine, config, "VV-2027-001", VERIFIED, OPENED)
    sweep(engine, config, vn("04/02/2027 17:00"))
    sweep(engine, config, vn("12/02/2027 09:00"))
    with transaction(engine) as store:
        recorded = sorted({r.recorded_at for r in store.session.exec(select(ReminderRow))})
    assert len(recorded) == 2, recorded
    with transaction(engine) as store:
        store.settle_reminders(recorded[0])
    with transaction(engine) as store:
        rows = store.session.exec(select(ReminderRow)).all()
    assert rows
    for row in rows:
        expected = row.recorded_at if row.recorded_at <= recorded[0] else None
        assert row.composed_at == expected, (row.step, row.recorded_at)


def test_a_step_recorded_already_is_left_alone_and_the_others_recorded(
    engine: Engine, config: Config
) -> None:
    """On PostgreSQL the occurrences go by ``COPY``, which the one already there fails after
    the new one is written: undone to its savepoint, they go the ``INSERT … ON CONFLICT`` way."""
    urgent = open_case(engine, config, "VV-2027-001", VERIFIED, OPENED)  # its obligation
    at, to = vn("04/02/2027 17:00"), ("treem@anbinh.huyenmau.tinhmau.example",)

    def step(name: str, recorded: datetime) -> Occurrence:
        return Occurrence(urgent, name, 0, "due", False, to, at, recorded)

    with transaction(engine) as store:
        store.add_reminders([step("a", at)])
    with transaction(engine) as store:
        store.add_reminders([step("b", at), step("a", at + timedelta(hours=1))])  # b written
    with transaction(engine) as store:
        rows = store.session.exec(select(ReminderRow.step, ReminderRow.recorded_at)).all()
    assert sorted(rows) == [("a", at), ("b", at)]


def test_the_units_read_back_as_the_sample_file_has_them(engine: Engine) -> None:
    with transaction(engine) as store:
        units = store.units()
    assert units["X01"].parent == "H01" and units["X01"].kind == "commune"
    assert units["H01"].parent == "T01"
    assert units["X01"].contacts["officer"] == ("treem@anbinh.huyenmau.tinhmau.example",)


def test_a_database_that_cannot_be_reached_raises_the_errors_the_shell_tells_apart(
    database_url: str, tmp_path: Path
) -> None:
    """The intake stops a poll on ``OperationalError``, answers 451 on ``DBAPIError``;
    ``check-config`` passes over any ``SQLAlchemyError``."""
    if database_url.startswith("sqlite"):
        gone = f"sqlite:///{tmp_path}/no/such/folder/h.sqlite3"
    else:
        gone = f"postgresql://hanbao@127.0.0.1:{free_port()}/hanbao"  # nobody listens there
    engine = make_engine(gone)
    try:
        with pytest.raises(OperationalError) as raised, transaction(engine) as store:
            store.newest_obligation_id()
    finally:
        engine.dispose()
    assert isinstance(raised.value, DBAPIError) and isinstance(raised.value, SQLAlchemyError)
    assert raised.value.orig is not None  # the driver's own error, whose name the intake logs


def test_shown_url_hides_the_password(database_url: str) -> None:
    if database_url.startswith("sqlite"):
        url = database_url
    else:
        url = with_database("postgresql://hanbao:s3cret-word@db.example:5433/x", "hanbao")
    engine = make_engine(url)
    try:
        shown = shown_url(engine)
    finally:
        engine.dispose()
    assert "s3cret-word" not in shown
    assert shown.endswith(
        "hanbao.sqlite3" if url.startswith("sqlite") else "@db.example:5433/hanbao"
    )


def test_a_writable_database_passes_the_write_check_and_keeps_nothing(engine: Engine) -> None:
    check_writable(engine)
    check_writable(engine)  # the probe row was rolled back: a second check does not collide


def test_housekeeping_tidies_a_live_database_and_loses_nothing(
    engine: Engine, config: Config
) -> None:
    urgent = open_case(engine, config, "VV-2027-001", VERIFIED, OPENED)
    tidy(engine)  # SQLite: checkpoint and optimize; PostgreSQL: nothing to do
    tidy(engine)
    with transaction(engine) as store:
        found = store.obligation(urgent)
    assert found is not None and found.case_code == "VV-2027-001"
