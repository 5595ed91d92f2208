"""The service (``serve``, which ``hanbao demo`` ends in too), and ``hanbao run`` started without
Typer.

A daemon keeps for its whole life what its start imported; Typer and its Click were 1.7 MiB of
its resident memory (README, "Benchmarks"). So ``quick_run`` starts ``run`` itself when the
command line is plainly that: ``run`` and the options below, each once, each with a value.
Anything else (``--help``, an unknown or repeated option, a value that looks like an option, a log
level ``logging`` does not know) returns False and goes through Typer as every other command does,
which answers as it always has. ``scheduler.cli.daemon.run_command`` declares the same options
for Typer; a test checks that the two agree.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence

from scheduler.cli.environment import Env, open_env
from scheduler.errors import ConfigError

COMMAND = "run"
OPTIONS = {"--config": "config", "--db": "db", "--log-level": "log_level"}  # name: parameter
DEFAULT_LOG_LEVEL = "INFO"


def run(
    config: str | None = None, db: str | None = None, log_level: str = DEFAULT_LOG_LEVEL
) -> None:
    """What ``hanbao run`` does, however it was started."""
    from scheduler.monitoring.logs import configure as configure_logs

    env = open_env(config, db)
    configure_logs(log_level, env.config.log_format)
    serve(env)


def serve(env: Env) -> None:
    """Run the daemon on ``env`` until SIGTERM or SIGINT."""
    import asyncio

    # FastAPI (0.165) imports pydantic.v1 only to refuse v1 models in a route's annotations,
    # and keeps it: 1.3 MiB for the daemon's whole life. hanbao has no v1 model, and FastAPI
    # takes a failed import as "no v1 models" (as once pydantic drops v1). This process only:
    # a library or test that has loaded it already keeps it.
    sys.modules.setdefault("pydantic.v1", None)  # type: ignore[arg-type]
    from scheduler import daemon  # the web stack and the scheduler: only for run and demo
    from scheduler.clock import clock_from
    from scheduler.mail.render import Renderer
    from scheduler.store.connection import check_writable

    check_writable(env.engine)  # a daemon that could not record would remind for ever
    clock = clock_from(os.environ.get("HANBAO_CLOCK"))
    Renderer(env.config.mail.domain).test("x@x.invalid", env.now, "startup-check")  # templates ok
    try:
        asyncio.run(daemon.run(env.config, env.engine, clock))
    except OSError as error:
        raise ConfigError(
            f"không mở được cổng HTTP {env.config.daemon.http_host}:{env.config.daemon.http_port}"
            f" / cannot listen: {error.strerror} (đổi / change daemon.http_port, "
            "HANBAO_HTTP_PORT)"
        ) from None


def quick_run(argv: Sequence[str]) -> bool:
    """Start ``hanbao run`` when ``argv`` (without the program) is plainly that, and return True
    after it stops; False, having done nothing, for anything else (Typer's to handle)."""
    options = plain_run(argv)
    if options is None:
        return False
    try:
        run(**options)
    except KeyboardInterrupt:  # Ctrl-C before the daemon has its handlers: as Click answers it
        print("\nAborted!", file=sys.stderr)
        sys.exit(1)
    return True


def plain_run(argv: Sequence[str]) -> dict[str, str] | None:
    if not argv or argv[0] != COMMAND:
        return None
    found: dict[str, str] = {}
    rest = iter(argv[1:])
    for arg in rest:
        name, equals, value = arg.partition("=")
        if name not in OPTIONS or OPTIONS[name] in found:
            return None
        if not equals:
            following = next(rest, None)
            if following is None or following.startswith("-"):
                return None
            value = following
        found[OPTIONS[name]] = value
    if found.get("log_level", DEFAULT_LOG_LEVEL) not in logging.getLevelNamesMapping():
        return None  # Typer passes it on, and logging's error is shown as it always was
    return found
