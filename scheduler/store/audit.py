"""Reading the audit trail as an admin does: the latest entries of one action (``login_failed``
for the failed logins), newest first."""

from __future__ import annotations

import json
from datetime import datetime

from sqlmodel import col, select

from scheduler.records import AuditEntry
from scheduler.store.base import Queries
from scheduler.store.schema import AuditRow


def audit_entry(row: AuditRow) -> AuditEntry:
    """A stored audit row as the value callers read."""
    return AuditEntry(
        at=row.at,
        actor=row.actor,
        action=row.action,
        obligation_id=row.obligation_id,
        case_code=row.case_code,
        detail=json.loads(row.detail),
    )


class AuditQueries(Queries):
    def latest(self, action: str | None, since: datetime | None, limit: int) -> list[AuditEntry]:
        """At most ``limit`` entries, newest first, of ``action`` (any, if None) since ``since``."""
        query = select(AuditRow).order_by(col(AuditRow.at).desc(), col(AuditRow.id).desc())
        if action is not None:
            query = query.where(AuditRow.action == action)
        if since is not None:
            query = query.where(col(AuditRow.at) >= since)
        return [audit_entry(r) for r in self.session.exec(query.limit(limit))]
