"""The reminder plan: which ladder steps of an obligation fall due, and when. Pure.

An obligation's ladder unfolds into *occurrences* (step, repeat number, moment). The storage keeps
``next_action_at``, the moment of the first occurrence not yet handled; a sweep at ``now`` handles
every occurrence from there up to ``now`` and moves ``next_action_at`` on. Because occurrences
are a pure function of the obligation, a sweep repeated with the same ``now`` finds nothing new.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from scheduler.deadlines.calendar import WorkCalendar
from scheduler.deadlines.rules import Kind, Step
from scheduler.deadlines.vntime import at, vn_date


@dataclass(frozen=True)
class Occurrence:
    step: Step
    repeat: int
    at: datetime
    rank: int  # the step's place in the ladder, to order steps that share a moment

    @property
    def key(self) -> tuple[str, int]:
        return (self.step.name, self.repeat)


@dataclass(frozen=True)
class CatchUp:
    """What to do with occurrences missed while nothing swept (daemon stopped, machine off).

    With ``coalesce``, a missed reminder is recorded as skipped when a later pending one reaches
    every role it would have reached, so a restart after days off sends each person the current
    reminder instead of a storm, and nobody loses a message meant for them (an escalation to the
    district leader is kept beside the officer's latest reminder). Late flags are evidence and
    the immediate notice of a new case is urgent: neither is ever skipped.
    """

    coalesce: bool = True


@dataclass(frozen=True)
class Due:
    send: tuple[Occurrence, ...]
    skip: tuple[Occurrence, ...]
    next_action_at: datetime | None


def occurrences(
    kind: Kind, due_at: datetime, created_at: datetime, calendar: WorkCalendar, reminder_time: time
) -> list[Occurrence]:
    """Every occurrence of the ladder for one obligation, in order of time then ladder."""
    due_day = vn_date(due_at)
    result = []
    for rank, step in enumerate(kind.ladder):
        if step.immediate:
            result.append(Occurrence(step, 0, created_at, rank))
            continue
        if step.hours is not None:
            result.append(Occurrence(step, 0, due_at + timedelta(hours=step.hours), rank))
            continue
        offset = step.working_days or 0
        first = calendar.roll_back(due_day) if offset <= 0 else due_day
        first = calendar.shift(first, offset) if offset else first
        clock = step.time or reminder_time
        for repeat in range(step.times):
            day = calendar.shift(first, repeat * step.every_working_days) if repeat else first
            result.append(Occurrence(step, repeat, at(day, clock), rank))
    result.sort(key=lambda o: (o.at, o.rank, o.repeat))
    return result


def due(occs: list[Occurrence], next_action_at: datetime, now: datetime, policy: CatchUp) -> Due:
    """The occurrences to handle in a sweep at ``now``, given where the last sweep stopped."""
    pending = [o for o in occs if next_action_at <= o.at <= now]
    later = [o for o in occs if o.at > now]
    following = later[0].at if later else None
    if not policy.coalesce or not pending:
        return Due(tuple(pending), (), following)
    send: list[Occurrence] = []
    skip: list[Occurrence] = []
    for occ in pending:
        reached_later = {r for o in pending if o.at > occ.at for r in o.step.notify}
        keep = occ.step.flag_late or occ.step.immediate  # evidence, and the urgent notice
        superseded = not keep and set(occ.step.notify) <= reached_later
        (skip if superseded else send).append(occ)
    return Due(tuple(send), tuple(skip), following)
