"""A local mail capture for ``hanbao demo``: an SMTP server on loopback that writes every mail
it receives to a folder as an ``.eml`` file, so a newcomer sees real mail arrive."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

log = logging.getLogger("scheduler.capture")


class _ToFolder:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        recipient = envelope.rcpt_tos[0] if envelope.rcpt_tos else "unknown"
        path = self.folder / f"{self.count:05d}-{recipient}.eml"
        path.write_bytes(envelope.original_content or envelope.content)
        log.info("action=captured mail=%05d", self.count)  # not the file name: it names who
        return "250 2.0.0 Captured"


def start_capture(folder: Path, port: int) -> Controller:
    """Listen on 127.0.0.1:``port``; the caller stops it with ``.stop()``."""
    folder.mkdir(parents=True, exist_ok=True)
    controller = Controller(_ToFolder(folder), hostname="127.0.0.1", port=port)
    controller.start()
    return controller
