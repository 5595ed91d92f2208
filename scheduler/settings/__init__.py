"""The settings: the file ``config/hanbao.yaml`` with the environment over it, checked once
into a typed :class:`Config` (``config``), section by section (``sections``, and the ``smtp``,
``mail`` and ``intake`` sections in their rooms).

The names below are loaded from their modules when first asked for, not when this package is:
``scheduler.settings.location`` (where the file is, the database's URL, the calendar) serves the
quick commands without the checks, which cost a tenth of a second to import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from scheduler.settings.config import SECTIONS, Config, load_config
    from scheduler.settings.location import DEFAULT_CONFIG, config_path
    from scheduler.settings.sections import DaemonSettings, MetricsSettings, WebSettings

_HOMES = {
    "DEFAULT_CONFIG": "location",
    "SECTIONS": "config",
    "Config": "config",
    "DaemonSettings": "sections",
    "MetricsSettings": "sections",
    "WebSettings": "sections",
    "config_path": "location",
    "load_config": "config",
}
__all__ = [
    "DEFAULT_CONFIG",
    "SECTIONS",
    "Config",
    "DaemonSettings",
    "MetricsSettings",
    "WebSettings",
    "config_path",
    "load_config",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"scheduler.settings.{_HOMES[name]}"), name)
