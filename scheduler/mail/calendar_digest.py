"""The operator's mail about the calendar: while a year hanbao counts in has no confirmed days
off (this year, and from 1 November the next), each working day after ``mail.digest_time`` the
``admin`` contacts of the top unit get one mail saying which days off hanbao assumes and where
to confirm them. Keyed by the years, the day and the address: queued once a day, and no more
once the year is listed under ``confirmed``."""

from __future__ import annotations

from datetime import datetime

from scheduler.deadlines.vntime import fmt_date
from scheduler.mail import outbox
from scheduler.mail.render import AssumedYear, Renderer
from scheduler.settings import Config
from scheduler.store.queries import Store


def assumed(config: Config, year: int) -> AssumedYear:
    calendar = config.calendar
    return AssumedYear(
        year,
        tuple((fmt_date(d.day), d.name) for d in calendar.days_off(year)),
        tuple((fmt_date(d.day), d.name) for d in calendar.swapped_working_days(year)),
    )


def calendar_digest(store: Store, config: Config, renderer: Renderer, now: datetime) -> int:
    """Queue today's mail to the operators, if a year awaits confirmation; how many were new."""
    years = config.calendar.awaiting_confirmation(now)
    if not years or not config.calendar.is_working_day(now.date()):
        return 0
    if now.time() < config.mail.digest_time:
        return 0
    holders = store.units_with_contact("admin")
    tops = [u for u in store.units(holders).values() if u.parent is None] if holders else []
    if not tops:
        return 0
    shown = [assumed(config, year) for year in years]
    where = f"calendar_overrides của / of {config.path}"
    queued = 0
    for unit in tops:
        for address in unit.addresses("admin"):
            draft = renderer.calendar(address, shown, where, now)
            queued += outbox.enqueue(
                store,
                outbox.Composed(draft, concerned=(unit.code,), unit=unit.code),
                domain=config.mail.domain,
                now=now,
            )
    return queued
