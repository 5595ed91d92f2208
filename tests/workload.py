"""Mail for tests that send a lot of it: test messages queued straight into the outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from scheduler.mail import outbox
from scheduler.mail.render import Renderer
from scheduler.settings import Config
from scheduler.store.queries import transaction

OFFICER = "treem@anbinh.huyenmau.tinhmau.example"


def queue_mail(engine: Engine, config: Config, count: int, at: datetime, tag: str = "bulk") -> None:
    """Queue ``count`` distinct test mails to X01's officer, due at ``at``."""
    renderer = Renderer(config.mail.domain)
    with transaction(engine) as store:
        for n in range(count):
            outbox.enqueue(
                store,
                outbox.Composed(renderer.test(OFFICER, at, f"{tag}:{n}"), ("X01",), unit="X01"),
                domain=config.mail.domain,
                now=at,
            )
