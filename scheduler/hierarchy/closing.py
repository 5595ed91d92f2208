"""Applying a unit's closing once its last day has passed (a merger, a dissolved district).

Its open obligations pass to the unit that answers for it (its successor, chains followed), each
move audited; steps recorded but not yet mailed are re-addressed to that unit's contacts; a
periodic report that the successor owes itself for the same period is superseded by the
successor's (``owed_by_successor`` in the rules). Its children that still exist get the successor
as parent, the old one kept in their history. Late flags and mail already recorded stay as they
were: they are evidence. Runs at the start of every sweep, and right after a units import.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from scheduler.deadlines.rules import Rules
from scheduler.hierarchy.life import answering, closed_on, exists_on
from scheduler.hierarchy.units import Unit, addresses
from scheduler.records import Obligation
from scheduler.store.queries import Store

log = logging.getLogger(__name__)


def apply_closings(store: Store, rules: Rules, now: datetime, actor: str) -> int:
    """Apply every closing that is due by ``now`` and not applied yet; how many units closed."""
    today = now.date()
    due = store.units_to_close(today)
    if not due:
        return 0
    units = store.units()
    for code in due:
        unit = units[code]
        taker = answering(code, units, today)
        owed = store.obligations(unit=code, open_only=True)
        handed: list[str] = []
        children: list[str] = []
        if taker is None and owed:
            # Refused on import; reachable only if a case was opened after the import. Nothing
            # is dropped: its reminders go on to its own contacts until the operator acts.
            log.error("action=unit_closed_owing unit=%s obligations=%d", code, len(owed))
        elif taker is not None:
            handed = [
                _hand_over(store, rules, o, unit, units[taker], units, now, actor) for o in owed
            ]
            children = [c.code for c in units.values() if c.parent == code and exists_on(c, today)]
            for child in children:
                store.reparent(child, taker, unit.valid_to or today)
                units[child] = replace(units[child], parent=taker)
        store.mark_closed(code, now)
        store.audit(
            now,
            actor,
            "unit_closed",
            unit=code,
            valid_to=unit.valid_to,
            successor=taker,
            moved=handed.count("moved"),
            superseded=handed.count("superseded"),
            still_owed=len(owed) if taker is None else 0,
            children=children,
        )
        log.info(
            "action=unit_closed unit=%s successor=%s obligations=%d children=%d",
            code,
            taker,
            len(handed),
            len(children),
        )
    return len(due)


def _hand_over(
    store: Store,
    rules: Rules,
    obligation: Obligation,
    closing: Unit,
    taker: Unit,
    units: dict[str, Unit],
    now: datetime,
    actor: str,
) -> str:
    kind = rules.kinds.get(obligation.kind)
    periodic = kind is not None and kind.trigger in ("yearly", "once")
    # closed before the deadline's day: the period's report is the successor's (owes_period)
    closed_before = closed_on(closing, obligation.due_at.date())
    if periodic and closed_before and kind is not None and kind.owed_by_successor:
        assert obligation.period is not None
        own = store.same_period(taker.code, obligation.kind, obligation.period)
        if own is not None and store.supersede(obligation.id, own):
            store.audit(
                now,
                actor,
                "obligation_superseded",
                obligation_id=obligation.id,
                unit=obligation.unit,
                by=own,
                successor=taker.code,
            )
            return "superseded"
    if not store.move(obligation.id, taker.code):
        return "unchanged"  # submitted meanwhile
    store.audit(
        now,
        actor,
        "obligation_moved",
        obligation_id=obligation.id,
        case_code=obligation.case_code,
        **{"from": obligation.unit, "to": taker.code},
    )
    if kind is not None:
        parent = units.get(taker.parent) if taker.parent else None
        for reminder_id, name in store.unsent_steps(obligation.id):
            step = kind.step(name)
            if step is not None:
                store.readdress(reminder_id, addresses(step.notify, taker, parent))
    return "moved"
