"""Signed values handed to people and read back from them: session cookies and mail links.

A signed value is ``<payload>.<signature>``: the payload is a JSON object in unpadded
base64url, the signature is HMAC-SHA256 under the key from ``HANBAO_SIGNING_KEY``, over the
purpose, ``|`` and the JSON bytes. The purpose (``session``, ``ack``, ``confirm``, ``dispute``)
keeps a value signed for one use from verifying for another. Every payload carries ``e``, its
expiry in epoch seconds.

Decoding is strict: anything but exactly two canonical base64url parts of ASCII is refused
before the signature is compared, so no appended ``=``, stray character or non-ASCII text
verifies, and nothing a client sends can raise anything but :class:`Invalid`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime

from scheduler.errors import HanbaoError

EXPIRES = "e"
Fields = Mapping[str, int | str]


class Invalid(HanbaoError):
    """Forged, altered, malformed, or signed for another purpose."""


class Expired(Invalid):
    """Genuine, but past its expiry."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    """The bytes of canonical unpadded base64url ``text``; anything else is :class:`Invalid`."""
    try:
        data = base64.urlsafe_b64decode(text.encode("ascii") + b"=" * (-len(text) % 4))
    except ValueError:  # non-ASCII text, or a length no encoding has
        raise Invalid("not base64url") from None
    if _b64(data) != text:  # padding, characters outside the alphabet, non-zero spare bits
        raise Invalid("not canonical base64url")
    return data


def _mac(key: bytes, purpose: str, message: bytes) -> bytes:
    return hmac.new(key, purpose.encode() + b"|" + message, hashlib.sha256).digest()


def expiry(moment: datetime) -> int:
    """The ``e`` field for a value that stops working at ``moment``."""
    return int(moment.timestamp())


def sign(key: bytes, purpose: str, fields: Fields) -> str:
    """``fields`` (with ``e``) signed for ``purpose``; the same fields give the same value."""
    payload = json.dumps(dict(fields), separators=(",", ":")).encode()
    return f"{_b64(payload)}.{_b64(_mac(key, purpose, payload))}"


def verify(key: bytes, purpose: str, value: str, now: datetime) -> dict[str, int | str]:
    """The fields of a value signed for ``purpose``; :class:`Invalid` or :class:`Expired`."""
    parts = value.split(".")
    if len(parts) != 2:
        raise Invalid("not two parts")
    payload, signature = (_unb64(part) for part in parts)
    if not hmac.compare_digest(signature, _mac(key, purpose, payload)):
        raise Invalid("bad signature")
    fields = json.loads(payload)  # ours: only what this module signed gets here
    if not isinstance(fields, dict) or not isinstance(fields.get(EXPIRES), int):
        raise Invalid("no expiry")
    if now.timestamp() > fields[EXPIRES]:
        raise Expired("expired")
    return fields


def tag(key: bytes, purpose: str, text: str) -> str:
    """A short value binding ``text`` to ``purpose`` (the CSRF value of a link's form)."""
    return _b64(_mac(key, purpose, text.encode("utf-8", "surrogatepass")))


def matches(key: bytes, purpose: str, text: str, given: str) -> bool:
    """Whether ``given`` is :func:`tag` of ``text``; any string a client sends is safe here."""
    expected = tag(key, purpose, text).encode()
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected)
