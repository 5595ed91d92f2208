"""Building mail: from what is due to a ``Draft`` (subject, plain text, HTML). Nearly pure.

Templates live in ``templates/email/`` (Vietnamese, a ``.txt`` and an ``.html`` for each). They
only ever see the values of ``scheduler.mail.contents``: codes, unit names, kinds, dates. The
model holds nothing that identifies a child, so no template can reach it.

A wave is thousands of mails that say the same to several people (a commune's officer and its
leader): ``Renderer.wave`` renders each distinct content once, and puts in afterwards the one
part signed for each recipient, the "Đã gửi báo cáo" link. Templates print that link as it is
(``{{ item.ack_url }}``), escaped in HTML as Jinja escapes it.
"""

from __future__ import annotations

import hashlib
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, select_autoescape
from markupsafe import escape

from scheduler import shipped
from scheduler.deadlines.rules import Kind, Step
from scheduler.deadlines.vntime import fmt_date, fmt_datetime
from scheduler.errors import ConfigError
from scheduler.mail.contents import AssumedYear as AssumedYear
from scheduler.mail.contents import Item as Item
from scheduler.mail.contents import LateRow as LateRow
from scheduler.mail.contents import ReceivedRow as ReceivedRow
from scheduler.mail.contents import UnmatchedRow as UnmatchedRow
from scheduler.mail.contents import Wave as Wave

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


_LINK = "\x00ack-link-{}\x00"  # where a recipient's own link goes, in a content rendered once


@dataclass(frozen=True)
class _Letter:
    """What a mail about some items says, whoever receives it."""

    template: str
    priority: int
    subject: str
    text: str
    html: str
    ids: str
    thread_ref: str | None

    def to(self, recipient: str, text: str, html: str) -> Draft:
        """The mail to ``recipient``, its bodies as they read for that person."""
        return Draft(
            key=f"reminders:{recipient}:{self.ids}",
            template=self.template,
            priority=self.priority,
            recipient=recipient,
            subject=self.subject,
            text=text,
            html=html,
            thread_ref=self.thread_ref,
        )


def _ordered(items: Sequence[Item]) -> tuple[Item, ...]:
    """The most urgent first, then the earliest due: the first names the mail."""
    return tuple(sorted(items, key=lambda i: (PRIORITY[i.template], i.due_at, i.reminder_id)))


class _Environment(Environment):
    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """A template's globals as one dict, not Jinja's chain of its own and the environment's:
        every render copies them, and walking the chain was a tenth of a wave's rendering. Ours
        are set before any template is loaded and never change."""
        return {**self.globals, **(d or {})}


class Renderer:
    def __init__(self, domain: str, folder: Path = TEMPLATES) -> None:
        if not (folder / "_layout.txt").is_file():
            raise ConfigError(
                f"không thấy mẫu thư trong {folder} / mail templates not found: cài từ thư mục "
                "mã nguồn (pip install -e .) để templates/ nằm cạnh mã"
            )
        self.domain = domain
        self.env = _Environment(
            loader=FileSystemLoader(folder),
            autoescape=select_autoescape(["html"]),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,  # read once: a template changes with a release, not while running
        )
        self._templates: dict[str, Template] = {}

    def _template(self, name: str) -> Template:
        found = self._templates.get(name)
        if found is None:
            found = self._templates[name] = self.env.get_template(name)
        return found

    def _render(self, template: str, **context: object) -> tuple[str, str]:
        text = self._template(f"{template}.txt").render(**context)
        html = self._template(f"{template}.html").render(**context)
        return text, html

    def items(self, recipient: str, items: Sequence[Item], now: datetime) -> Draft:
        """One mail for one person: a single item in its own template, several in a bundle."""
        letter = self._letter(_ordered(items), fmt_datetime(now))
        return letter.to(recipient, letter.text, letter.html)

    def wave(self, mails: Sequence[tuple[str, Sequence[Item]]], now: datetime) -> list[Draft]:
        """One mail for each (person, items), all at ``now``, as ``items`` writes each: every
        distinct content rendered once, each person's own links put in afterwards."""
        stamp, letters, drafts = fmt_datetime(now), dict[tuple[Item, ...], _Letter](), []
        for recipient, items in mails:
            ordered = _ordered(items)
            links = [i.ack_url for i in ordered]
            content = tuple(
                replace(i, ack_url=_LINK.format(n)) if i.ack_url else i
                for n, i in enumerate(ordered)
            )
            letter = letters.get(content)
            if letter is None:
                letter = letters[content] = self._letter(content, stamp)
            text, html = letter.text, letter.html
            for n, link in enumerate(links):
                if link:
                    text = text.replace(_LINK.format(n), link)
                    html = html.replace(_LINK.format(n), str(escape(link)))
            drafts.append(letter.to(recipient, text, html))
        return drafts

    def _letter(self, ordered: tuple[Item, ...], now: str) -> _Letter:
        """What a mail about ``ordered`` says, rendered."""
        lead = ordered[0]
        template = lead.template if len(ordered) == 1 else "bundle"
        marker = MARKERS[lead.template]
        if len(ordered) == 1:
            subject = f"{marker} {lead.title} - hạn {lead.due}"
        else:
            subject = f"{marker} {len(ordered)} báo cáo cần xử lý: " + "; ".join(
                dict.fromkeys(i.case_code or i.title for i in ordered)  # a case's code once
            )
        text, html = self._render(template, items=ordered, item=lead, now=now, subject=subject)
        threaded = {i.obligation_key for i in ordered}
        return _Letter(
            template=template,
            priority=PRIORITY[lead.template],
            subject=subject,
            text=text,
            html=html,
            ids=",".join(str(i.reminder_id) for i in ordered),
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
