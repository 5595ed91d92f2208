"""What happened to an obligation, and the audit trail every write leaves."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import col, select

from scheduler.deadlines.vntime import iso
from scheduler.records import AuditEntry
from scheduler.store.audit import audit_entry
from scheduler.store.base import Queries
from scheduler.store.schema import AuditRow, MessageItemRow, MessageRow, ReminderRow


class HistoryQueries(Queries):
    def history(self, obligation_id: int) -> dict[str, list[dict[str, Any]]]:
        """Everything that happened to one obligation: steps, mails, audit entries."""
        steps = self.session.exec(
            select(ReminderRow)
            .where(ReminderRow.obligation_id == obligation_id)
            .order_by(col(ReminderRow.scheduled_at), col(ReminderRow.id))
        ).all()
        mails = self.session.exec(
            select(MessageRow)
            .join(MessageItemRow, col(MessageItemRow.message_id) == col(MessageRow.id))
            .where(MessageItemRow.obligation_id == obligation_id)
            .order_by(col(MessageRow.id))
        ).all()
        return {
            "steps": [
                {
                    "step": r.step,
                    "repeat": r.repeat,
                    "state": r.state,
                    "late_flag": r.late_flag,
                    "recipients": json.loads(r.recipients),
                    "scheduled_at": iso(r.scheduled_at),
                }
                for r in steps
            ],
            "mails": [
                {
                    "id": m.id,
                    "recipient": m.recipient,
                    "subject": m.subject,
                    "state": m.state,
                    "attempts": m.attempts,
                    "sent_at": iso(m.finished_at) if m.finished_at else None,
                    "error": m.last_error,
                }
                for m in mails
            ],
            "audit": [
                {"at": iso(a.at), "actor": a.actor, "action": a.action, "detail": a.detail}
                for a in self.audit_trail(obligation_id)
            ],
        }

    def audit(
        self,
        at: datetime,
        actor: str,
        action: str,
        *,
        obligation_id: int | None = None,
        case_code: str | None = None,
        **detail: Any,
    ) -> None:
        self.session.add(
            AuditRow(
                at=at,
                actor=actor,
                action=action,
                obligation_id=obligation_id,
                case_code=case_code,
                detail=json.dumps(detail, ensure_ascii=False, default=str),
            )
        )

    def audit_trail(self, obligation_id: int | None = None) -> list[AuditEntry]:
        query = select(AuditRow).order_by(col(AuditRow.id))
        if obligation_id is not None:
            query = query.where(AuditRow.obligation_id == obligation_id)
        return [audit_entry(r) for r in self.session.exec(query)]
