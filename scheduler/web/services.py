"""What every handler of the HTTP application shares, kept on ``app.state.services``: the
database, the settings, the clock, the guard on failed logins, and the daemon's wake-up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request

from scheduler.clock import Clock
from scheduler.settings import Config
from scheduler.store.connection import Engine
from scheduler.web.login_guard import LoginGuard


@dataclass
class Services:
    engine: Engine
    config: Config
    clock: Clock
    logins: LoginGuard
    changed: Callable[[], None]  # new work recorded: the daemon wakes its sweep


def services(request: Request) -> Services:
    """The application's services, for a handler that has only its request."""
    found: Services = request.app.state.services
    return found
