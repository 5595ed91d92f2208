"""One-click links in mail, each signed for one purpose: "Đã gửi báo cáo" in a reminder
(``ack``), and "Đã nhận" (``confirm``) or "Chưa nhận được" (``dispute``) in the district's digest.

A link carries (obligation, recipient, expiry), and for the district's word the moment of the
submission it is about, signed by :mod:`scheduler.signing` for its purpose: a link signed for
one purpose does not verify for another. Anything altered fails the signature; an old link
fails the expiry. Following a link only shows a page; what it records is done by the form on it
(a POST with a CSRF value derived from the link), once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from scheduler import signing
from scheduler.errors import HanbaoError

Purpose = Literal["ack", "confirm", "dispute"]
_EXPIRED = {
    "ack": "Đề nghị ghi nhận việc gửi báo cáo với cán bộ phụ trách.",
    "confirm": "Đề nghị dùng liên kết trong thư tổng hợp mới nhất, hoặc xác nhận trên hệ thống.",
    "dispute": "Đề nghị dùng liên kết trong thư tổng hợp mới nhất, hoặc báo trên hệ thống.",
}


class LinkError(HanbaoError):
    """The link is forged, altered or expired; ``reason`` is shown, politely, to the person."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Link:
    obligation_id: int
    recipient: str
    expires: datetime
    submitted_at: int | None = None  # confirm, dispute: the submission it is about (epoch s)

    def about(self, submitted_at: datetime | None) -> bool:
        """Whether the link speaks of this submission (not an earlier, disputed one)."""
        return submitted_at is not None and int(submitted_at.timestamp()) == self.submitted_at


def sign(
    key: bytes,
    obligation_id: int,
    recipient: str,
    now: datetime,
    days: int,
    purpose: Purpose = "ack",
    submitted_at: datetime | None = None,
) -> str:
    """A link for ``purpose``; ``submitted_at`` binds a confirm or dispute link to the
    submission the digest listed. Signing the same values again gives the same link."""
    fields: dict[str, int | str] = {
        "o": obligation_id,
        "r": recipient,
        signing.EXPIRES: signing.expiry(now + timedelta(days=days)),
    }
    if submitted_at is not None:
        fields["s"] = int(submitted_at.timestamp())
    return signing.sign(key, purpose, fields)


def verify(key: bytes, token: str, now: datetime, purpose: Purpose = "ack") -> Link:
    try:
        fields = signing.verify(key, purpose, token, now)
    except signing.Expired:
        raise LinkError(f"Liên kết đã hết hạn. {_EXPIRED[purpose]}") from None
    except signing.Invalid:
        raise LinkError("Liên kết không hợp lệ hoặc đã bị sửa đổi.") from None
    submitted = fields.get("s")
    return Link(
        int(fields["o"]),
        str(fields["r"]),
        datetime.fromtimestamp(int(fields[signing.EXPIRES]), now.tzinfo),
        None if submitted is None else int(submitted),
    )


def csrf(key: bytes, token: str) -> str:
    """The value the confirmation form must send back with the link."""
    return signing.tag(key, "csrf", token)


def csrf_matches(key: bytes, token: str, given: str) -> bool:
    """Whether a form sent back the link's CSRF value (any text a client sends is safe)."""
    return signing.matches(key, "csrf", token, given)


def digest(token: str) -> str:
    """What is stored of a used link (never the link itself)."""
    return hashlib.sha256(token.encode()).hexdigest()
