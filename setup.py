"""The wheel carries the top-level templates/ and config/ (their source stays there) as
scheduler/_shipped/, where scheduler.shipped finds them; everything else is in pyproject.toml."""

from __future__ import annotations

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SHIPPED = ("templates", "config")


class BuildWithShipped(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads the checkout's own folders
            return
        for folder in SHIPPED:
            self.copy_tree(folder, str(Path(self.build_lib) / "scheduler" / "_shipped" / folder))


setup(cmdclass={"build_py": BuildWithShipped})
