"""What the mail intake asks of the database: mails seen, obligations a mail may answer, the
senders' units, and where the IMAP watch stopped.

The intake runs these for every mail of a flood, so each is one statement built once, here,
with its parameters bound at run time; addresses and codes are compared without regard to
letter case, through the expression indexes of revision 0003.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select, union, update
from sqlmodel import SQLModel

from scheduler.records import Answerable
from scheduler.store.base import Queries
from scheduler.store.schema import IntakeCursorRow

_T = SQLModel.metadata.tables
_MAIL, _OBLIGATION, _UNIT = _T["intake_mail"], _T["obligation"], _T["unit"]
_CASE, _CONTACT, _MESSAGE, _ITEM = _T["case_file"], _T["contact"], _T["message"], _T["message_item"]
UNSETTLED = ("unmatched", "ambiguous", "stranger", "early")  # for a person to decide


def _answerable(condition: Any) -> Any:
    return (
        select(
            _OBLIGATION.c.id,
            _OBLIGATION.c.unit,
            _UNIT.c.parent,
            _OBLIGATION.c.kind,
            _CASE.c.code,
            _OBLIGATION.c.period,
            _OBLIGATION.c.submitted_at.is_(None) & _OBLIGATION.c.superseded_by.is_(None),
            _OBLIGATION.c.event_at,
        )
        .select_from(
            _OBLIGATION.join(_UNIT, _UNIT.c.code == _OBLIGATION.c.unit).outerjoin(
                _CASE, _CASE.c.id == _OBLIGATION.c.case_id
            )
        )
        .where(condition)
        .order_by(_OBLIGATION.c.id)
    )


_REFS: Any = bindparam("refs", expanding=True)
_OURS = or_(_MESSAGE.c.message_id.in_(_REFS), _MESSAGE.c.thread_ref.in_(_REFS))
_REFERENCED = _answerable(
    _OBLIGATION.c.id.in_(
        union(
            select(_MESSAGE.c.obligation_id).where(_OURS),
            select(_ITEM.c.obligation_id)
            .join(_MESSAGE, _MESSAGE.c.id == _ITEM.c.message_id)
            .where(_OURS),
        )
    )
)
_CODES: Any = bindparam("codes", expanding=True)
_CODED = _answerable(
    or_(
        func.upper(_CASE.c.code).in_(_CODES),
        and_(
            _OBLIGATION.c.kind.in_(bindparam("request_kinds", expanding=True)),
            func.upper(_OBLIGATION.c.period).in_(_CODES),
        ),
    )
)
_OF_UNITS = and_(
    _OBLIGATION.c.kind.in_(bindparam("kinds", expanding=True)),
    _OBLIGATION.c.unit.in_(bindparam("units", expanding=True)),
)
_PHRASED = _answerable(_OF_UNITS)
_PHRASED_IN = _answerable(
    _OF_UNITS & _OBLIGATION.c.period.in_(bindparam("periods", expanding=True))
)
_ADDRESSES: Any = bindparam("addresses", expanding=True)
_OPEN_UNIT = _UNIT.c.closed_at.is_(None)
_UNITS_OF = union(
    select(_UNIT.c.code, _UNIT.c.parent)
    .join(_CONTACT, _CONTACT.c.unit == _UNIT.c.code)
    .where(func.lower(_CONTACT.c.address).in_(_ADDRESSES) & _OPEN_UNIT),
    select(_UNIT.c.code, _UNIT.c.parent).where(
        func.lower(_UNIT.c.email).in_(_ADDRESSES) & _OPEN_UNIT
    ),
)
_TOP = (
    select(_UNIT.c.code)
    .where(_UNIT.c.parent.is_(None) & _OPEN_UNIT)
    .order_by(_UNIT.c.code)
    .limit(1)
)


_SETTLE = (
    update(_MAIL)
    .where(_MAIL.c.id == bindparam("intake_id"))
    .values({column: bindparam(column) for column in ("outcome", "obligation_id", "unit", "codes")})
)
_CLAIMS: dict[str, Any] = {}  # by dialect: INSERT … ON CONFLICT DO NOTHING RETURNING id


class IntakeQueries(Queries):
    def claim_mail(self, row: dict[str, Any]) -> int | None:
        """Record a mail as seen; None when it was seen already (a replay, or the same mail
        by SMTP and in the mailbox), which makes everything after it a no-op."""
        dialect = self.session.get_bind().dialect.name
        if dialect not in _CLAIMS:
            _CLAIMS[dialect] = (
                self.insert(_MAIL)
                .values({column: bindparam(column) for column in row})
                .on_conflict_do_nothing(index_elements=["dedupe"])
                .returning(_MAIL.c.id)
            )
        found = self.session.connection().execute(_CLAIMS[dialect], row).first()
        return None if found is None else int(found[0])

    def settle_mail(
        self, intake_id: int, outcome: str, obligation_id: int | None, unit: str | None, codes: str
    ) -> None:
        """What came of a mail, which unit hears of it, and the codes its subject named."""
        self.session.connection().execute(
            _SETTLE,
            {
                "intake_id": intake_id,
                "outcome": outcome,
                "obligation_id": obligation_id,
                "unit": unit,
                "codes": codes,
            },
        )

    def _answerables(self, statement: Any, **params: Any) -> list[Answerable]:
        return [
            Answerable(id_, unit, parent, kind, code, period, bool(still_open), event_at)
            for id_, unit, parent, kind, code, period, still_open, event_at in (
                self.session.connection().execute(statement, params)
            )
        ]

    def referenced(self, refs: Sequence[str]) -> list[Answerable]:
        """Obligations named by hanbao's own mails among ``refs`` (Message-IDs or threads)."""
        return self._answerables(_REFERENCED, refs=list(refs)) if refs else []

    def coded(self, codes: Sequence[str], request_kinds: Sequence[str]) -> list[Answerable]:
        """Obligations of the cases whose code the subject names (in any letter case), and
        ad-hoc requests whose reference it names."""
        if not codes:
            return []
        return self._answerables(
            _CODED, codes=[c.upper() for c in codes], request_kinds=list(request_kinds)
        )

    def phrased(
        self, kinds: Iterable[str], periods: Sequence[str], units: Iterable[str]
    ) -> list[Answerable]:
        """Obligations of these kinds owed by these units, for these periods (any, if none)."""
        params = {"kinds": list(kinds), "units": list(units)}
        if periods:
            return self._answerables(_PHRASED_IN, periods=list(periods), **params)
        return self._answerables(_PHRASED, **params)

    def units_of(self, addresses: Iterable[str]) -> dict[str, str | None]:
        """The units (still open) whose official address, or a contact's, is one of these,
        each with its parent."""
        wanted = [a.lower() for a in addresses]
        if not wanted:
            return {}
        rows = self.session.connection().execute(_UNITS_OF, {"addresses": wanted})
        return {code: parent for code, parent in rows}

    def top_unit(self) -> str | None:
        """The first unit with no parent: who hears of a mail that names nobody."""
        return self.session.connection().execute(_TOP).scalar()

    def unmatched_between(
        self, unit: str, since: datetime, until: datetime
    ) -> list[tuple[str | None, list[str], datetime, str]]:
        """(sender, codes, received_at, outcome) of the mails listed for ``unit`` that changed
        nothing, recorded in [since, until): the digest's "thư chưa khớp"."""
        rows = self.session.connection().execute(
            select(_MAIL.c.sender, _MAIL.c.codes, _MAIL.c.received_at, _MAIL.c.outcome)
            .where(_MAIL.c.unit == unit)
            .where(_MAIL.c.outcome.in_(UNSETTLED))
            .where(_MAIL.c.recorded_at >= since)
            .where(_MAIL.c.recorded_at < until)
            .order_by(_MAIL.c.received_at, _MAIL.c.id)
        )
        return [(sender, json.loads(codes), at, outcome) for sender, codes, at, outcome in rows]

    def cursor(self, mailbox: str) -> tuple[int, int] | None:
        """(UIDVALIDITY, last UID read) of a mailbox, or None before its first read."""
        row = self.session.get(IntakeCursorRow, mailbox)
        return None if row is None else (row.uidvalidity, row.last_uid)

    def move_cursor(self, mailbox: str, uidvalidity: int, last_uid: int, now: datetime) -> None:
        row = self.session.get(IntakeCursorRow, mailbox) or IntakeCursorRow(
            mailbox=mailbox, uidvalidity=uidvalidity, last_uid=last_uid, updated_at=now
        )
        row.uidvalidity, row.last_uid, row.updated_at = uidvalidity, last_uid, now
        self.session.add(row)
