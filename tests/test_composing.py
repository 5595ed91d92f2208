"""Composing everything recorded, slice after slice (``scheduler.mail.composing``), on each
backend: on PostgreSQL a slice is written on its own connection while the next is taken."""

from __future__ import annotations

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import pytest
from sqlmodel import col, select

from scheduler.lifecycle import ledger
from scheduler.lifecycle.sweep import sweep
from scheduler.mail import outbox
from scheduler.mail.composing import compose_all
from scheduler.mail.render import Renderer
from scheduler.settings import Config
from scheduler.store.connection import Engine
from scheduler.store.queries import transaction
from scheduler.store.schema import MessageItemRow, MessageRow, ReminderRow
from tests.conftest import open_case, vn

JUNE16 = vn("16/06/2027 08:00")  # every unit's six-monthly reminder is due


def _wave(engine: Engine, config: Config) -> list[ReminderRow]:
    with transaction(engine) as store:
        ledger.generate_periodic(store, config, 2027, vn("01/01/2027 00:00"), "test")
    sweep(engine, config, JUNE16)
    return _due(engine)


def _due(engine: Engine) -> list[ReminderRow]:
    with transaction(engine) as store:
        rows = store.session.exec(select(ReminderRow).where(col(ReminderRow.state) == "due"))
        return list(rows.all())


def _expected(due: list[ReminderRow]) -> Counter[tuple[int, str]]:
    """Each reminder once to each of its recipients."""
    return Counter((r.id or 0, address) for r in due for address in json.loads(r.recipients))


def _carried(engine: Engine) -> Counter[tuple[int, str]]:
    """How many times each (reminder, recipient) is in a queued message."""
    with transaction(engine) as store:
        rows = store.session.exec(
            select(MessageItemRow.reminder_id, MessageRow.recipient).join(
                MessageRow, col(MessageRow.id) == MessageItemRow.message_id
            )
        )
        return Counter(rows.all())


def test_a_wave_composed_in_many_slices_carries_each_reminder_to_each_recipient_once(
    engine: Engine, config: Config
) -> None:
    due = _wave(engine, config)
    assert len(due) > 6  # more than two slices of three

    queued = compose_all(engine, config, Renderer(config.mail.domain), JUNE16, limit=3)

    assert _carried(engine) == _expected(due)
    assert all(r.composed_at == JUNE16 for r in _due(engine))
    with transaction(engine) as store:
        assert queued == sum(store.message_counts().values())
    assert compose_all(engine, config, Renderer(config.mail.domain), JUNE16, limit=3) == 0


def test_a_slice_that_fails_to_be_written_is_undone_and_composed_once_at_the_next_run(
    engine: Engine, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second slice's writing fails: the first stays queued, the second is undone (and, on
    PostgreSQL, the third, taken meanwhile), and the next run composes the rest, once."""
    due = _wave(engine, config)
    writes = 0
    enqueue = outbox.enqueue_many

    def fails_at_the_second_slice(*args: Any, **kwargs: Any) -> int:
        nonlocal writes
        writes += 1
        if writes == 2:
            raise RuntimeError("the database went away")
        return enqueue(*args, **kwargs)

    monkeypatch.setattr(outbox, "enqueue_many", fails_at_the_second_slice)
    with pytest.raises(RuntimeError, match="went away"):
        compose_all(engine, config, Renderer(config.mail.domain), JUNE16, limit=3)
    assert sum(r.composed_at is not None for r in _due(engine)) == 3  # the first slice alone

    monkeypatch.setattr(outbox, "enqueue_many", enqueue)
    compose_all(engine, config, Renderer(config.mail.domain), JUNE16, limit=3)
    assert _carried(engine) == _expected(due)


def test_two_daemons_composing_a_wave_at_once_carry_each_reminder_to_each_recipient_once(
    engine: Engine, config: Config
) -> None:
    due = _wave(engine, config)
    renderer = Renderer(config.mail.domain)
    start = threading.Barrier(2)

    def daemon() -> int:
        start.wait(timeout=30)
        return compose_all(engine, config, renderer, JUNE16, limit=2)

    with ThreadPoolExecutor(2) as pool:
        queued = [f.result(timeout=120) for f in [pool.submit(daemon), pool.submit(daemon)]]
    assert _carried(engine) == _expected(due)
    with transaction(engine) as store:
        assert sum(queued) == sum(store.message_counts().values())


def test_reminders_that_cannot_be_composed_hold_up_none_of_the_others(
    engine: Engine, config: Config
) -> None:
    """Four new cases' notices of a kind the rules no longer know (the most urgent: they come
    first in every slice of three) wait uncomposed; the six-monthly reminders behind them go."""
    for n in range(4):
        open_case(engine, config, f"VV-H{n}", "16/06/2027 07:00", "16/06/2027 07:30")
    due = _wave(engine, config)
    kinds = {k: v for k, v in config.rules.kinds.items() if k != "urgent_report"}
    renamed = replace(config, rules=replace(config.rules, kinds=kinds))  # e.g. a kind renamed

    compose_all(engine, renamed, Renderer(config.mail.domain), JUNE16, limit=3)

    with transaction(engine) as store:
        kinds_of = {o.id: o.kind for o in store.obligations()}
    waiting = [r for r in _due(engine) if r.composed_at is None]
    assert len(waiting) == 4 and {kinds_of[r.obligation_id] for r in waiting} == {"urgent_report"}
    composed = [r for r in due if kinds_of[r.obligation_id] != "urgent_report"]
    assert composed and _carried(engine) == _expected(composed)


def test_units_read_in_a_run_are_read_anew_in_the_next(engine: Engine, config: Config) -> None:
    """A full slice reads every unit once for its run; a unit renamed after that run is named
    anew in the mail of the next."""
    _wave(engine, config)
    compose_all(engine, config, Renderer(config.mail.domain), JUNE16, limit=3)
    with transaction(engine) as store:
        unit = store.units(["X01"])["X01"]
        store.save_units([replace(unit, name="Xã Đổi Tên")], JUNE16.date())
    open_case(engine, config, "VV-R1", "16/06/2027 08:00", "16/06/2027 08:05")
    sweep(engine, config, vn("16/06/2027 08:10"))

    compose_all(engine, config, Renderer(config.mail.domain), vn("16/06/2027 08:10"), limit=3)

    with transaction(engine) as store:
        notices = store.session.exec(
            select(MessageRow.body_text).where(col(MessageRow.template) == "new_case")
        ).all()
    assert notices and all("Xã Đổi Tên" in body for body in notices)
