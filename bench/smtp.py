"""SMTP throughput: one connection reused for a batch versus a new connection per message.

Sends N real messages (the hanbao MIME, Vietnamese, text+HTML) to an aiosmtpd sink on loopback
and prints messages per second for each way. A script that prints figures, not a test.

    python bench/smtp.py              # N = 1000, plain SMTP on loopback
    python bench/smtp.py --starttls   # STARTTLS with a trustme certificate, as a real relay
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import ssl
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scheduler.deadlines.vntime import parse_datetime
from scheduler.mail import outbox
from scheduler.mail.mailer import SmtpSession, Wire
from scheduler.mail.outbox import Outgoing
from scheduler.mail.render import Renderer
from scheduler.mail.settings import SmtpSettings

SENDER = "Nhắc hạn <nhac-han@huyenmau.tinhmau.example>"
RECIPIENT = "treem@anbinh.huyenmau.tinhmau.example"


class Counting:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 OK"


def messages(n: int) -> list[Outgoing]:
    now = parse_datetime("03/03/2027 08:00")
    renderer = Renderer("huyenmau.tinhmau.example")
    return [
        outbox.direct(renderer.test(RECIPIENT, now, f"bench:{i}"), renderer.domain, ("X01",))
        for i in range(n)
    ]


async def reused(settings: SmtpSettings, batch: list[Outgoing]) -> None:
    now = parse_datetime("03/03/2027 08:00")
    async with SmtpSession(settings, SENDER) as smtp:
        for message in batch:
            await smtp.send(Wire(SENDER).build(message, now), message.recipient)


async def one_each(settings: SmtpSettings, batch: list[Outgoing]) -> None:
    now = parse_datetime("03/03/2027 08:00")
    for message in batch:
        async with SmtpSession(settings, SENDER) as smtp:
            await smtp.send(Wire(SENDER).build(message, now), message.recipient)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="messages per run")
    parser.add_argument("--starttls", action="store_true", help="STARTTLS (trustme certificate)")
    args = parser.parse_args()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = Counting()
    settings = SmtpSettings(host="127.0.0.1", port=port, security="none", timeout=30)
    options: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        if args.starttls:
            ca = trustme.CA()
            server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ca.issue_cert("localhost", "127.0.0.1").configure_cert(server)
            ca.cert_pem.write_to_path(f"{folder}/ca.pem")
            options = {"tls_context": server, "require_starttls": True}
            settings = replace(settings, security="starttls", ca_file=Path(folder) / "ca.pem")
        run(sink, port, settings, args.n, options)


def run(sink: Counting, port: int, settings: SmtpSettings, n: int, options: dict[str, Any]) -> None:
    controller = Controller(sink, hostname="127.0.0.1", port=port, **options)
    controller.start()
    print(f"{n} messages to aiosmtpd on 127.0.0.1, security={settings.security}")
    batch = messages(n)
    try:
        for label, way in (
            ("one connection per batch", reused),
            ("new connection per message", one_each),
        ):
            before = sink.count
            started = time.perf_counter()
            asyncio.run(way(settings, batch))
            elapsed = time.perf_counter() - started
            assert sink.count - before == n
            print(f"  {label:28s}: {elapsed:6.2f} s = {n / elapsed:7.1f} messages/s")
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
