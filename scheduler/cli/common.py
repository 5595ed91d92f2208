"""What every command shares: the common options and arguments, as Typer reads them (what the
commands work on, the settings, the database and the clock, is ``scheduler.cli.environment``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from scheduler.errors import InvalidInput

JsonOpt = Annotated[bool, typer.Option("--json", help="JSON output for machines")]
ConfigOpt = Annotated[str | None, typer.Option("--config", help="settings file (HANBAO_CONFIG)")]
DbOpt = Annotated[str | None, typer.Option("--db", help="database URL (HANBAO_DATABASE_URL)")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="act as if now were dd/mm/yyyy HH:MM")]
CaseCodeArg = Annotated[
    str, typer.Argument(help="mã vụ việc, không ghi tên / case code, never a name")
]
MAX_ID = 2**63 - 1  # the largest id SQLite and PostgreSQL (bigint) can hold


def record_id(vi: str, en: str, listing: str) -> Callable[[str], int]:
    """Parses an id as typed; what is not a number, or one no database can hold, names no
    record and is refused here (the driver would fail on it with an overflow)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if not 1 <= value <= MAX_ID:
            raise InvalidInput(
                f"không có {vi} / unknown {en} {text}: mã là số trong `{listing}` / "
                f"the id is a number from `{listing}`"
            )
        return value

    return parse


ObligationArg = Annotated[
    int,
    typer.Argument(
        help="mã nghĩa vụ (cột Mã của status) / the obligation's id",
        parser=record_id("nghĩa vụ", "obligation", "hanbao status"),
    ),
]
