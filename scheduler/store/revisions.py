"""The schema's head revision as the revision files name it, read without Alembic or SQLAlchemy:
the check of a database that is up to date (every command's first step) compares its one
version row with this, and a quick command reads SQLite without loading either."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_REVISION = re.compile(r'^revision(?:: str)? = "([^"]+)"$', re.MULTILINE)
_DOWN = re.compile(r'^down_revision(?:: [^=]+)? = (?:"([^"]+)"|None)$', re.MULTILINE)


@cache
def quick_head() -> str | None:
    """The head as the revision files name it, read without Alembic; None when the files are
    not one plain chain (then only Alembic's answer counts)."""
    revisions: set[str] = set()
    downs: set[str] = set()
    for file in (MIGRATIONS / "versions").glob("*.py"):
        source = file.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN.search(source)
        if revision is None or down is None:
            return None
        revisions.add(revision.group(1))
        if down.group(1) is not None:
            downs.add(down.group(1))
    heads = revisions - downs
    return heads.pop() if len(heads) == 1 else None
