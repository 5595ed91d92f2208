"""The settings: the file ``config/hanbao.yaml`` with the environment over it, checked once
into a typed :class:`Config` (``config``), section by section (``sections``, and the ``smtp``,
``mail`` and ``intake`` sections in their rooms)."""

from scheduler.settings.config import DEFAULT_CONFIG, SECTIONS, Config, config_path, load_config
from scheduler.settings.sections import DaemonSettings, MetricsSettings, WebSettings

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
