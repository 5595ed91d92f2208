"""Which daemon runs the once-only jobs (the digest, periodic generation, housekeeping).

PostgreSQL: the daemon that holds a session-level advisory lock, taken on a connection of its
own (outside the pool) and kept for the life of the process. When that process dies, its session
ends and the lock is free; the next daemon to ask (each asks when a once-only job comes due, so
within one job interval) takes it. Keepalives make the server end the session of a holder whose
machine vanished. Two leaders for a moment would still queue each mail once: the jobs are
idempotent by key; the lock keeps them from doing the same work twice.

SQLite has one writer: the daemon takes an exclusive lock on a file beside the database
(``<file>.daemon.lock``, ``flock``) and keeps it while it lives. The kernel drops it when the
process ends, by SIGKILL too, so a stale file never blocks a restart. A second daemon on the
same file is refused at start.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from scheduler.errors import ConfigError

log = logging.getLogger(__name__)
LOCK_KEY = 0x68616E62616F  # "hanbao": one lock per database (advisory locks are per database)
# probe an idle lock connection after 10 s, every 5 s, 3 times: a holder whose machine vanished
# loses the lock (the server ends its session), and learns it (its next check fails), in ~25 s
KEEPALIVE = {"idle": 10, "interval": 5, "count": 3}


class Leadership(Protocol):
    def hold(self) -> bool:
        """True when this process leads now, taking the lead if nobody holds it."""
        ...

    def release(self) -> None:
        """Give the lead up (at shutdown), so a standby takes it at once."""
        ...


class AdvisoryLock:
    """PostgreSQL: ``pg_try_advisory_lock`` on a dedicated connection, checked on every ask."""

    def __init__(self, engine: Engine) -> None:
        self.engine = create_engine(
            engine.url,
            poolclass=NullPool,  # closing the connection ends the session, never pools it
            connect_args={"keepalives": 1, **{f"keepalives_{k}": v for k, v in KEEPALIVE.items()}},
        )
        self.connection: Connection | None = None
        self.guard = threading.Lock()  # two once-only jobs may ask at once, from two threads

    def hold(self) -> bool:
        with self.guard:
            try:
                if self.connection is not None:
                    self.connection.execute(text("SELECT 1"))  # the session, and its lock, live
                    return True
                self.connection = self._take()
            except DBAPIError as error:
                log.warning("action=leader_check_failed error=%s", str(error.orig or error)[:200])
                self._drop()
            return self.connection is not None

    def _take(self) -> Connection | None:
        connection = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            for setting, value in KEEPALIVE.items():  # the server's side of the same probes
                connection.execute(text(f"SET tcp_keepalives_{setting} = {value}"))
            taken = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}
            ).scalar_one()
        except BaseException:
            connection.close()
            raise
        if taken:
            return connection
        connection.close()
        return None

    def _drop(self) -> None:
        if self.connection is not None:
            self.connection.invalidate()  # closes the session: the server frees the lock
            self.connection.close()
            self.connection = None

    def release(self) -> None:
        with self.guard:
            self._drop()
        self.engine.dispose()


class FileLock:
    """SQLite: the only daemon on this file, for as long as it lives."""

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".daemon.lock")
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise _unlockable(self.path, error) from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self.fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(self.fd)
            raise ConfigError(
                f"cơ sở dữ liệu SQLite {database} đang được một `hanbao run` khác dùng (tiến "
                f"trình {holder}) / another `hanbao run` (process {holder}) already uses this "
                "SQLite database: SQLite chỉ có một tiến trình ghi, mỗi tệp chạy một daemon / "
                "SQLite has one writer, run one daemon per file; dừng tiến trình kia, hoặc dùng "
                "PostgreSQL để chạy nhiều bản / stop the other one, or use PostgreSQL for "
                "replicas (README: Replicas)"
            ) from None
        except OSError as error:
            os.close(self.fd)
            raise _unlockable(self.path, error) from None
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, f"{os.getpid()}\n".encode(), 0)

    def hold(self) -> bool:
        return True

    def release(self) -> None:
        os.close(self.fd)  # closing the descriptor drops the lock; the file stays, harmless


class Alone:
    """An in-memory SQLite database: nobody else can reach it."""

    def hold(self) -> bool:
        return True

    def release(self) -> None:
        return None


def _unlockable(path: Path, error: OSError) -> ConfigError:
    return ConfigError(
        f"không khoá được tệp {path} / cannot lock the daemon's lock file beside the database: "
        f"{error.strerror} (cần thư mục ghi được, trên đĩa của máy này / it needs a writable "
        "folder on a local disk)"
    )


def leadership(engine: Engine) -> Leadership:
    """The lead for a daemon on ``engine``'s database; raises ``ConfigError`` when SQLite's
    file is already served by another daemon."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine)
    database = (engine.url.database or "").removeprefix("file:").partition("?")[0]
    if not database or database == ":memory:":
        return Alone()
    return FileLock(Path(database).resolve())
