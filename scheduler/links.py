"""One-click acknowledgement links: "Đã gửi báo cáo" in a reminder mail.

A link carries (obligation, recipient, expiry), signed with HMAC-SHA256 under the key from
``HANBAO_SIGNING_KEY`` (or ``HANBAO_SIGNING_KEY_FILE``). Anything altered fails the signature;
an old link fails the expiry. Following a link only shows a confirmation page; the submission
is recorded by the form on it (a POST with a CSRF value derived from the link), once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from scheduler.errors import HanbaoError


class LinkError(HanbaoError):
    """The link is forged, altered or expired; ``reason`` is shown, politely, to the person."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Ack:
    obligation_id: int
    recipient: str
    expires: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


def sign(key: bytes, obligation_id: int, recipient: str, now: datetime, days: int) -> str:
    expires = int((now + timedelta(days=days)).timestamp())
    payload = json.dumps(
        {"o": obligation_id, "r": recipient, "e": expires}, separators=(",", ":")
    ).encode()
    return f"{_b64(payload)}.{_b64(_mac(key, b'ack|' + payload))}"


def verify(key: bytes, token: str, now: datetime) -> Ack:
    try:
        payload_text, signature = token.split(".")
        payload = _unb64(payload_text)
        valid = hmac.compare_digest(_unb64(signature), _mac(key, b"ack|" + payload))
    except (ValueError, TypeError):
        valid = False
    if not valid:
        raise LinkError("Liên kết không hợp lệ hoặc đã bị sửa đổi.")
    fields = json.loads(payload)
    expires = datetime.fromtimestamp(int(fields["e"]), now.tzinfo)
    if now > expires:
        raise LinkError(
            "Liên kết đã hết hạn. Đề nghị ghi nhận việc gửi báo cáo với cán bộ phụ trách."
        )
    return Ack(int(fields["o"]), str(fields["r"]), expires)


def csrf(key: bytes, token: str) -> str:
    """The value the confirmation form must send back with the link."""
    return _b64(_mac(key, b"csrf|" + token.encode()))


def digest(token: str) -> str:
    """What is stored of a used link (never the link itself)."""
    return hashlib.sha256(token.encode()).hexdigest()
