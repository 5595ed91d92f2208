"""The IMAP watch: report mail that reached the district's mailbox, read once, headers only.

Each poll opens the configured folder read-only (EXAMINE) and fetches, for each new message,
its header block (``BODY.PEEK[HEADER]``, which sets no flag) and its INTERNALDATE, the moment the
district's server received it. It never fetches a body, never sets a flag (``\\Seen``
included), never copies, moves or deletes: the mailbox is the district's and stays as it was.

Nothing is read twice: the store keeps, per folder, the folder's UIDVALIDITY and the last UID
read (``intake_cursor``), and a poll asks only for the UIDs above it. On the first poll, or when
the server's UIDVALIDITY changed (the folder was rebuilt, so its UIDs mean other messages now),
the poll reads what arrived in the last ``lookback_days`` instead: a mail seen before is a no-op
for ``take``, so reading it again records nothing twice.

Messages are fetched ``BATCH`` at a time and each is taken in a transaction of its own; the
cursor moves after each batch. A mail that fails is logged with its UID and left behind, so it
cannot hold back the others. A database that cannot be reached stops the poll instead: the next
poll starts again at the cursor.

The library is IMAPClient (BSD licence, long-lived and still released). It does not reimplement
the protocol: it wraps the standard library's imaplib and adds what imaplib leaves to the
caller. It parses FETCH responses, INTERNALDATE included, into Python values; it does STARTTLS
with an SSL context of ours, so the certificate and the host name are verified, against a private
CA when ``ca_file`` names one; its ``select_folder(readonly=True)`` is EXAMINE. Its errors and
the network's are translated here, and only here, into ``TransientMailbox`` or
``PermanentMailbox``.
"""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from scheduler.errors import MailboxError, PermanentMailbox, TransientMailbox
from scheduler.intake.record import Taken, take
from scheduler.intake.settings import IntakeImap
from scheduler.mail.tls import client_context
from scheduler.settings import Config
from scheduler.store.connection import Engine, OperationalError
from scheduler.store.queries import transaction

log = logging.getLogger(__name__)
BATCH = 200  # messages per FETCH, and per move of the cursor
HEADER_BYTES = 256 * 1024  # of a header block, at most: one mail cannot fill the memory
TIMEOUT = 60.0  # seconds to connect, and to wait for each answer
_FETCH = [f"BODY.PEEK[HEADER]<0.{HEADER_BYTES}>".encode(), b"INTERNALDATE"]
_HEADER = b"BODY[HEADER]<0>"  # how the server names the header block in its answer


@dataclass(frozen=True)
class Polled:
    read: int  # mails taken (recorded, or found to be replays)
    failed: int  # mails that raised: logged by UID and left behind


def mailbox_key(settings: IntakeImap) -> str:
    """The cursor's key: the folder, never the account's name."""
    return f"imap:{settings.folder}"


def poll(
    engine: Engine,
    config: Config,
    now: datetime,
    batch: int = BATCH,
    stopping: Callable[[], bool] = lambda: False,
    on_taken: Callable[[Taken], None] = lambda taken: None,
) -> Polled:
    """Take every mail that is new in the watched folder; ``MailboxError`` when the server
    cannot be read (the cursor keeps what was taken before the failure). ``stopping`` is asked
    between batches: the daemon is shutting down, and the rest waits for the next start.
    ``on_taken`` hears what came of each mail (the daemon counts it)."""
    settings = config.intake.imap
    key = mailbox_key(settings)
    with transaction(engine) as store:
        cursor = store.cursor(key)
    read = failed = 0
    with _session(settings) as client:
        with _translated("folder", PermanentMailbox):
            selected = client.select_folder(settings.folder, readonly=True)
        uidvalidity, uidnext = int(selected[b"UIDVALIDITY"]), int(selected[b"UIDNEXT"])
        last, uids = _unread(client, settings, cursor, uidvalidity, now)
        stored = cursor
        for chunk in _chunks(uids, batch):
            if stopping():
                return Polled(read, failed)
            with _translated("server", TransientMailbox):
                fetched = client.fetch(chunk, _FETCH)
            for uid in chunk:
                if uid not in fetched:
                    continue  # expunged since the search
                taken = _take(engine, config, uid, fetched[uid], now)
                if taken is None:
                    failed += 1
                else:
                    read += 1
                    on_taken(taken)
            stored = _move(engine, key, (uidvalidity, chunk[-1]), now)
        # above every UID seen; on a first read also above the older mail the search left out
        end = (uidvalidity, max(last, uidnext - 1, *uids))
        if stored != end:
            _move(engine, key, end, now)
    if read or failed:
        log.info(
            "action=intake_imap_polled folder=%s read=%s failed=%s last_uid=%s",
            settings.folder,
            read,
            failed,
            end[1],
        )
    return Polled(read, failed)


