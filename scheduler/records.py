"""What the database gives back: plain frozen values, not rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from scheduler.deadlines.vntime import days_late, iso

# how /metrics labels the obligation gauges: per commune, or per parent only (metrics.unit_labels)
UnitLabels = Literal["unit", "parent"]

State = Literal["open", "overdue", "submitted", "superseded"]
Via = Literal["mail", "link", "api", "cli"]  # how hanbao learnt of a submission
# the receiving unit's reasons for "not received" (receipt.py): a fixed list, no free text
DISPUTE_REASONS = {
    "not_received": "Chưa nhận được báo cáo",
    "wrong_report": "Thư nhận được không phải báo cáo này",
    "incomplete": "Báo cáo thiếu nội dung hoặc sai mẫu",
    "unreadable": "Không mở được tệp báo cáo",
}
MESSAGE_STATES = ("pending", "sending", "sent", "failed", "refused", "cancelled")  # outbox.py


@dataclass(frozen=True)
class Obligation:
    id: int
    key: str
    kind: str
    unit: str
    case_code: str | None
    period: str | None
    requested_by: str | None
    event_at: datetime
    due_at: datetime
    created_at: datetime
    submitted_at: datetime | None
    next_action_at: datetime | None
    moved_from: str | None = None  # the unit that owed it before a reorganisation moved it
    superseded_by: int | None = None  # answered by the successor's report for the period
    submitted_via: Via | None = None  # null: recorded before hanbao knew how
    confirmed_at: datetime | None = None  # the receiving unit confirmed the submission
    disputed_at: datetime | None = None  # the receiving unit said it did not receive it

    @property
    def owner(self) -> str:
        """Who owes it, as leaders read it: ``X01 (nay thuộc X20)`` once moved."""
        return f"{self.moved_from} (nay thuộc {self.unit})" if self.moved_from else self.unit

    def state(self, now: datetime) -> State:
        if self.submitted_at is not None:
            return "submitted"
        if self.superseded_by is not None:
            return "superseded"
        return "overdue" if now > self.due_at else "open"

    def days_late(self, now: datetime) -> int:
        """How late it was submitted, or how late it is now if still open (0 when on time, or
        when the successor's report answers for it)."""
        if self.superseded_by is not None:
            return 0
        return days_late(self.due_at, self.submitted_at or now)

    def as_json(self, now: datetime) -> dict[str, Any]:
        """The obligation as the CLI's ``--json`` and the API show it (keys in README)."""
        return {
            "id": self.id,
            "key": self.key,
            "unit": self.unit,
            "kind": self.kind,
            "case": self.case_code,
            "period": self.period,
            "requested_by": self.requested_by,
            "due": iso(self.due_at),
            "state": self.state(now),
            "submitted_at": iso(self.submitted_at) if self.submitted_at else None,
            "days_late": self.days_late(now),
            "next_action_at": iso(self.next_action_at) if self.next_action_at else None,
            "moved_from": self.moved_from,
            "superseded_by": self.superseded_by,
            "submitted_via": self.submitted_via,
            "confirmed_at": iso(self.confirmed_at) if self.confirmed_at else None,
            "disputed_at": iso(self.disputed_at) if self.disputed_at else None,
        }


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    obligation_id: int | None
    case_code: str | None
    detail: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        """As ``hanbao audit --json`` and ``GET /api/audit`` show it."""
        return {
            "at": iso(self.at),
            "actor": self.actor,
            "action": self.action,
            "obligation": self.obligation_id,
            "case": self.case_code,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Answerable:
    """An obligation a report mail may answer, with what matching needs to know of it."""

    id: int
    unit: str
    parent: str | None
    kind: str
    case_code: str | None
    period: str | None
    open: bool  # neither submitted nor answered by a successor
    event_at: datetime
