"""How hanbao trusts a server it connects to (the mail relay, the watched mailbox)."""

from __future__ import annotations

import ssl
from pathlib import Path


def client_context(ca_file: Path | None) -> ssl.SSLContext:
    """Verify the server's certificate and name against the system's CAs, or against
    ``ca_file`` (a private CA); TLS 1.2 at least."""
    context = ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context
