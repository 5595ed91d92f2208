"""The district's daily digest: one mail per working day to each supervising unit, instead of
one mail per late flag. It lists every late unit below it (obligation, due, days late, reminders
already sent), the units flagged late since the last digest that have submitted meanwhile, each
report received since the last digest with signed links "Đã nhận" (confirm) and "Chưa nhận
được" (dispute), the mail its intake could not match ("thư chưa khớp", for a person to decide),
and any reminder that could not be delivered. It is sent when any of these has something.

It is keyed by unit, day and address, so calling it on every tick after ``mail.digest_time``
queues it once. A digest still queued when a unit it lists as late submits is re-rendered before
it is sent (``refreshed``): the late flag stays, and its line says when the report came in.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from scheduler import links
from scheduler.deadlines.vntime import at, days_late, vn_date
from scheduler.hierarchy.units import Unit
from scheduler.lifecycle import receipt
from scheduler.mail import outbox
from scheduler.mail.calendar_digest import calendar_digest
from scheduler.mail.outbox import Outgoing
from scheduler.mail.render import LateRow, ReceivedRow, Renderer, UnmatchedRow, Wave
from scheduler.records import Obligation
from scheduler.settings import Config
from scheduler.store.queries import Store


@dataclass
class _Content:
    """What the digests composed at one moment say, by supervising unit."""

    late: dict[str, list[LateRow]] = field(default_factory=lambda: defaultdict(list))
    received: dict[str, list[Obligation]] = field(default_factory=lambda: defaultdict(list))
    unmatched: dict[str, list[UnmatchedRow]] = field(default_factory=dict)
    failures: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    units: dict[str, Unit] = field(default_factory=dict)

    def parents(self) -> set[str]:
        return {*self.late, *self.received, *self.unmatched, *self.failures}


def _window(store: Store, config: Config, now: datetime) -> tuple[datetime, datetime]:
    """What today's digests cover: from the digest time of the last day any digest was
    composed (the previous working day, unless nothing went out, or the daemon was stopped, for
    days) to today's digest time. So each report and mail recorded is in one digest, whichever
    tick composes it; a weekend, Tết or a stopped daemon hides nothing."""
    until = at(now.date(), config.mail.digest_time)
    since = at(config.calendar.shift(now.date(), -1), config.mail.digest_time)
    last = store.last_digest_before(until)
    if last is not None:
        since = min(since, at(vn_date(last), config.mail.digest_time))
    return since, until


def _title(config: Config, obligation: Obligation) -> str:
    kind = config.rules.kinds.get(obligation.kind)
    name = kind.name if kind else obligation.kind
    if obligation.case_code:
        return f"{obligation.case_code} - {name}"
    return f"{name} {obligation.period or ''}".strip()


def _content(store: Store, config: Config, as_of: datetime) -> _Content:
    """What a digest composed at ``as_of`` says: obligations late then (and those flagged late
    since the window began but submitted by then), reminders that could not be delivered since,
    and what was recorded in the window: reports of kinds that go to the parent, not confirmed
    by ``as_of``, and mail the intake could not match."""
    since, until = _window(store, config, as_of)
    content = _Content()
    late = store.late(since, as_of)
    received = [
        o
        for o in store.received(since, until, as_of)
        if (kind := config.rules.kinds.get(o.kind)) is not None and kind.reported_upward
    ]
    content.units = store.units({o.unit for o in [*late, *received]})
    sent = store.reminders_sent([o.id for o in late], as_of)
    for obligation in sorted(late, key=lambda o: (o.unit, o.due_at)):
        unit = content.units[obligation.unit]
        assert unit.parent is not None  # the store lists only units with a parent
        content.late[unit.parent].append(
            LateRow(
                unit.code,
                unit.name,
                _title(config, obligation),
                obligation.due_at,
                days_late(obligation.due_at, obligation.submitted_at or as_of),
                sent.get(obligation.id, 0),
                obligation.submitted_at,
            )
        )
    for obligation in sorted(received, key=lambda o: (o.unit, o.submitted_at or as_of)):
        parent = content.units[obligation.unit].parent
        assert parent is not None
        content.received[parent].append(obligation)
    for parent in store.unsettled_units(since, until):
        content.unmatched[parent] = [
            UnmatchedRow(sender, tuple(codes), received_at, outcome)
            for sender, codes, received_at, outcome in store.unmatched_between(parent, since, until)
        ]
    for parent, recipient, error, subject in store.undelivered(since, as_of):
        content.failures[parent].append(f"{recipient}: {error} ({subject})")
    return content


def _received_row(
    config: Config, obligation: Obligation, unit: Unit, address: str, now: datetime
) -> ReceivedRow:
    """A report to confirm, with the two links signed for this recipient and this submission."""
    assert obligation.submitted_at is not None
    web = config.web
    urls: dict[links.Purpose, str | None] = {"confirm": None, "dispute": None}
    if web.signing_key:
        for purpose in urls:
            token = links.sign(
                web.signing_key,
                obligation.id,
                address,
                now,
                web.link_days,
                purpose,
                obligation.submitted_at,
            )
            urls[purpose] = f"{web.base_url}/{purpose}/{token}"
    return ReceivedRow(
        obligation.id,
        unit.code,
        unit.name,
        _title(config, obligation),
        obligation.due_at,
        obligation.submitted_at,
        receipt.describe(obligation),
        urls["confirm"],
        urls["dispute"],
    )


def _composed(
    config: Config,
    renderer: Renderer,
    address: str,
    parent: Unit,
    content: _Content,
    now: datetime,
    wave: Wave | None = None,
) -> outbox.Composed:
    code = parent.code
    received = [
        _received_row(config, o, content.units[o.unit], address, now)
        for o in content.received.get(code, [])
    ]
    draft = renderer.digest(
        address,
        code,
        parent.name,
        content.late.get(code, []),
        content.failures.get(code, []),
        now,
        received,
        content.unmatched.get(code, []),
        wave,
    )
    return outbox.Composed(draft, concerned=(code,), unit=code)


def due(config: Config, now: datetime) -> bool:
    """Is it a working day past the digest time?"""
    return config.calendar.is_working_day(now.date()) and now.time() >= config.mail.digest_time


def digest(store: Store, config: Config, renderer: Renderer, now: datetime) -> int:
    """Queue today's digests if it is a working day past the digest time; how many were new."""
    if not due(config, now):
        return 0
    content = _content(store, config, now)
    wave = _wave(store, config, now)
    composed = [
        _composed(config, renderer, address, parent, content, now, wave)
        for parent in store.units(content.parents()).values()
        for address in parent.addresses("supervisor")
    ]
    queued = outbox.enqueue_many(store, composed, domain=config.mail.domain, now=now)
    return queued + calendar_digest(store, config, renderer, now)  # the operators' own mail


