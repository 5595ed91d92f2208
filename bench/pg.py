"""A PostgreSQL for a benchmark: ``HANBAO_BENCH_DATABASE_URL`` when given, else one started
from the ``pgserver`` package in a temporary folder, with an empty ``hanbao_bench`` database."""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scheduler.store.schema import normalise_url, with_database


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
