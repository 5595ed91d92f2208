"""The database: create it, and where its schema stands against the code's."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from scheduler.cli.common import ConfigOpt, DbOpt, JsonOpt
from scheduler.cli.environment import open_env
from scheduler.cli.output import print_json
from scheduler.errors import ConfigError

if TYPE_CHECKING:
    from scheduler.store.connection import Engine

db_app = typer.Typer(no_args_is_help=True, help="Lược đồ cơ sở dữ liệu / the database schema")


def init(
    json_out: JsonOpt = False,
    config: ConfigOpt = None,
    db: DbOpt = None,
    config_dir: Annotated[
        Path | None,
        typer.Option(
            "--config-dir",
            help="chỉ chép cấu hình mẫu vào thư mục này để sửa / only write an editable "
            "settings folder from the shipped samples (files already there are kept)",
        ),
    ] = None,
) -> None:
    """Tạo cơ sở dữ liệu / create the database schema (safe to run again)."""
    from scheduler.store import migrate
    from scheduler.store.connection import shown_url

    if config_dir is not None:
        _write_config_dir(config_dir, json_out)
        return
    env = open_env(config, db, need_schema=False)
    migrate.create(env.engine)
    url = shown_url(env.engine)
    print_json({"database": url, "ready": True}) if json_out else print(f"Đã khởi tạo {url}")


def _write_config_dir(folder: Path, json_out: bool) -> None:
    from scheduler import shipped

    written = shipped.write_config_dir(folder)
    settings = (folder / "hanbao.yaml").resolve()
    if json_out:
        print_json(
            {
                "config_dir": str(folder.resolve()),
                "written": [p.name for p in written],
                "kept": sorted(
                    name
                    for name in (*shipped.SETTINGS_FILES, *shipped.SAMPLES)
                    if folder / name not in written
                ),
                "settings": str(settings),
            }
        )
        return
    for path in written:
        print(f"Đã ghi / written: {path}")
    print(f"Sửa rồi dùng / edit, then use: HANBAO_CONFIG={settings} hanbao init")


def missing(engine: Engine) -> None:
    """A SQLite file that is not there is said so: opening it would leave an empty one behind,
    and a typo in the path would look like a database never initialised."""
    from scheduler.store.connection import sqlite_file

    file = sqlite_file(engine)
    if file is not None and not file.exists():
        raise ConfigError(
            f"không có cơ sở dữ liệu / no database at {file}: kiểm tra đường dẫn (--db, "
            "HANBAO_DATABASE_URL, database_url), hoặc tạo mới bằng `hanbao init` / check the "
            "path, or create one with `hanbao init`"
        )


@db_app.command("current")
def db_current(json_out: JsonOpt = False, config: ConfigOpt = None, db: DbOpt = None) -> None:
    """Lược đồ của cơ sở dữ liệu so với mã / the database's schema revision and the code's."""
    from scheduler.store import migrate

    env = open_env(config, db, need_schema=False)
    missing(env.engine)
    found = migrate.state(env.engine)
    if json_out:
        print_json(found.as_json())
        return
    where = found.revision or ("phiên bản 1 (chưa có Alembic)" if found.legacy else "trống")
    verdict = "mới nhất / up to date" if found.up_to_date else "cần `hanbao db upgrade`"
    print(f"Lược đồ: {where}; mã: {found.head} - {verdict}")


@db_app.command("upgrade")
def db_upgrade(json_out: JsonOpt = False, config: ConfigOpt = None, db: DbOpt = None) -> None:
    """Nâng lược đồ lên bản mới nhất, giữ nguyên dữ liệu (sao lưu trước) / upgrade in place."""
    from scheduler.store import migrate

    env = open_env(config, db, need_schema=False)
    before, after = migrate.upgrade(env.engine)
    if json_out:
        print_json({"from": before.revision, **after.as_json()})
        return
    if before.revision == after.revision:
        print(f"Lược đồ đã mới nhất / already up to date: {after.revision}")
    else:
        print(f"Đã nâng lược đồ / upgraded: {before.revision or 'phiên bản 1'} -> {after.revision}")
