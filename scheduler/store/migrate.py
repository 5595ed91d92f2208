"""Schema migrations with Alembic: where a database stands, and bringing it to the current schema.

The revisions live in ``scheduler/store/migrations/versions``; the first one is the schema that
hanbao 0.1 created with ``hanbao init`` (``meta.schema_version = 1``, no Alembic table). Such a
database is recognised, stamped with that first revision and upgraded in place. Nothing here runs
by itself: ``hanbao run`` refuses a database that is behind, the operator runs ``hanbao db
upgrade`` (after a backup, as README says).

Alembic is imported only where it is used: every command checks the schema, and the check of a
database that is up to date (the usual case) reads its one version row and compares it with the
head read from the revision files, without loading Alembic (a third of a quick command's time).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DBAPIError

from scheduler.errors import ConfigError
from scheduler.store.connection import sqlite_file, unreachable
from scheduler.store.revisions import MIGRATIONS, quick_head

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

BASELINE = "0001"  # the schema of hanbao 0.1, which stored meta.schema_version = 1
_HANBAO_TABLES = {"meta", "unit", "obligation"}


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands: its revision (None: no Alembic table yet) and the code's head."""

    revision: str | None
    head: str
    legacy: bool = False  # made by hanbao 0.1: tables and schema_version 1, no Alembic table
    empty: bool = False  # no hanbao table at all

    @property
    def up_to_date(self) -> bool:
        return self.revision == self.head

    def as_json(self) -> dict[str, object]:
        return {"revision": self.revision, "head": self.head, "up_to_date": self.up_to_date}


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config())


def head() -> str:
    found = _scripts().get_current_head()
    assert found is not None, "no revision in scheduler/store/migrations/versions"
    return found


def _quickly_up_to_date(engine: Engine) -> bool:
    """True when the one version row is the head; False whenever anything else holds (no such
    table, another revision, an error), and the full check says what."""
    wanted = quick_head()
    if wanted is None:
        return False
    try:
        with engine.connect() as connection:
            found = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except DBAPIError:
        return False
    return [tuple(row) for row in found] == [(wanted,)]


def _state(connection: Connection) -> SchemaState:
    from alembic.runtime.migration import MigrationContext

    revision = MigrationContext.configure(connection).get_current_revision()
    tables = set(inspect(connection).get_table_names())
    legacy = False
    if revision is None and "meta" in tables:
        version = connection.execute(
            text("SELECT value FROM meta WHERE key = 'schema_version'")
        ).scalar_one_or_none()
        legacy = version == "1"
    return SchemaState(revision, head(), legacy, empty=not tables & _HANBAO_TABLES)


def state(engine: Engine) -> SchemaState:
    try:
        with engine.connect() as connection:
            return _state(connection)
    except DBAPIError as error:  # every command's first contact: say why, not a traceback
        raise unreachable(error, engine) from None


def _where(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def upgrade(engine: Engine) -> tuple[SchemaState, SchemaState]:
    """Bring the database to the head revision, in one transaction; (before, after)."""
    state(engine)  # reachable, or a clear error
    with engine.begin() as connection:
        before = _state(connection)
        if before.revision is None and not before.empty and not before.legacy:
            raise ConfigError(
                f"{_where(engine)}: có bảng nhưng không phải cơ sở dữ liệu hanbao đã biết / holds "
                "tables but is not a hanbao database this version knows: dùng một cơ sở dữ liệu "
                "trống"
            )
        if before.revision is not None and before.revision not in _known():
            raise _newer(engine, before.revision)
        from alembic import command

        config = _config(connection)
        if before.legacy:
            command.stamp(config, BASELINE)
        command.upgrade(config, "head")
        after = _state(connection)
    return before, after


def _known() -> set[str]:
    return {script.revision for script in _scripts().walk_revisions()}


def _newer(engine: Engine, revision: str) -> ConfigError:
    return ConfigError(
        f"{_where(engine)}: lược đồ {revision} do phiên bản hanbao mới hơn tạo ra / the schema "
        "was made by a newer hanbao: cài phiên bản đó, hoặc khôi phục bản sao lưu"
    )


def create(engine: Engine) -> SchemaState:
    """``hanbao init``: the current schema on an empty database; a current one is left alone.

    A database that is behind is not upgraded here: that is ``hanbao db upgrade``, on purpose.
    """
    found = state(engine)
    if found.empty:
        return upgrade(engine)[1]
    check(engine, found)
    return found


def check(engine: Engine, found: SchemaState | None = None) -> None:
    """Refuse to work on a database that is not at the code's schema, saying what to run."""
    file = sqlite_file(engine)
    if found is None and file is not None and file.resolve().parent.is_dir() and not file.exists():
        found = SchemaState(None, head(), empty=True)  # connecting would leave an empty file
    if found is None and _quickly_up_to_date(engine):
        return
    found = found or state(engine)
    if found.up_to_date:
        return
    if found.empty:
        raise ConfigError(
            f"cơ sở dữ liệu {_where(engine)} chưa được khởi tạo / database not initialised: "
            "chạy `hanbao init`"
        )
    if found.legacy or found.revision in _known():
        raise ConfigError(
            f"cơ sở dữ liệu {_where(engine)} ở lược đồ {found.revision or 'phiên bản 1'}, mã cần "
            f"{found.head} / the database schema is behind: sao lưu rồi chạy `hanbao db upgrade`"
        )
    if found.revision is None:
        raise ConfigError(
            f"{_where(engine)}: không phải cơ sở dữ liệu hanbao / not a hanbao database"
        )
    raise _newer(engine, found.revision)
