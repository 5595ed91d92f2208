"""Building mail: from what is due to a ``Draft`` (subject, plain text, HTML). Nearly pure.

Templates live in ``templates/email/`` (Vietnamese, a ``.txt`` and an ``.html`` for each). They
only ever see the values below: codes, unit names, kinds, dates. The model holds nothing that
identifies a child, so no template can reach it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from scheduler import shipped
from scheduler.deadlines.rules import Kind, Step
from scheduler.deadlines.vntime import fmt_date, fmt_datetime
from scheduler.errors import ConfigError

TEMPLATES = shipped.EMAIL_TEMPLATES
MARKERS = {
    "new_case": "[KHẨN]",
    "reminder": "[NHẮC HẠN]",
    "periodic": "[NHẮC HẠN]",
    "due_today": "[NHẮC HẠN]",
    "overdue": "[QUÁ HẠN]",
    "escalation": "[QUÁ HẠN]",
    "late_flag": "[QUÁ HẠN]",
    "digest": "[QUÁ HẠN]",
    "summary": "[TỔNG HỢP]",  # a digest with nothing late, only reports to confirm or mail to see
    "test": "[THỬ]",
    "calendar": "[LỊCH NGHỈ]",
}
PRIORITY = {
    "new_case": 0,
    "late_flag": 1,
    "escalation": 1,
    "overdue": 1,
    "due_today": 2,
    "reminder": 3,
    "periodic": 3,
    "test": 3,
    "calendar": 4,  # the operators' calendar mail, like a digest, waits for the reminders
    "digest": 4,  # the day's overview waits for the reminders it sums up
}


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


@dataclass(frozen=True)
class Draft:
    key: str
    template: str
    priority: int
    recipient: str
    subject: str
    text: str
    html: str
    thread_ref: str | None


def template_for(kind: Kind, step: Step) -> str:
    """Which mail a ladder step sends, from what the step is (not from its configured name)."""
    if step.flag_late:
        return "late_flag"
    if step.immediate:
        return "new_case" if kind.trigger == "case_verified" else "reminder"
    offset = step.working_days if step.working_days is not None else (step.hours or 0)
    if offset < 0:
        return "periodic" if kind.trigger in ("yearly", "once") else "reminder"
    if offset == 0 and step.hours is None:
        return "due_today"
    if any(r.of_parent for r in step.notify):
        return "escalation"
    return "overdue"


def message_key_id(key: str, domain: str) -> str:
    """A Message-ID fixed by the message's key: a resend after a crash carries the same one."""
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def thread_id(obligation_key: str, domain: str) -> str:
    """The thread of every mail about one obligation (``In-Reply-To`` and ``References``)."""
    return f"<thread.{hashlib.sha256(obligation_key.encode()).hexdigest()[:24]}@{domain}>"


class Renderer:
    def __init__(self, domain: str, folder: Path = TEMPLATES) -> None:
        if not (folder / "_layout.txt").is_file():
            raise ConfigError(
                f"không thấy mẫu thư trong {folder} / mail templates not found: cài từ thư mục "
                "mã nguồn (pip install -e .) để templates/ nằm cạnh mã"
            )
        self.domain = domain
        self.env = Environment(
            loader=FileSystemLoader(folder),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def _render(self, template: str, **context: object) -> tuple[str, str]:
        text = self.env.get_template(f"{template}.txt").render(**context)
        html = self.env.get_template(f"{template}.html").render(**context)
        return text, html

    def items(self, recipient: str, items: Sequence[Item], now: datetime) -> Draft:
        """One mail for one person: a single item in its own template, several in a bundle."""
        ordered = sorted(items, key=lambda i: (PRIORITY[i.template], i.due_at, i.reminder_id))
        lead = ordered[0]
        template = lead.template if len(ordered) == 1 else "bundle"
        marker = MARKERS[lead.template]
        if len(ordered) == 1:
            subject = f"{marker} {lead.title} - hạn {lead.due}"
        else:
            subject = f"{marker} {len(ordered)} báo cáo cần xử lý: " + "; ".join(
                dict.fromkeys(i.case_code or i.title for i in ordered)  # a case's code once
            )
        text, html = self._render(
            template, items=ordered, item=lead, now=fmt_datetime(now), subject=subject
        )
        ids = ",".join(str(i.reminder_id) for i in ordered)
        threaded = {i.obligation_key for i in ordered}
        return Draft(
            key=f"reminders:{recipient}:{ids}",
            template=template,
            priority=PRIORITY[lead.template],
            recipient=recipient,
            subject=subject,
            text=text,
            html=html,
            thread_ref=thread_id(lead.obligation_key, self.domain) if len(threaded) == 1 else None,
        )

    def digest(
        self,
        recipient: str,
        unit_code: str,
        unit_name: str,
        rows: Sequence[LateRow],
        failures: Sequence[str],
        now: datetime,
        received: Sequence[ReceivedRow] = (),
        unmatched: Sequence[UnmatchedRow] = (),
        wave: Wave | None = None,
    ) -> Draft:
        """The district's daily mail: late units, reports received to confirm or dispute, mail
        the intake could not match, and reminders that could not be delivered."""
        overdue = bool(rows) or not (received or unmatched)  # the digest as it always was
        counts = [f"{len(rows)} báo cáo quá hạn"] if overdue else []
        if received:
            counts.append(f"{len(received)} báo cáo đã nhận cần xác nhận")
        if unmatched:
            counts.append(f"{len(unmatched)} thư chưa khớp")
        marker = MARKERS["digest" if overdue else "summary"]
        subject = f"{marker} {unit_name}: {', '.join(counts)} ngày {fmt_date(now.date())}"
        text, html = self._render(
            "digest",
            items=(),
            rows=rows,
            received=received,
            unmatched=unmatched,
            failures=failures,
            unit_name=unit_name,
            now=fmt_datetime(now),
            subject=subject,
            wave=wave,
        )
        return Draft(
            key=f"digest:{unit_code}:{now.date().isoformat()}:{recipient}",
            template="digest",
            priority=PRIORITY["digest"],
            recipient=recipient,
            subject=subject,
            text=text,
            html=html,
            thread_ref=None,
        )

    def calendar(
        self, recipient: str, years: Sequence[AssumedYear], where: str, now: datetime
    ) -> Draft:
        """The operator's mail: the years counted on days off nobody has confirmed yet, the
        days hanbao assumes for each, and where to confirm them."""
        listed = ", ".join(str(y.year) for y in years)
        subject = f"{MARKERS['calendar']} Lịch nghỉ năm {listed} chưa được xác nhận"
        text, html = self._render(
            "calendar", items=(), years=years, where=where, now=fmt_datetime(now), subject=subject
        )
        return Draft(
            key=f"calendar:{listed}:{now.date().isoformat()}:{recipient}",
            template="calendar",
            priority=PRIORITY["calendar"],
            recipient=recipient,
            subject=subject,
            text=text,
            html=html,
            thread_ref=None,
        )

    def test(self, recipient: str, now: datetime, key: str) -> Draft:
        subject = f"{MARKERS['test']} Kiểm tra cấu hình thư điện tử hanbao {fmt_datetime(now)}"
        text, html = self._render("test", items=(), now=fmt_datetime(now), subject=subject)
        return Draft(
            key=key,
            template="test",
            priority=PRIORITY["test"],
            recipient=recipient,
            subject=subject,
            text=text,
            html=html,
            thread_ref=None,
        )
