"""Take one report mail: match it to the obligation it answers and record the submission, once.

Only the header block is read. What is kept of a mail is its Message-ID, the SHA-256 of the bytes
received, the sender's address, the case codes its subject names, when it reached the receiving
server and what came of it; never its body, its attachments or the rest of its subject.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from scheduler.intake.headers import Headers, read_headers
from scheduler.intake.matching import (
    Candidate,
    Decision,
    Outcome,
    codes_in,
    decide,
    kinds_named,
    years_in,
)
from scheduler.lifecycle import ledger
from scheduler.records import Answerable
from scheduler.settings import Config
from scheduler.store.queries import Store

log = logging.getLogger(__name__)
Source = Literal["smtp", "imap"]


@dataclass(frozen=True)
class Taken:
    outcome: Outcome | Literal["replay"]
    intake_id: int | None = None  # None: the mail had been seen already
    obligation_id: int | None = None


def _reported_upward(config: Config, found: list[Answerable]) -> list[Answerable]:
    """Of these obligations, those whose report goes to the parent unit: what a report mail to
    the district can answer (a commune's own plan, approved inside the commune, cannot)."""
    return [
        o
        for o in found
        if (kind := config.rules.kinds.get(o.kind)) is not None and kind.reported_upward
    ]


def _decide(found: list[Answerable], sender_units: Iterable[str]) -> Decision:
    return decide((Candidate(o.id, o.unit, o.open) for o in found), set(sender_units))


def _match(
    store: Store,
    config: Config,
    headers: Headers,
    codes: list[str],
    sender_units: dict[str, str | None],
) -> tuple[Decision, list[Answerable]]:
    referenced = _reported_upward(config, store.referenced(headers.references))
    if referenced:
        decision = _decide(referenced, sender_units)
        written = {code.upper() for code in codes}
        named = [
            o
            for o in referenced
            if {(o.case_code or "").upper(), (o.period or "").upper()} & written
        ]
        if decision.outcome == "ambiguous" and named:  # a reply to a bundle: the code decides
            return _decide(named, sender_units), named
        return decision, referenced
    requests = [k.id for k in config.rules.kinds.values() if k.trigger == "request"]
    coded = _reported_upward(config, store.coded(codes, requests))
    if coded:
        return _decide(coded, sender_units), coded
    phrases = {k.id: k.subject_phrases for k in config.rules.kinds.values() if k.subject_phrases}
    kinds = kinds_named(headers.subject, phrases)
    if not kinds:
        return Decision("unmatched"), []
    if not sender_units:
        return Decision("stranger"), []
    years = years_in(headers.subject)
    periods = [config.rules.kinds[k].period.format(year=y) for k in kinds for y in years]
    found = _reported_upward(config, store.phrased(kinds, periods, sender_units))
    return _decide(found, sender_units), found


def _listed_at(
    store: Store, headers: Headers, found: list[Answerable], sender_units: dict[str, str | None]
) -> str | None:
    """The receiving unit whose digest hears of this mail: the parent of the unit it concerns,
    else of the sender's unit, else a unit it was addressed to, else the top unit."""
    parents = [o.parent for o in found] + [sender_units[u] for u in sorted(sender_units)]
    for parent in parents:
        if parent:
            return parent
    addressed = sorted(store.units_of(headers.recipients)) if headers.recipients else []
    return addressed[0] if addressed else store.top_unit()


def take(
    store: Store,
    config: Config,
    raw: bytes,
    source: Source,
    now: datetime,
    received_at: datetime | None = None,
) -> Taken:
    """Match and record one mail (``raw``: the whole message, or its header block over IMAP).

    ``received_at`` is when the receiving server got it (IMAP's INTERNALDATE); without it, the
    topmost ``Received`` header's time, or ``now``. Runs inside the caller's transaction."""
    headers = read_headers(raw)
    sha256 = hashlib.sha256(raw).hexdigest()
    moment = min(received_at or headers.received_at or now, now)
    intake_id = store.claim_mail(
        {
            "dedupe": headers.message_id or f"sha256:{sha256}",
            "message_id": headers.message_id,
            "sha256": sha256,
            "source": source,
            "sender": headers.sender,
            "codes": "[]",
            "received_at": moment,
            "recorded_at": now,
            "outcome": "unmatched",
        }
    )
    if intake_id is None:
        log.info("action=intake_replay source=%s", source)
        return Taken("replay")
    sender_units = store.units_of([headers.sender]) if headers.sender else {}
    codes = codes_in(headers.subject)
    decision, found = _match(store, config, headers, codes, sender_units)
    written = {code.upper() for code in codes}
    named = sorted(
        {c for o in found for c in (o.case_code, o.period) if c and c.upper() in written}
    )
    outcome: Outcome = decision.outcome
    obligation = next((o for o in found if o.id == decision.obligation_id), None)
    if outcome == "matched" and obligation is not None:
        if moment < obligation.event_at:
            outcome = "early"  # sent before the obligation began: not its report
        else:
            ledger.submit(
                store,
                config,
                obligation.id,
                moment,
                now,
                f"intake:{source}",
                via="mail",
                evidence={"message_id": headers.message_id, "sha256": sha256, "intake": intake_id},
            )
    listed_at = _listed_at(store, headers, found, sender_units)
    store.settle_mail(intake_id, outcome, decision.obligation_id, listed_at, json.dumps(named))
    log.info(
        "action=intake_mail intake=%s source=%s outcome=%s obligation=%s",
        intake_id,
        source,
        outcome,
        decision.obligation_id,
    )
    return Taken(outcome, intake_id, decision.obligation_id)