WAVE_NOTE = timedelta(minutes=10)


def _wave(store: Store, config: Config, now: datetime) -> Wave | None:
    """During a wave (the mail queued takes ``WAVE_NOTE`` or more at the relay's rate), what the
    digest says of it: digests go after the reminders, so it comes when they are through. A
    digest re-composed at its claim leaves the note out: by then the wave ahead of it is out."""
    rate = config.mail.rate_per_minute
    counts = outbox.counts(store)
    seconds = outbox.drain_seconds(counts, rate)
    if seconds < WAVE_NOTE.total_seconds():
        return None
    waiting = counts.get("pending", 0) + counts.get("sending", 0)
    return Wave(waiting, now + timedelta(seconds=seconds), rate)


def refreshed(
    store: Store, config: Config, renderer: Renderer, message: Outgoing
) -> outbox.Composed | None:
    """A queued digest re-rendered as it was composed, when an obligation it lists as late has
    been submitted since: its line then says when. None when what it says still holds."""
    unit, composed_at = store.composed(message.id)
    assert unit is not None  # a digest is about its supervising unit
    content = _content(store, config, composed_at)
    late = content.late.get(unit, [])
    if not any(r.submitted_at and r.submitted_at > composed_at for r in late):
        return None
    parent = store.units([unit])[unit]
    return _composed(config, renderer, message.recipient, parent, content, composed_at)
