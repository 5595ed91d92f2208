"""The ``hanbao`` command line. Every command takes ``--json``, ``--config`` and ``--db``.

One module per area (``units``, ``cases``, ``obligations``, ``mail``, ``web``, ``daemon``,
``calendar``, ``db``, ``reports``), the common options in ``common``, all gathered into Typer's
``app`` in ``commands``. The modules import only light things at the top; each command imports
what it needs when it runs, so a quick command does not pay for the daemon, the web stack or the
database it does not use; and ``hanbao run`` starts without Typer at all (``service``), so that
the long-running daemon does not keep the parser for its whole life.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from scheduler.cli.service import quick_run
from scheduler.errors import HanbaoError

if TYPE_CHECKING:
    from scheduler.cli.commands import app

__all__ = ["app", "main"]


def main() -> None:
    try:
        if not quick_run(sys.argv[1:]):
            from scheduler.cli.commands import app

            app()
    except HanbaoError as exc:
        print(f"lỗi / error: {exc}", file=sys.stderr)
        sys.exit(2)


def __getattr__(name: str) -> Any:
    """``app``, loaded when first asked for (the tests drive it), not by ``main``'s import."""
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from scheduler.cli.commands import app

    return app
