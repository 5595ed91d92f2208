"""A PostgreSQL for a benchmark: ``HANBAO_BENCH_DATABASE_URL`` when given, else one started
from the ``pgserver`` package in a temporary folder, with an empty ``hanbao_bench`` database;
and ``on_each_backend``, a national-scale benchmark's command line."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stdout
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from typing import Any

from scheduler.settings import Config, load_config
from scheduler.store.schema import normalise_url, with_database

Measure = Callable[[str, str, Config, int], dict[str, Any]]


@contextmanager
def postgres() -> Iterator[str]:
    given = os.environ.get("HANBAO_BENCH_DATABASE_URL")
    if given:
        yield given
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
    with tempfile.TemporaryDirectory() as folder:
        server = pgserver.get_server(folder, cleanup_mode="stop")
        admin = create_engine(normalise_url(server.get_uri()), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("DROP DATABASE IF EXISTS hanbao_bench"))
            connection.execute(text("CREATE DATABASE hanbao_bench"))
        admin.dispose()
        try:
            yield with_database(server.get_uri(), "hanbao_bench")
        finally:
            server.cleanup()


def on_each_backend(description: str, measure: Measure) -> None:
    """``--only sqlite|postgresql`` and ``--communes N`` (default 10,600): run ``measure`` on a
    fresh SQLite file and on PostgreSQL, then print every result as JSON."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--communes", type=int, default=10_600)
    parser.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per line and backend on stdout (backend: sqlite|postgresql); "
        "the progress goes to stderr",
    )
    args = parser.parse_args()
    config = load_config(
        Path(__file__).resolve().parent.parent / "config" / "hanbao.yaml", "sqlite://"
    )
    results = []

    def run(name: str, url: str) -> None:
        if not args.json:
            results.append(measure(name, url, config, args.communes))
            return
        with redirect_stdout(sys.stderr):
            result = measure(name, url, config, args.communes)
        print(json.dumps({**result, "backend": name.lower()}, ensure_ascii=False), flush=True)

    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as folder:
            run("SQLite", f"sqlite:///{folder}/bench.sqlite3")
    if args.only in (None, "postgresql"):
        with postgres() as url:
            run("PostgreSQL", url)
    if not args.json:
        print("\n" + json.dumps(results, ensure_ascii=False, indent=2))
