"""What the mail intake asks of the database: mails seen, obligations a mail may answer, the
senders' units, and where the IMAP watch stopped."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import SQLModel, col, select, update

from scheduler.store.base import Queries
from scheduler.store.schema import (
    CaseRow,
    ContactRow,
    IntakeCursorRow,
    IntakeMailRow,
    MessageItemRow,
    MessageRow,
    ObligationRow,
    UnitRow,
)

_MAIL = SQLModel.metadata.tables["intake_mail"]
UNSETTLED = ("unmatched", "ambiguous", "stranger", "early")  # for a person to decide


class IntakeQueries(Queries):
    def claim_mail(self, row: dict[str, Any]) -> int | None:
        """Record a mail as seen; None when it was seen already (a replay, or the same mail
        by SMTP and in the mailbox), which makes everything after it a no-op."""
        result = self.session.connection().execute(
            self.insert(_MAIL)
            .values(**row)
            .on_conflict_do_nothing(index_elements=["dedupe"])
            .returning(_MAIL.c.id)
        )
        found = result.first()
        return None if found is None else int(found[0])

    def settle_mail(
        self, intake_id: int, outcome: str, obligation_id: int | None, unit: str | None, codes: str
    ) -> None:
        """What came of a mail, which unit hears of it, and the codes its subject named."""
        self.session.exec(
            update(IntakeMailRow)
            .where(col(IntakeMailRow.id) == intake_id)
            .values(outcome=outcome, obligation_id=obligation_id, unit=unit, codes=codes)
        )

    def referenced(self, refs: Sequence[str]) -> list[int]:
        """Obligations named by hanbao's own mails among ``refs`` (Message-IDs or threads)."""
        if not refs:
            return []
        messages = select(MessageRow.id).where(
            or_(col(MessageRow.message_id).in_(refs), col(MessageRow.thread_ref).in_(refs))
        )
        direct = select(MessageRow.obligation_id).where(col(MessageRow.id).in_(messages))
        bundled = select(MessageItemRow.obligation_id).where(
            col(MessageItemRow.message_id).in_(messages)
        )
        ids = {*self.session.exec(direct), *self.session.exec(bundled)}
        return sorted(i for i in ids if i is not None)

    def coded(self, codes: Sequence[str], request_kinds: Iterable[str]) -> list[int]:
        """Obligations of the cases whose code the subject names (in any letter case), and
        ad-hoc requests whose reference it names."""
        if not codes:
            return []
        upper = [c.upper() for c in codes]
        cases = (
            select(ObligationRow.id)
            .join(CaseRow, col(CaseRow.id) == col(ObligationRow.case_id))
            .where(func.upper(CaseRow.code).in_(upper))
        )
        requests = (
            select(ObligationRow.id)
            .where(col(ObligationRow.kind).in_(list(request_kinds)))
            .where(func.upper(ObligationRow.period).in_(upper))
        )
        return sorted({*self.session.exec(cases), *self.session.exec(requests)})

    def phrased(
        self, kinds: Iterable[str], periods: Sequence[str] | None, units: Iterable[str]
    ) -> list[int]:
        """Obligations of these kinds owed by these units, for these periods (any, if None)."""
        query: Any = (
            select(ObligationRow.id)
            .where(col(ObligationRow.kind).in_(list(kinds)))
            .where(col(ObligationRow.unit).in_(list(units)))
        )
        if periods is not None:
            query = query.where(col(ObligationRow.period).in_(list(periods)))
        return sorted(self.session.exec(query))

    def units_of(self, addresses: Iterable[str]) -> set[str]:
        """The units (still open) that list any of these addresses as a contact."""
        wanted = [a.lower() for a in addresses]
        if not wanted:
            return set()
        return set(
            self.session.exec(
                select(ContactRow.unit)
                .join(UnitRow, col(UnitRow.code) == col(ContactRow.unit))
                .where(func.lower(ContactRow.address).in_(wanted))
                .where(col(UnitRow.closed_at).is_(None))
            )
        )

    def parent_of(self, unit: str) -> str | None:
        return self.session.exec(select(UnitRow.parent).where(UnitRow.code == unit)).first()

    def top_unit(self) -> str | None:
        """The first unit with no parent: who hears of a mail that names nobody."""
        return self.session.exec(
            select(UnitRow.code)
            .where(col(UnitRow.parent).is_(None))
            .where(col(UnitRow.closed_at).is_(None))
            .order_by(col(UnitRow.code))
        ).first()

    def unmatched_between(
        self, unit: str, since: datetime, until: datetime
    ) -> list[tuple[str | None, list[str], datetime, str]]:
        """(sender, codes, received_at, outcome) of the mails listed for ``unit`` that changed
        nothing, recorded in [since, until): the digest's "thư chưa khớp"."""
        rows = self.session.exec(
            select(IntakeMailRow)
            .where(IntakeMailRow.unit == unit)
            .where(col(IntakeMailRow.outcome).in_(UNSETTLED))
            .where(col(IntakeMailRow.recorded_at) >= since)
            .where(col(IntakeMailRow.recorded_at) < until)
            .order_by(col(IntakeMailRow.received_at), col(IntakeMailRow.id))
        )
        return [(r.sender, json.loads(r.codes), r.received_at, r.outcome) for r in rows]

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
