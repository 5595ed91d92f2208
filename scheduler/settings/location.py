"""Where the settings file is, and the two things a quick command reads from it without checking
the rest: the database's URL and the working-day calendar.

``load_config`` reads both through these functions, then checks every section (pydantic, the
rules): a tenth of a second that ``hanbao calendar deadline`` and ``hanbao status`` do without.
A file these accept may still be refused by the full check (``hanbao check-config`` says why).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from scheduler import shipped, yamlfile
from scheduler.errors import ConfigError

if TYPE_CHECKING:
    from scheduler.deadlines.calendar import WorkCalendar

DEFAULT_CONFIG = shipped.CONFIG / "hanbao.yaml"
DEFAULT_DATABASE_URL = "sqlite:///hanbao.sqlite3"


def config_path(option: str | None) -> Path:
    """``--config``, else ``$HANBAO_CONFIG``, else ``./config/hanbao.yaml``, else the shipped one"""
    if option:
        return Path(option)
    if os.environ.get("HANBAO_CONFIG"):
        return Path(os.environ["HANBAO_CONFIG"])
    local = Path("config/hanbao.yaml")
    return local if local.is_file() else DEFAULT_CONFIG


def read_document(path: Path) -> dict[str, Any]:
    """The file's mapping of settings, or a message saying what is wrong with the file."""
    try:
        document: Any = yamlfile.load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: không có tệp cấu hình / settings file not found "
            "(dùng --config hoặc HANBAO_CONFIG)"
        ) from None
    except IsADirectoryError:
        raise ConfigError(
            f"{path}: là thư mục, không phải tệp cấu hình / is a folder, not a settings file: "
            f"--config (HANBAO_CONFIG) {path / 'hanbao.yaml'}"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"{path}: không đọc được tệp cấu hình / cannot read the settings file: {exc}"
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: YAML không hợp lệ / invalid YAML: {exc}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: cần một bảng khoá: giá trị / a mapping of settings")
    return document


def database_url(path: Path, in_file: str, option: str | None, env: Mapping[str, str]) -> str:
    """``--db``, else ``HANBAO_DATABASE_URL``, else the file's ``database_url`` (``in_file``)."""
    return option or env.get("HANBAO_DATABASE_URL") or _sqlite_beside(path.parent, in_file)


def work_calendar(path: Path, overrides: str | None) -> WorkCalendar:
    """The calendar, with the overrides file the settings file at ``path`` names, if any
    (the ``holidays`` package is loaded here: ``hanbao status`` has no use for it)."""
    from scheduler.deadlines.calendar import WorkCalendar, load_overrides

    return WorkCalendar(*load_overrides(path.parent / overrides)) if overrides else WorkCalendar()


def quick_database_url(path: Path, option: str | None) -> str | None:
    """The database's URL as ``load_config`` finds it; None when the file's ``database_url``
    is not a URL's text (only the full check can say what is wrong)."""
    found = read_document(path).get("database_url")
    in_file = DEFAULT_DATABASE_URL if found is None else found
    if not isinstance(in_file, str) or not in_file:
        return None
    return database_url(path, in_file, option, os.environ)


def quick_calendar(path: Path) -> WorkCalendar | None:
    """The calendar as ``load_config`` builds it; None when ``calendar_overrides`` is not text."""
    overrides = read_document(path).get("calendar_overrides")
    if overrides is not None and not isinstance(overrides, str):
        return None
    return work_calendar(path, overrides)


def _sqlite_beside(folder: Path, url: str) -> str:
    """A relative SQLite file named in the settings file lies beside that file, like every other
    path in it; ``--db`` and ``HANBAO_DATABASE_URL`` stay relative to the current directory."""
    scheme, _, file = url.partition(":///")
    if not scheme.startswith("sqlite") or not file or file.startswith(("/", ":memory:", "file:")):
        return url
    return f"{scheme}:///{os.path.normpath(folder.resolve() / file)}"
