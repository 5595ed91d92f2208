"""Where the files hanbao ships beside its code are: the mail and page templates and the sample
settings. Their source is the checkout's top-level ``templates/`` and ``config/``; a wheel
carries copies in ``scheduler/_shipped/`` (made when it is built, by setup.py). A checkout or an
editable install reads the source, an installed wheel its copies.

``write_config_dir`` gives an operator an editable settings folder from the shipped samples.
"""

from __future__ import annotations

import shutil
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_IN_WHEEL = _PACKAGE / "_shipped"
ROOT = _IN_WHEEL if _IN_WHEEL.is_dir() else _PACKAGE.parent
EMAIL_TEMPLATES = ROOT / "templates" / "email"
WEB_TEMPLATES = ROOT / "templates" / "web"
CONFIG = ROOT / "config"
# what an operator edits: the settings, and the two files they name
SETTINGS_FILES = ("hanbao.yaml", "rules.yaml", "calendar-overrides.yaml")
SAMPLES = ("units.sample.yaml", "reform.sample.yaml")


def write_config_dir(folder: Path) -> list[Path]:
    """Copy the shipped settings and samples into ``folder`` (made if missing). A file already
    there is an operator's and is kept; the copies written are returned."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in (*SETTINGS_FILES, *SAMPLES):
        target = folder / name
        if not target.exists():
            shutil.copyfile(CONFIG / name, target)
            written.append(target)
    return written
