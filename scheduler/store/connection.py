"""Reaching the database, and saying plainly why it cannot be reached.

Driver errors are translated here, at the boundary, into ``ConfigError`` messages that name what
failed (connection refused, unknown host, missing folder, read-only, bad URL) and what to fix, so
the command line prints them with exit status 2 instead of a traceback or a wrong "run hanbao
init".
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection as Connection
from sqlalchemy import Engine as Engine
from sqlalchemy import make_url, text
from sqlalchemy.exc import ArgumentError
from sqlalchemy.exc import DBAPIError as DBAPIError
from sqlalchemy.exc import OperationalError as OperationalError
from sqlalchemy.exc import SQLAlchemyError as SQLAlchemyError

from scheduler.errors import ConfigError

# Re-exported above, for the callers outside the store, which import no SQLAlchemy: ``Engine``
# (what a caller holds to open a ``transaction``), ``Connection`` (one a ``transaction`` may be
# opened on too: ``folding.folded_aside``'s), and the database's errors that a caller tells
# apart: ``SQLAlchemyError``, anything the database layer raised; ``DBAPIError``, the driver's
# own error (``.orig``), e.g. the server unreachable or a statement refused; ``OperationalError``,
# one of those that is the database's state, not the statement's (gone, locked, no such table).

SCHEMES = ("sqlite", "postgresql", "postgres")


def checked_url(url: str) -> str:
    """The URL, if it is one hanbao can use: SQLite or PostgreSQL."""
    try:
        scheme = make_url(url).get_backend_name()
    except ArgumentError:
        raise ConfigError(
            f"địa chỉ cơ sở dữ liệu không hợp lệ / not a database URL: {url!r}; viết "
            "sqlite:///đường/dẫn.sqlite3 hoặc postgresql://user@host/db"
        ) from None
    if scheme not in SCHEMES:
        raise ConfigError(
            f"hanbao dùng SQLite hoặc PostgreSQL, không dùng {scheme!r} / only sqlite:// and "
            "postgresql:// URLs are supported"
        )
    return url


def sqlite_file(engine: Engine) -> Path | None:
    """The file of a SQLite database; None for another backend or a database in memory."""
    database = engine.url.database or ""
    if engine.dialect.name != "sqlite" or database in ("", ":memory:") or "mode=memory" in database:
        return None
    return Path(database.removeprefix("file:").partition("?")[0])


def shown_url(engine: Engine) -> str:
    """The database's URL as logs and messages show it: the password hidden."""
    return engine.url.render_as_string(hide_password=True)


def unreachable(error: DBAPIError, engine: Engine) -> ConfigError:
    """What went wrong reaching ``engine``'s database, in words an operator can act on."""
    where = shown_url(engine)
    said = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
    lowered = said.lower()
    if engine.dialect.name == "sqlite":
        folder = (sqlite_file(engine) or Path()).resolve().parent
        if not folder.is_dir():
            reason = f"thư mục {folder} không có / the folder does not exist"
        elif "readonly" in lowered or "read-only" in lowered:
            reason = "chỉ đọc / the database is read-only: cấp quyền ghi cho tệp và thư mục"
        else:
            reason = f"không mở được tệp / cannot open the file: {said}"
    elif "could not translate host name" in lowered or "name or service not known" in lowered:
        reason = f"không tìm thấy máy chủ / unknown host {engine.url.host!r}: kiểm tra tên máy"
    elif "connection refused" in lowered:
        reason = (
            f"máy chủ từ chối kết nối / connection refused at {engine.url.host}:"
            f"{engine.url.port or 5432}: PostgreSQL có chạy và nghe ở cổng đó không?"
        )
    elif "read-only" in lowered:
        reason = "chỉ đọc / the database is read-only: dùng máy chủ chính, có quyền ghi"
    elif "password authentication failed" in lowered:
        reason = "sai tên đăng nhập hoặc mật khẩu / authentication failed"
    elif "does not exist" in lowered:
        reason = f"cơ sở dữ liệu không có / {said}: tạo nó trước (createdb)"
    else:
        reason = said
    return ConfigError(f"không dùng được cơ sở dữ liệu {where} / database unusable: {reason}")


def check_writable(engine: Engine) -> None:
    """Refuse to start a daemon that could read but not record: write, then roll back."""
    try:
        with engine.connect() as connection:
            connection.execute(text("INSERT INTO meta (key, value) VALUES ('write-check', 'x')"))
            connection.rollback()
    except DBAPIError as error:
        raise unreachable(error, engine) from None
