"""The sweep: record every ladder occurrence that has come due, exactly once.

``sweep_batch`` is one step on an open store (it returns what it recorded, so "did work" is its
truth value); ``sweep`` drains the steps, one transaction per batch, as the daemon does (on
PostgreSQL each batch is recorded on its own connection while the next is read and planned).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from scheduler.deadlines.plan import Due, Occurrence, due, occurrences
from scheduler.hierarchy.closing import apply_closings
from scheduler.hierarchy.units import Unit, addresses
from scheduler.records import Obligation
from scheduler.settings import Config
from scheduler.store import waves
from scheduler.store.connection import Engine
from scheduler.store.pipelined import pipelined
from scheduler.store.queries import Store, transaction

log = logging.getLogger("scheduler.sweep")
POISON_BACKOFF = timedelta(hours=1)


@dataclass(frozen=True)
class Emitted:
    """A reminder, escalation or late flag recorded for sending."""

    at: datetime
    obligation: Obligation
    step: str
    repeat: int
    recipients: tuple[str, ...]
    late_flag: bool


@dataclass
class _Planned:
    """A batch read and planned, to be recorded: every cursor move, and what each obligation's
    move records (kept only for the obligations whose move is taken)."""

    moves: list[waves.Move]
    rows: list[waves.Occurrence]
    flags: list[dict[str, Any]]
    emitted: list[Emitted]


def sweep_batch(
    store: Store,
    config: Config,
    now: datetime,
    limit: int,
    known: dict[str, Unit] | None = None,
) -> list[Emitted] | None:
    """Handle up to ``limit`` obligations due at ``now``. None when nothing was due.

    ``known`` keeps the units read by the earlier batches of the same sweep (a wave's batches
    share their districts); it is emptied when a closing changes them.

    Units closed by ``now`` hand over first, so nothing is addressed to a unit that is gone.
    The batch is written in a few statements: one compare-and-set of every cursor (only the
    obligations it moved are recorded: another sweep's are that sweep's to record), one insert
    of the reminders and one of the late flags' audit entries."""
    planned = _plan(store, config, now, limit, known)
    return None if planned is None else _record(store, planned)


def _plan(
    store: Store, config: Config, now: datetime, limit: int, known: dict[str, Unit] | None
) -> _Planned | None:
    """Read up to ``limit`` due obligations and plan them (poison ones are held here)."""
    units = {} if known is None else known
    if apply_closings(store, config.rules, now, "sweep"):
        units.clear()
    batch = store.due_for_action(now, limit)
    if not batch:
        return None
    # a full batch begins a wave, whose batches are owed by most units: every unit is read at
    # once and kept for them, rather than each batch's by their codes
    store.units_owing(
        units, {o.unit for o in batch}, wave=known is not None and len(batch) == limit
    )
    notified: dict[tuple[int, str], tuple[str, ...]] = {}
    ladders: dict[tuple[str, datetime, datetime], list[Occurrence]] = {}
    plans: dict[tuple[str, datetime, datetime, datetime], Due] = {}
    result = _Planned([], [], [], [])
    for obligation in batch:
        kind = config.rules.kinds.get(obligation.kind)
        unit = units.get(obligation.unit)
        if kind is None or unit is None:
            # Rules changed under stored obligations: set it aside, say so, sweep the rest.
            log.error(
                "action=sweep_poison obligation=%s kind=%s unit=%s retry_in=%s",
                obligation.id,
                obligation.kind,
                obligation.unit,
                POISON_BACKOFF,
            )
            store.hold(obligation.id, now + POISON_BACKOFF)
            continue
        assert obligation.next_action_at is not None
        # a wave is thousands of obligations with one ladder and one cursor: one plan
        inputs = (obligation.kind, obligation.due_at, obligation.created_at)
        where = (*inputs, obligation.next_action_at)
        if where not in plans:
            if inputs not in ladders:
                ladders[inputs] = occurrences(
                    kind,
                    obligation.due_at,
                    obligation.created_at,
                    config.calendar,
                    config.rules.reminder_time,
                )
            plans[where] = due(ladders[inputs], obligation.next_action_at, now, config.catch_up)
        plan = plans[where]
        result.moves.append((obligation.id, obligation.next_action_at, plan.next_action_at))
        parent = units.get(unit.parent) if unit.parent else None
        for state, group in (("due", plan.send), ("skipped", plan.skip)):
            for occ in group:
                step = occ.step
                recipients = notified.get((id(step), unit.code))
                if recipients is None:
                    recipients = addresses(step.notify, unit, parent)
                    notified[(id(step), unit.code)] = recipients
                late_flag = step.flag_late and state == "due"
                result.rows.append(
                    waves.Occurrence(
                        obligation.id,
                        step.name,
                        occ.repeat,
                        state,
                        late_flag,
                        recipients,
                        occ.at,
                        now,
                    )
                )
                if state == "due":
                    result.emitted.append(
                        Emitted(occ.at, obligation, step.name, occ.repeat, recipients, late_flag)
                    )
                if late_flag:
                    result.flags.append(
                        {
                            "at": now,
                            "actor": "sweep",
                            "action": "late_flag",
                            "obligation_id": obligation.id,
                            "case_code": obligation.case_code,
                            "detail": {
                                "unit": unit.code,
                                "parent": unit.parent,
                                "step": step.name,
                                "due_at": obligation.due_at,
                            },
                        }
                    )
    return result


def _record(store: Store, planned: _Planned) -> list[Emitted]:
    """Move the cursors (compare-and-set) and record what the moves taken by this sweep record:
    another sweep's are that sweep's to record."""
    taken = store.advance_many(planned.moves)
    if len(taken) < len(planned.moves):
        planned.rows = [r for r in planned.rows if r.obligation_id in taken]
        planned.flags = [f for f in planned.flags if f["obligation_id"] in taken]
        planned.emitted = [e for e in planned.emitted if e.obligation.id in taken]
    store.add_reminders(planned.rows)
    store.audit_many(planned.flags)
    return planned.emitted


def sweep(engine: Engine, config: Config, now: datetime) -> list[Emitted]:
    """Record everything due at ``now``, batch by batch, each batch its own transaction.

    Where the database takes writes from several connections (``waves.overlapping``), a batch
    is recorded and committed on a thread of its own while the next is read and planned on
    another connection: the next reading skips the rows the batch being recorded holds."""
    emitted: list[Emitted] = []
    known: dict[str, Unit] = {}
    if not waves.overlapping(engine):
        while True:
            with transaction(engine) as store:
                batch = sweep_batch(store, config, now, config.sweep_batch, known)
            if batch is None:
                return emitted
            emitted.extend(batch)
    recorded = pipelined(
        engine,
        lambda store: _plan(store, config, now, config.sweep_batch, known),
        _record,
        "sweep-record",
    )
    return [e for batch in recorded for e in batch]
