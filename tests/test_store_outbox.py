"""The outbox's queries on each backend: queuing once (a wave too, and a slice composed a chunk
at a time), the urgency-ordered claim, and outcomes that change only what is still the
caller's."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from scheduler.lifecycle.sweep import sweep
from scheduler.mail import compose
from scheduler.mail.outbox import pending_again, sent
from scheduler.mail.render import Renderer
from scheduler.settings import Config
from scheduler.store.base import ROWS_PER_STATEMENT
from scheduler.store.connection import Engine
from scheduler.store.outbox import NEW, Items
from scheduler.store.outcomes import Writer
from scheduler.store.queries import transaction
from scheduler.store.schema import MessageItemRow, MessageRow, ReminderRow
from tests.conftest import open_case, vn
from tests.probe import until

LEASE = timedelta(minutes=5)


def _new(n: int, priority: int, created: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {
        "key": f"store-{n}",
        "message_id": f"<store-{n}@hanbao.example>",
        "template": "reminder",
        "priority": priority,
        "unit": None,
        "concerned": "[]",
        "obligation_id": None,
        "thread_ref": None,
        "recipient": "treem@anbinh.huyenmau.tinhmau.example",
        "subject": f"thư {n}",
        "body_text": "b",
        "body_html": "<p>b</p>",
        "state": "pending",
        "attempts": 0,
        "next_attempt_at": created,
        "created_at": created,
    }
    assert set(values) == set(NEW)
    return values


def test_a_message_queued_twice_is_stored_once(engine: Engine) -> None:
    at = vn("01/07/2027 08:00")
    with transaction(engine) as store:
        assert store.add_messages([(_new(1, 1, at), ()), (_new(2, 1, at), ())]) == 2
    with transaction(engine) as store:
        assert store.add_messages([(_new(2, 1, at), ()), (_new(3, 1, at), ())]) == 1
        assert store.add_message(_new(3, 1, at)) is None
        assert store.message_counts() == {"pending": 3}
        listed = store.messages("pending", 10)
    assert [m.subject for m in listed] == ["thư 3", "thư 2", "thư 1"]  # newest first
    assert all(m.created_at == at and m.finished_at is None for m in listed)


def test_a_wave_larger_than_a_statement_is_queued_whole_with_its_items(
    engine: Engine, config: Config
) -> None:
    """More messages, and more items, than one statement takes on SQLite: every new message
    with the reminders it carries, a key already queued left alone with its items."""
    for n in range(2):
        open_case(engine, config, f"VV-W{n}", "03/03/2027 10:00", "03/03/2027 10:05")
    sweep(engine, config, vn("03/03/2027 10:05"))
    with transaction(engine) as store:
        rows = store.session.exec(select(ReminderRow.id, ReminderRow.obligation_id)).all()
    carried = tuple((r, o) for r, o in rows if r is not None)
    assert len(carried) == 2  # each new case's urgent notice
    at = vn("03/03/2027 10:05")
    wave = [(_new(n, 1, at), carried) for n in range(ROWS_PER_STATEMENT + 100)]
    with transaction(engine) as store:
        assert store.add_messages(wave) == len(wave)
    with transaction(engine) as store:
        assert store.add_messages([*wave[:2], (_new(-1, 1, at), carried[:1])]) == 1
        items = store.session.exec(select(MessageItemRow.message_id)).all()
        assert store.message_counts() == {"pending": len(wave) + 1}
    assert sorted(Counter(items).values()) == [1] + [2] * len(wave)


def test_a_key_queued_meanwhile_by_another_daemon_is_left_alone(engine: Engine) -> None:
    """Two daemons queue the same key at once, though it was meant to be new: the second waits
    for the first's transaction, then queues only what is new. On PostgreSQL its ``COPY`` meets
    the key (not yet committed), is undone to its savepoint, and goes the ``INSERT`` way."""
    at = vn("01/07/2027 08:00")
    theirs = {**_new(1, 1, at), "subject": "của daemon kia"}
    with ThreadPoolExecutor(1) as other, transaction(engine) as store:
        assert store.add_messages([(_new(1, 1, at), ())], new=True) == 1
        queuing = other.submit(_queue_alone, engine, [(theirs, ()), (_new(2, 1, at), ())])
        if engine.dialect.name == "postgresql":  # until the other waits on our key
            until(lambda: _waiting_on_a_lock(engine) or None, 30, "the other to wait")
    assert queuing.result(timeout=60) == 1
    with transaction(engine) as store:
        listed = store.messages("pending", 10)
    assert sorted(m.subject for m in listed) == ["thư 1", "thư 2"]  # the first's, and the new


def _queue_alone(engine: Engine, messages: list[tuple[dict[str, Any], Items]]) -> int:
    with transaction(engine) as store:
        return store.add_messages(messages, new=True)


def _waiting_on_a_lock(engine: Engine) -> bool:
    with engine.connect() as connection:
        return bool(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"
                )
            ).scalar_one()
        )


@pytest.mark.parametrize("chunk", [1, 1000], ids=["a-mail-a-chunk", "one-chunk"])
def test_a_slice_composed_a_chunk_at_a_time_queues_each_reminder_once(
    engine: Engine, config: Config, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """Each chunk is written while the next is rendered: the same mails, each notice in the
    officer's and the leader's bundle, every reminder marked composed."""
    monkeypatch.setattr(compose, "CHUNK", chunk)
    for n in range(3):
        open_case(engine, config, f"VV-K{n}", "03/03/2027 10:00", "03/03/2027 10:05")
    at = vn("03/03/2027 10:05")
    sweep(engine, config, at)
    with transaction(engine) as store:
        assert compose.compose(store, config, Renderer(config.mail.domain), at) == 2
    with transaction(engine) as store:
        assert compose.compose(store, config, Renderer(config.mail.domain), at) == 0
        carried = store.session.exec(select(MessageItemRow.reminder_id)).all()
        due = store.session.exec(select(ReminderRow).where(col(ReminderRow.state) == "due")).all()
        recipients = store.session.exec(select(MessageRow.recipient)).all()
    assert len(due) == 3 and len(set(recipients)) == 2
    assert Counter(carried) == {r.id: 2 for r in due}
    assert all(r.composed_at == at for r in due)


def test_a_reminder_of_an_unknown_kind_waits_uncomposed_until_its_kind_is_back(
    engine: Engine, config: Config
) -> None:
    """Taken, then given back: no mail, and still uncomposed, until the rules know its kind."""
    open_case(engine, config, "VV-U", "03/03/2027 10:00", "03/03/2027 10:05")
    at = vn("03/03/2027 10:05")
    sweep(engine, config, at)
    kinds = {k: v for k, v in config.rules.kinds.items() if k != "urgent_report"}
    renamed = replace(config, rules=replace(config.rules, kinds=kinds))  # e.g. a kind renamed
    renderer = Renderer(config.mail.domain)
    with transaction(engine) as store:
        assert compose.compose(store, renamed, renderer, at) == 0
    with transaction(engine) as store:
        waiting = store.session.exec(select(ReminderRow)).all()
        assert [r.composed_at for r in waiting] == [None] and store.message_counts() == {}
    with transaction(engine) as store:
        assert compose.compose(store, config, renderer, at) == 2  # the officer's, the leader's
    with transaction(engine) as store:
        assert [r.composed_at for r in store.session.exec(select(ReminderRow)).all()] == [at]


def test_the_claim_takes_the_most_urgent_then_the_oldest_and_each_once(engine: Engine) -> None:
    at = vn("01/07/2027 08:00")
    with transaction(engine) as store:
        store.add_messages(
            [
                (_new(1, 3, at), ()),
                (_new(2, 1, at + timedelta(minutes=2)), ()),
                (_new(3, 0, at + timedelta(minutes=3)), ()),
                (_new(4, 1, at + timedelta(minutes=1)), ()),
            ]
        )
    now = at + timedelta(minutes=10)
    with transaction(engine) as store:
        first = store.claim_messages(now, 3, LEASE)
    with transaction(engine) as store:
        rest = store.claim_messages(now, 3, LEASE)
        assert store.claim_messages(now, 3, LEASE) == []
    assert [m.key for m in first] == ["store-3", "store-4", "store-2"]
    assert [(m.key, m.attempts) for m in rest] == [("store-1", 1)]


def test_an_outcome_for_a_claim_taken_over_since_changes_nothing(engine: Engine) -> None:
    at = vn("01/07/2027 08:00")
    with transaction(engine) as store:
        store.add_messages([(_new(1, 1, at), ())])
    with transaction(engine) as store:
        (stale,) = store.claim_messages(at, 1, LEASE)
    later = at + LEASE * 2  # the first sender's lease ran out: another takes the message
    with transaction(engine) as store:
        (taken,) = store.claim_messages(later, 1, LEASE)
        assert store.renew_claims([stale], later + LEASE) == set()
        assert store.finish_claimed([(stale, {"state": "sent", "finished_at": later})]) == set()
        assert store.finish_claimed([(taken, {"state": "sent", "finished_at": later})]) == {
            taken.id
        }
    assert taken.attempts == stale.attempts + 1
    with transaction(engine) as store:
        assert store.message_counts() == {"sent": 1}


def test_the_senders_writer_records_only_what_is_still_its_own(engine: Engine) -> None:
    at = vn("01/07/2027 08:00")
    later = at + LEASE * 2
    with transaction(engine) as store:
        store.add_messages([(_new(n, 1, at), ()) for n in range(1, 5)])
    with transaction(engine) as store:
        first, stale, third, fourth = store.claim_messages(at, 4, LEASE)
    with transaction(engine) as store:  # the lease ran out for one: another sender took it
        store.renew_claims([first, third, fourth], later + LEASE)
        (taken,) = store.claim_messages(later, 1, LEASE)
    assert taken.id == stale.id
    writer = Writer(engine)
    try:
        writer.record([(m, sent(later)) for m in (first, stale)])  # one statement, by itself
        writer.record(  # different changes: one transaction
            [(third, sent(later)), (fourth, pending_again(later + LEASE, "421 busy"))]
        )
    finally:
        writer.close()
    with transaction(engine) as store:
        states = {m.subject: (m.state, m.finished_at) for m in store.messages(None, 10)}
    assert states == {
        "thư 1": ("sent", later),
        "thư 2": ("sending", None),  # the other sender's, as it has it
        "thư 3": ("sent", later),
        "thư 4": ("pending", None),
    }
