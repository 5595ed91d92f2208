"""What the intake reads of a mail: its header block, never its body. Pure.

Mail from the world is often malformed: 8-bit bytes in a subject, an encoded word in an unknown
charset, a missing ``From``, a date nobody can parse. Each of these gives an empty or best-effort
field, never an exception: a mail that cannot be read is a mail that matches nothing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import Message
from email.parser import HeaderParser
from email.utils import getaddresses, parsedate_to_datetime

_ID = re.compile(r"<[^<>\s]{1,250}>")
_PARSER = HeaderParser(policy=policy.compat32)  # raw strings: nothing raises on bad input


@dataclass(frozen=True)
class Headers:
    message_id: str | None
    references: tuple[str, ...]  # In-Reply-To, then References, each ``<…>``
    sender: str | None  # the From address, lower case
    subject: str  # decoded, printable, one line
    received_at: datetime | None  # from the topmost Received header: the last server's clock
    recipients: tuple[str, ...]  # To, Cc, Delivered-To and X-Original-To, lower case


def header_block(raw: bytes) -> bytes:
    """The bytes up to the blank line that ends the headers (all of it when there is none)."""
    ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0]
    return raw[: min(ends)] if ends else raw


def _line(raw: bytes) -> str:
    """One header line: UTF-8 (RFC 6532), else Vietnamese Windows (cp1258), else Latin-1."""
    for encoding in ("utf-8", "cp1258"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def _text(value: str | None) -> str:
    if not value:
        return ""
    try:  # the lenient parser: an unknown charset or a broken encoded word is a defect
        text = str(policy.default.header_fetch_parse("Subject", value))
    except Exception:  # whatever the world sends: keep what is readable
        text = value
    text = "".join(c if c.isprintable() else " " for c in text)
    return unicodedata.normalize("NFC", " ".join(text.split()))


def _addresses(message: Message, *names: str) -> tuple[str, ...]:
    values = [str(v) for name in names for v in (message.get_all(name) or [])]
    found = []
    for _, address in getaddresses(values):
        address = address.strip().lower()
        if "@" in address and address.isascii() and address not in found:
            found.append(address)
    return tuple(found)


def _received(message: Message) -> datetime | None:
    top = message.get("Received")
    if not top or ";" not in str(top):
        return None
    try:
        moment = parsedate_to_datetime(str(top).rsplit(";", 1)[1].strip())
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def read_headers(raw: bytes) -> Headers:
    """The fields matching needs, from a raw message or its header block."""
    lines = header_block(raw).splitlines(keepends=True)
    message = _PARSER.parsestr("".join(_line(line) for line in lines))
    ids = _ID.findall(str(message.get("Message-ID") or ""))
    references = [
        ref
        for name in ("In-Reply-To", "References")
        for ref in _ID.findall(str(message.get(name) or ""))
    ]
    senders = _addresses(message, "From")
    return Headers(
        message_id=ids[0] if ids else None,
        references=tuple(dict.fromkeys(references)),
        sender=senders[0] if len(senders) == 1 else None,
        subject=_text(message.get("Subject")),
        received_at=_received(message),
        recipients=_addresses(message, "To", "Cc", "Delivered-To", "X-Original-To"),
    )
