"""What a mail says, as the values the templates see: due steps (``Item``), the digest's rows,
the calendar mail's assumed years. Codes, unit names, kinds, dates: nothing that identifies a
child, so no template can reach it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from scheduler.deadlines.vntime import fmt_datetime


@dataclass(frozen=True)
class AssumedYear:
    """A year not confirmed yet, with the days off and swapped working days hanbao assumes."""

    year: int
    days_off: tuple[tuple[str, str], ...]  # (dd/mm/yyyy, name)
    working_days: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Item:
    """One due step of one obligation, as a recipient reads it."""

    reminder_id: int
    obligation_id: int
    obligation_key: str
    template: str
    kind_name: str
    how: str
    case_code: str | None
    period: str | None
    requested_by: str | None
    unit_code: str
    unit_name: str
    due_at: datetime
    days_late: int
    submit_to: tuple[str, ...]
    ack_url: str | None = None  # "Đã gửi báo cáo": signed for one recipient
    provisional: bool = False  # counted on days off not confirmed yet (calendar-overrides.yaml)

    @property
    def title(self) -> str:
        """The case code or the report's name and period: what the subject line names."""
        if self.case_code:
            return f"{self.case_code} - {self.kind_name}"
        return f"{self.kind_name} {self.period}" if self.period else self.kind_name

    @property
    def due(self) -> str:
        return fmt_datetime(self.due_at)


@dataclass(frozen=True)
class LateRow:
    unit_code: str
    unit_name: str
    title: str
    due_at: datetime
    days_late: int
    reminders_sent: int
    submitted_at: datetime | None = None  # a late report that has come in since all the same

    @property
    def due(self) -> str:
        return fmt_datetime(self.due_at)

    @property
    def submitted(self) -> str | None:
        return fmt_datetime(self.submitted_at) if self.submitted_at else None


@dataclass(frozen=True)
class ReceivedRow:
    """A report received since the last digest: the receiving unit is asked for its word."""

    obligation_id: int
    unit_code: str
    unit_name: str
    title: str
    due_at: datetime
    submitted_at: datetime
    standing: str  # how it arrived: the report mail seen, or the unit's own word
    confirm_url: str | None = None  # "Đã nhận": signed for one recipient
    dispute_url: str | None = None  # "Chưa nhận được"

    @property
    def due(self) -> str:
        return fmt_datetime(self.due_at)

    @property
    def submitted(self) -> str:
        return fmt_datetime(self.submitted_at)


UNSETTLED_VI = {
    "unmatched": "không khớp báo cáo nào",
    "ambiguous": "khớp nhiều báo cáo, không rõ báo cáo nào",
    "stranger": "người gửi không phải địa chỉ liên hệ của đơn vị nào",
    "early": "gửi trước khi phát sinh nghĩa vụ báo cáo",
}


@dataclass(frozen=True)
class UnmatchedRow:
    """A mail the intake saw and could not match: sender, case codes, time; never a subject."""

    sender: str | None
    codes: tuple[str, ...]
    received_at: datetime
    outcome: str

    @property
    def received(self) -> str:
        return fmt_datetime(self.received_at)

    @property
    def why(self) -> str:
        return UNSETTLED_VI.get(self.outcome, self.outcome)


@dataclass(frozen=True)
class Wave:
    """Mail still queued ahead of a digest, and when the relay's rate lets it all through."""

    waiting: int
    through_at: datetime
    rate_per_minute: int

    @property
    def through(self) -> str:
        return fmt_datetime(self.through_at)