def _unread(
    client: Any,
    settings: IntakeImap,
    cursor: tuple[int, int] | None,
    uidvalidity: int,
    now: datetime,
) -> tuple[int, list[int]]:
    """(the last UID read, the UIDs to read, ascending): those above the cursor, or, when the
    folder is new to hanbao or was rebuilt, those that arrived in the last ``lookback_days``."""
    with _translated("server", TransientMailbox):
        if cursor is not None and cursor[0] == uidvalidity:
            last = cursor[1]  # "n:*" names the highest UID even when it is below n
            return last, sorted(u for u in client.search(["UID", f"{last + 1}:*"]) if u > last)
        since = (now - timedelta(days=settings.lookback_days)).date()
        log.info(
            "action=intake_imap_reread folder=%s uidvalidity=%s since=%s",
            settings.folder,
            uidvalidity,
            since.isoformat(),
        )
        return 0, sorted(client.search(["SINCE", since]))


def _chunks(uids: Sequence[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(uids), size):
        yield list(uids[start : start + size])


def _take(
    engine: Engine, config: Config, uid: int, item: dict[bytes, Any], now: datetime
) -> Taken | None:
    """Take one fetched mail in a transaction of its own; None when it failed."""
    received = item.get(b"INTERNALDATE")
    try:
        with transaction(engine) as store:
            return take(
                store,
                config,
                bytes(item[_HEADER]),
                "imap",
                now,
                received if isinstance(received, datetime) else None,
            )
    except OperationalError:
        raise  # the database, not this mail: the poll stops, the cursor stays before the batch
    except Exception as error:  # this mail only: the type, never the text (it may quote data)
        log.error(
            "action=intake_imap_mail_failed folder=%s uid=%s error=%s",
            config.intake.imap.folder,
            uid,
            type(error).__name__,
        )
        return None


def _move(engine: Engine, key: str, cursor: tuple[int, int], now: datetime) -> tuple[int, int]:
    with transaction(engine) as store:
        store.move_cursor(key, cursor[0], cursor[1], now)
    return cursor


@contextmanager
def _session(settings: IntakeImap) -> Iterator[Any]:
    """A logged-in connection over TLS (implicit, or STARTTLS before the login)."""
    context = client_context(settings.ca_file)
    with _translated("network", TransientMailbox):
        client = IMAPClient(
            settings.host,
            settings.effective_port,
            ssl=settings.security == "tls",
            ssl_context=context,
            timeout=TIMEOUT,
        )
    try:
        if settings.security == "starttls":
            with _translated("tls", PermanentMailbox):
                client.starttls(context)
        with _translated("login", PermanentMailbox):
            client.login(settings.username or "", settings.password or "")
        client.normalise_times = False  # INTERNALDATE with the server's offset, not naive
        yield client
    except BaseException:
        with suppress(OSError):
            client.shutdown()
        raise
    with suppress(IMAPClientError, OSError):
        client.logout()


@contextmanager
def _translated(step: str, refused: type[MailboxError]) -> Iterator[None]:
    """The library's and the network's errors as ours. ``step`` is the reason given when the
    server refuses (IMAP NO or BAD), and ``refused`` says whether that will pass by itself."""
    try:
        yield
    except LoginError:  # the server's words are not repeated: some name the account
        raise PermanentMailbox(
            "login",
            "máy chủ thư từ chối tên đăng nhập hoặc mật khẩu / the server refused the login",
        ) from None
    except ssl.SSLCertVerificationError as error:
        raise PermanentMailbox(
            "tls",
            "chứng thư của máy chủ thư không được tin cậy / the server's certificate is not "
            f"trusted: {error.verify_message} (ca_file: CA riêng / a private CA)",
        ) from None
    except (ssl.SSLEOFError, ssl.SSLZeroReturnError, IMAPClientAbortError) as error:
        raise TransientMailbox("network", f"mất kết nối / connection lost: {error}") from None
    except ssl.SSLError as error:
        raise PermanentMailbox(
            "tls", f"không bắt tay TLS được / TLS failed: {error.reason or error}"
        ) from None
    except IMAPClientError as error:
        raise refused(step, f"máy chủ thư trả lời / the server answered: {error}") from None
    except TimeoutError:
        raise TransientMailbox("network", "máy chủ thư không trả lời / timed out") from None
    except OSError as error:
        raise TransientMailbox(
            "network", f"không kết nối được / cannot connect: {error.strerror or error}"
        ) from None
