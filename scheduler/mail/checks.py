"""Claiming a batch to send, and the checks each claimed message passes first: what it says
still holds (a reminder whose obligation was submitted since it was composed is withdrawn: a
message left with nothing is ``cancelled``, a bundle goes out re-composed without it, a digest
says when the late report came in), and whom it may reach (the guard). What will not be sent
now is recorded at once, in the claim's transaction.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from scheduler.hierarchy.units import refusal
from scheduler.mail import outbox
from scheduler.mail.digest import refreshed
from scheduler.mail.outbox import Outgoing
from scheduler.mail.outcomes import Report, Settled, audit, postponed, settle
from scheduler.mail.render import Renderer
from scheduler.mail.settings import MailSettings
from scheduler.mail.withdrawals import Withdrawal, withdrawals
from scheduler.settings import Config
from scheduler.store.connection import Engine
from scheduler.store.queries import Store, transaction

log = logging.getLogger("scheduler.deliver")


def _recheck(
    store: Store,
    config: Config,
    renderer: Renderer,
    claimed: list[Outgoing],
    now: datetime,
    report: Report,
) -> tuple[list[Outgoing], list[Outgoing]]:
    """The claimed messages checked against what has been submitted since they were composed:
    (those to send, as they must read now; those that must wait, because what is left of them
    cannot be re-composed while a kind or unit they name is unknown)."""
    found = withdrawals(store, config, renderer, claimed)
    ready: list[Outgoing] = []
    waiting: list[Outgoing] = []
    for message in claimed:
        change = found.get(message.id)
        if change is None:
            ready.append(_refreshed(store, config, renderer, message))
        elif change.waiting:
            waiting.append(message)
        else:
            report.count("cancelled")
            if (rest := _withdraw(store, config, message, change, now)) is not None:
                ready.append(rest)
    return ready, waiting


def _refreshed(store: Store, config: Config, renderer: Renderer, message: Outgoing) -> Outgoing:
    """A digest that lists a report submitted since says so; any other message stays as it is."""
    fresh = refreshed(store, config, renderer, message) if message.template == "digest" else None
    if fresh is None:
        return message
    log.info("action=deliver_refreshed message=%s", message.id)
    return outbox.rewrite(store, message, fresh)


def _withdraw(
    store: Store, config: Config, message: Outgoing, change: Withdrawal, now: datetime
) -> Outgoing | None:
    """Cancel a message whose reminders have all gone stale (None: nothing left to send), or
    split off those that have and return the message re-composed."""
    obligations = ",".join(map(str, change.obligations))
    if change.kept is None or change.withdrawn is None:
        log.info("action=deliver_cancelled message=%s obligations=%s", message.id, obligations)
        settle(store, now, [(message, "cancelled", change.reason, None)])
        return None
    rewritten, cancelled = outbox.split(
        store,
        message,
        change.kept,
        change.withdrawn,
        domain=config.mail.domain,
        now=now,
        reason=change.reason,
    )
    log.info(
        "action=deliver_recomposed message=%s cancelled=%s obligations=%s",
        message.id,
        cancelled,
        obligations,
    )
    audit(
        store, now, "cancelled", cancelled, message.recipient, change.reason, split_from=message.id
    )
    return rewritten


BATCH_SECONDS = 5


def claim_size(mail: MailSettings) -> int:
    """How many messages one claim takes: ``mail.batch_size``, but never more than
    ``BATCH_SECONDS`` of sending at the relay's rate, so that a new urgent notice waits at most
    that long behind the batch in flight, however long the backlog."""
    return max(1, min(mail.batch_size, mail.rate_per_minute * BATCH_SECONDS // 60))


@dataclass(frozen=True)
class Claimed:
    ready: list[Outgoing]
    lease_until: datetime
    report: Report  # what became of the others at once (cancelled, refused, waiting)


def claim(
    engine: Engine,
    config: Config,
    clock: Callable[[], datetime],
    renderer: Renderer,
    rng: random.Random,
) -> Claimed | None:
    """Claim a batch, check what it says still holds and whom it may reach, and record at once,
    in the claim's transaction, what will not be sent now. Runs in a worker thread."""
    mail = config.mail
    lease = timedelta(seconds=mail.lease_seconds)
    report = Report()
    with transaction(engine) as store:
        now = clock()
        claimed = outbox.claim(store, now, claim_size(mail), lease)
        if not claimed:
            return None
        current, stuck = _recheck(store, config, renderer, claimed, now, report)
        units = store.units({code for message in current for code in message.concerned})
        ready: list[Outgoing] = []
        settled: list[Settled] = []
        for message in current:
            reason = refusal(
                message.recipient,
                [units[c] for c in message.concerned if c in units],
                config.allowed_domains,
            )
            if reason is None:
                ready.append(message)
                continue
            log.error("action=deliver_refused message=%s reason=%s", message.id, reason)
            settled.append((message, "refused", reason, None))
            report.count("refused")
        if stuck:
            error = "không soạn lại được thư / cannot re-compose: a kind or unit is unknown"
            settled.extend(postponed(stuck, error, config, rng, now))
            report.retrying += len(stuck)
            report.errors.append(error)
        settle(store, now, settled)
    return Claimed(ready, now + lease, report)
