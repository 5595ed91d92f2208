"""Turning recorded reminders into mail in the outbox, once.

Each reminder recorded by the sweep is composed exactly once (``composed_at``, set in the same
transaction as the messages it becomes). Reminders for the same person are grouped into one
mail when ``mail.group_by_recipient`` is on; late flags go into the district's daily digest
(``scheduler.mail.digest``) when ``mail.digest_late_flags`` is on, instead of one mail each.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime

from scheduler import links
from scheduler.deadlines.rules import Kind, Recipient
from scheduler.deadlines.vntime import days_late, vn_date
from scheduler.hierarchy.units import Unit
from scheduler.mail import outbox
from scheduler.mail.render import PRIORITY, Item, Renderer, template_for
from scheduler.settings import Config
from scheduler.store.compose import Recorded
from scheduler.store.queries import Store

log = logging.getLogger("scheduler.compose")
SLICE = 2000  # reminders taken in one transaction
CHUNK = 250  # mails rendered while the previous ones are written
ROLE_VI = {"officer": "cán bộ phụ trách", "leader": "lãnh đạo", "supervisor": "bộ phận theo dõi"}


@dataclass(frozen=True)
class _Pending:
    item: Item
    recipients: tuple[str, ...]
    unit: str
    parent: str | None
    late_flag: bool


def _submit_to(
    recipients: tuple[Recipient, ...], unit: Unit, parent: Unit | None
) -> tuple[str, ...]:
    labels: list[str] = []
    for recipient in recipients:
        holder = parent if recipient.of_parent else unit
        if holder is not None:
            labels.extend(
                f"{holder.name} - {ROLE_VI[recipient.role]} <{address}>"
                for address in holder.addresses(recipient.role)
            )
    return tuple(labels)


def _template(kind: Kind, step_name: str, late_flag: bool) -> str:
    step = next((s for s in kind.ladder if s.name == step_name), None)
    if step:
        return template_for(kind, step)
    return "late_flag" if late_flag else "overdue"


def pending(
    config: Config, rows: Sequence[Recorded], now: datetime, units: Mapping[str, Unit]
) -> list[_Pending]:
    """What each reminder says as of ``now``, its unit and the unit's parent among ``units``
    (``store.units_owing``); one whose kind or unit is unknown is left out. What many reminders
    of a wave share (a step's template, a unit's "submit to" lines, a deadline's lateness) is
    worked out once."""
    templates: dict[tuple[str, str, bool], str] = {}
    submit_to: dict[tuple[str, str], tuple[str, ...]] = {}
    lateness: dict[tuple[datetime, bool], tuple[int, bool]] = {}
    found: list[_Pending] = []
    for reminder in rows:
        kind, unit = config.rules.kinds.get(reminder.kind), units.get(reminder.unit)
        if kind is None or unit is None:
            log.error(
                "action=compose_waiting reminder=%s kind=%s unit=%s",
                reminder.reminder_id,
                reminder.kind,
                reminder.unit,
            )
            continue
        parent = units.get(unit.parent) if unit.parent else None
        if (shape := (kind.id, reminder.step, reminder.late_flag)) not in templates:
            templates[shape] = _template(kind, reminder.step, reminder.late_flag)
        if (owed := (kind.id, unit.code)) not in submit_to:
            submit_to[owed] = _submit_to(kind.submit_to, unit, parent)
        if (due := (reminder.due_at, kind.deadline.counted_in_days)) not in lateness:
            # provisional: counted on days off not confirmed yet
            lateness[due] = (
                days_late(due[0], now),
                due[1] and config.calendar.provisional(vn_date(due[0])),
            )
        late, provisional = lateness[due]
        item = Item(
            reminder_id=reminder.reminder_id,
            obligation_id=reminder.obligation_id,
            obligation_key=reminder.obligation_key,
            template=templates[shape],
            kind_name=kind.name,
            how=kind.how,
            case_code=reminder.case_code,
            period=reminder.period,
            requested_by=reminder.requested_by,
            unit_code=unit.code,
            unit_name=unit.name,
            due_at=reminder.due_at,
            days_late=late,
            submit_to=submit_to[owed],
            provisional=provisional,
        )
        found.append(
            _Pending(item, reminder.recipients, unit.code, unit.parent, reminder.late_flag)
        )
    return found


def _urgency(config: Config) -> dict[tuple[str, str], int]:
    """How urgent each (kind, step)'s mail is, from what the step sends (``PRIORITY``), where
    it is not an overdue notice's: a new case's notice is composed before the 1-July wave
    recorded ahead of it."""
    return {
        (kind.id, step.name): urgency
        for kind in config.rules.kinds.values()
        for step in kind.ladder
        if (urgency := PRIORITY[template_for(kind, step)]) != PRIORITY["overdue"]
    }


Groups = list[tuple[str, list[_Pending]]]  # (recipient, what that person gets in one mail)


@dataclass
class Run:
    """What a composing run keeps from slice to slice: the reminders set aside (``taken``), and
    the units read. A full slice begins a wave, whose slices are owed by most units: every unit
    is read at once and kept for the run, as the sweep does, rather than each slice's by their
    codes. A unit changed meanwhile is seen at the next run, as if the change had come just
    after this one."""

    waiting: set[int] = field(default_factory=set)
    units: dict[str, Unit] = field(default_factory=dict)


def compose(
    store: Store, config: Config, renderer: Renderer, now: datetime, limit: int = SLICE
) -> int:
    """Compose up to ``limit`` recorded reminders into outbox messages; how many were queued.

    The reminders are taken first (``taken``), and only those taken are composed: another daemon
    composing at the same moment gets the others (on PostgreSQL it skips the rows taken) or
    none, never the same ones."""
    return compose_slice(store, config, renderer, now, limit, Run()) or 0


def compose_slice(
    store: Store, config: Config, renderer: Renderer, now: datetime, limit: int, run: Run
) -> int | None:
    """``compose`` of a slice (``taken``) in ``run``; None when none was taken."""
    groups = taken(store, config, now, limit, run)
    if groups is None:
        return None
    return queue_rendering(store, config, renderer, groups, now)


def taken(store: Store, config: Config, now: datetime, limit: int, run: Run) -> Groups | None:
    """Take up to ``limit`` recorded reminders not waiting in ``run``, the most urgent first
    (``composed_at``, set in this transaction), and group them by recipient; None when there was
    none to take. One that cannot be composed (its kind or unit unknown) is given back,
    uncomposed, and waits in ``run``: it goes once the rules are fixed, and meanwhile holds up
    none of the others."""
    rows = store.take_uncomposed(now, _urgency(config), PRIORITY["overdue"], limit, run.waiting)
    if not rows:
        return None
    store.units_owing(run.units, {r.unit for r in rows}, wave=len(rows) == limit)
    said = pending(config, rows, now, run.units)
    if len(said) < len(rows):
        kept = {entry.item.reminder_id for entry in said}
        left = [r.reminder_id for r in rows if r.reminder_id not in kept]
        store.leave_uncomposed(left)
        run.waiting.update(left)
    return _groups(said, config.mail.group_by_recipient, config.mail.digest_late_flags)


def queue_rendering(
    store: Store,
    config: Config,
    renderer: Renderer,
    groups: Groups,
    now: datetime,
) -> int:
    """Render the mail of ``groups`` and queue it, a chunk at a time, the database writing one
    chunk while the next is rendered (sqlite3 and psycopg let go of the interpreter while the
    database works); how many messages were new. One writer at a time, in this transaction."""
    queued = 0
    with ThreadPoolExecutor(1, thread_name_prefix="compose-queue") as writer:
        writing: Future[int] | None = None
        for start in range(0, len(groups), CHUNK):
            composed = rendered(config, renderer, groups[start : start + CHUNK], now)
            if writing is not None:
                queued += writing.result()
            writing = writer.submit(
                outbox.enqueue_many, store, composed, domain=config.mail.domain, now=now, new=True
            )
        if writing is not None:
            queued += writing.result()
    return queued


def _groups(pending: list[_Pending], by_recipient: bool, flags_to_digest: bool) -> Groups:
    """(recipient, what that person gets in one mail), in a stable order."""
    groups: dict[tuple[str, int], list[_Pending]] = defaultdict(list)
    for entry in pending:
        if entry.late_flag and flags_to_digest:
            continue
        for address in entry.recipients:
            group = 0 if by_recipient else entry.item.reminder_id
            groups[(address, group)].append(entry)
    return [(address, entries) for (address, _), entries in groups.items()]


def rendered(
    config: Config,
    renderer: Renderer,
    groups: Sequence[tuple[str, Sequence[_Pending]]],
    now: datetime,
) -> list[outbox.Composed]:
    """The mail of each (recipient, entries), with the recipient's own links when links are
    signed; rendered together, so that what several people are told alike is rendered once."""
    web = config.web

    def signed(recipient: str, entries: Sequence[_Pending]) -> list[Item]:
        if not web.signing_key:
            return [e.item for e in entries]
        return [
            replace(
                e.item,
                ack_url=f"{web.base_url}/ack/"
                + links.sign(web.signing_key, e.item.obligation_id, recipient, now, web.link_days),
            )
            for e in entries
        ]

    drafts = renderer.wave(
        [(recipient, signed(recipient, entries)) for recipient, entries in groups], now
    )
    composed = []
    for draft, (_, entries) in zip(drafts, groups, strict=True):
        obligations = {e.item.obligation_id for e in entries}
        composed.append(
            outbox.Composed(
                draft,
                concerned=tuple(sorted({c for e in entries for c in (e.unit, e.parent) if c})),
                unit=entries[0].unit if len({e.unit for e in entries}) == 1 else None,
                obligation_id=next(iter(obligations)) if len(obligations) == 1 else None,
                items=tuple((e.item.reminder_id, e.item.obligation_id) for e in entries),
            )
        )
    return composed
