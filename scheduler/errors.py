"""Our own exceptions. Each message says what is wrong and what to do about it."""

from __future__ import annotations


class HanbaoError(Exception):
    """Base of every error the user can act on; the CLI prints it without a traceback."""


class ConfigError(HanbaoError):
    """A configuration file is missing or wrong; the message names the file, the key and the fix."""


class InvalidInput(HanbaoError):
    """A value given on the command line or in a request cannot be used."""


class ImportRejected(HanbaoError):
    """A units file has errors; nothing was written. ``problems`` lists each row and reason."""

    SHOWN = 50  # a file with a problem on every row says the first ones, and how many more

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems[: self.SHOWN])
        if len(problems) > self.SHOWN:
            lines += f"\n  … và {len(problems) - self.SHOWN} lỗi nữa / and more"
        super().__init__(
            f"{source}: tệp bị từ chối, không có dữ liệu nào được ghi / file rejected, "
            f"nothing was written ({len(problems)} lỗi/errors):\n{lines}"
        )


class NotFound(HanbaoError):
    """The thing named does not exist in the database."""


class Conflict(HanbaoError):
    """The operation contradicts what is already recorded (e.g. a duplicate case code)."""


class DeliveryError(HanbaoError):
    """Sending one message failed; ``answer`` is what the mail server said, if anything."""

    def __init__(self, answer: str) -> None:
        self.answer = answer
        super().__init__(answer)


class TransientDelivery(DeliveryError):
    """Worth retrying later: the relay is down, busy, slow, or said 4xx.

    ``connection_lost`` means the session is gone, so the rest of the batch must wait too;
    ``content_sent`` that it went while the content was going or after: the relay may have the
    message, so it waits its backoff rather than going again at once on another connection.
    """

    def __init__(self, answer: str, *, connection_lost: bool, content_sent: bool = False) -> None:
        super().__init__(answer)
        self.connection_lost = connection_lost
        self.content_sent = content_sent


class PermanentDelivery(DeliveryError):
    """Not worth retrying: the server refused this recipient or this message for good (5xx)."""


class MailboxError(HanbaoError):
    """Reading the watched mailbox failed as a whole; the next poll tries again.

    ``reason`` is one word for logs and alerts: ``network``, ``tls``, ``login``, ``folder`` or
    ``server``."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


class TransientMailbox(MailboxError):
    """The server is down, slow, busy or dropped the connection: likely to pass by itself."""


class PermanentMailbox(MailboxError):
    """A setting is wrong (password, certificate, folder) or the server refuses us: an operator
    must act. Polls keep trying, and keep saying so."""


class DatabaseBusy(HanbaoError):
    """SQLite stayed locked by another writer for longer than its busy timeout: try again soon."""
