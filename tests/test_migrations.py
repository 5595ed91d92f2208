"""Schema migrations: a database made by hanbao 0.1 is upgraded in place, its data intact.

``tests/data/v1-*.sql`` are dumps of a version-1 database (``meta.schema_version`` 1, no Alembic
table) made by the code of commit e589fe3, the last one before migrations; the header of each
says how. They hold units, contacts, cases, obligations, reminders, sent and pending mail, a used
acknowledgement link, tokens (one revoked) and the audit trail.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, inspect, select, text
from sqlmodel import SQLModel

from scheduler.errors import ConfigError
from scheduler.lifecycle.sweep import sweep
from scheduler.mail import outbox
from scheduler.mail.render import PRIORITY
from scheduler.settings import Config
from scheduler.store import migrate, revisions
from scheduler.store.queries import transaction
from scheduler.store.schema import make_engine
from scheduler.web.access import principal
from tests.conftest import postgres_database, vn
from tests.test_cli import hanbao, hanbao_json

DATA = Path(__file__).resolve().parent / "data"
V1_TABLES = (
    "meta",
    "unit",
    "contact",
    "case_file",
    "obligation",
    "reminder",
    "message",
    "message_item",
    "api_token",
    "ack_link",
    "audit",
)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database (no table at all), on each backend in turn."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    with postgres_database(request.getfixturevalue("postgres_admin_url")) as url:
        yield url


@pytest.fixture
def empty(empty_url: str) -> Iterator[Engine]:
    engine = make_engine(empty_url)
    yield engine
    engine.dispose()


def load_v1(engine: Engine) -> None:
    """Restore the version-1 dump of this backend, as an operator's database would be."""
    dump = (DATA / f"v1-{engine.dialect.name}.sql").read_text(encoding="utf-8")
    if engine.dialect.name == "sqlite":  # tables in name order: restore without foreign keys
        with closing(sqlite3.connect(str(engine.url.database))) as connection:
            connection.executescript(dump)
        return
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(dump)
        cursor.close()
        raw.commit()
    finally:
        raw.close()
    engine.dispose()  # the dump emptied the session's search_path; start clean


Snapshot = dict[str, tuple[tuple[str, ...], list[tuple[Any, ...]]]]


def snapshot(engine: Engine, like: Snapshot | None = None) -> Snapshot:
    """Every row of the version-1 tables in key order; with ``like``, only the columns it has."""
    meta = MetaData()
    meta.reflect(engine, only=V1_TABLES)
    found: Snapshot = {}
    with engine.connect() as connection:
        for name in V1_TABLES:
            table = meta.tables[name]
            names = like[name][0] if like else tuple(c.name for c in table.columns)
            query = select(*(table.c[n] for n in names)).order_by(*table.primary_key.columns)
            found[name] = (names, [tuple(r) for r in connection.execute(query)])
    return found


# SQLAlchemy does not reflect expression indexes (lower(address)): the next test checks them
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based")
def test_the_revisions_make_exactly_the_tables_the_code_declares(empty: Engine) -> None:
    migrate.create(empty)
    with empty.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == []
    assert migrate.state(empty).up_to_date


def test_the_expression_indexes_exist_and_serve_the_intake(empty: Engine) -> None:
    migrate.create(empty)
    sqlite = empty.dialect.name == "sqlite"
    listing = (
        "SELECT name FROM sqlite_master WHERE type = 'index'"
        if sqlite
        else "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"
    )
    with empty.connect() as connection:
        names = set(connection.execute(text(listing)).scalars())
        assert {
            "ix_contact_address_lower",
            "ix_unit_email_lower",
            "ix_case_file_code_upper",
        } <= names
        if sqlite:  # the planner uses it for the intake's lookup of a sender
            plan = connection.execute(
                text("EXPLAIN QUERY PLAN SELECT unit FROM contact WHERE lower(address) = 'a'")
            ).all()
            assert "ix_contact_address_lower" in str(plan)


def test_a_version_1_database_is_upgraded_in_place_with_its_data(
    empty: Engine, config: Config
) -> None:
    load_v1(empty)
    before = snapshot(empty)
    assert sum(len(rows) for _, rows in before.values()) > 150  # the dump really holds data
    assert all(rows for _, rows in before.values())
    found = migrate.state(empty)
    assert (found.revision, found.legacy, found.up_to_date) == (None, True, False)
    with pytest.raises(ConfigError, match="hanbao db upgrade"):
        migrate.check(empty)

    old, new = migrate.upgrade(empty)

    assert (old.revision, new.revision) == (None, migrate.head())
    # the baseline, the units' life, report intake, the outbox's claim index, its writes
    assert migrate.head() == "0005_outbox_writes"
    migrate.check(empty)
    assert "ix_message_state" not in {i["name"] for i in inspect(empty).get_indexes("message")}
    if empty.dialect.name == "postgresql":  # a mail stays in its row, uncompressed
        with empty.connect() as connection:
            options = connection.execute(
                text("SELECT reloptions FROM pg_class WHERE relname = 'message'")
            ).scalar_one()
        assert options == ["toast_tuple_target=8160"]
    # the same rows, but for a digest still waiting: 0004 moves it behind the reminders
    names, rows = before["message"]
    priority, template, state = (names.index(n) for n in ("priority", "template", "state"))
    waiting = [r for r in rows if r[template] == "digest" and r[state] in ("pending", "sending")]
    assert waiting and {r[priority] for r in waiting} == {2}
    moved = [(*r[:priority], 4, *r[priority + 1 :]) if r in waiting else r for r in rows]
    assert snapshot(empty, like=before) == {**before, "message": (names, moved)}
    with transaction(empty) as store:
        # the same facts, read through today's code
        urgent = store.obligation_by_key("case:VV-2027-001:urgent_report")
        assert urgent is not None
        assert (urgent.unit, urgent.due_at, urgent.submitted_at) == (
            "X03",
            vn("11/02/2027 23:59").replace(second=59),
            vn("11/02/2027 09:00"),
        )
        late = store.obligation_by_key("case:VV-2027-002:urgent_report")
        assert late is not None and late.state(vn("18/02/2027 09:00")) == "overdue"
        history = store.history(late.id)
        assert {s["step"] for s in history["steps"]} >= {"new_case", "due_today", "late_flag"}
        assert {m["state"] for m in store.history(urgent.id)["mails"]} == {"sent"}
        assert store.link_used("0" * 64)
        tokens = [principal(store, token_id) for token_id in (1, 2)]
        assert [t.role if t else None for t in tokens] == [None, "officer"]  # 1 was revoked
        trail = store.audit_trail()
        assert trail[0].action == "units_imported" and isinstance(trail[0].at, datetime)
        assert len(trail) == len(before["audit"][1])
        units = store.units()
        assert len(units) == len(before["unit"][1])
        # the later revisions' columns are empty on old rows, meaning what they meant before:
        # every unit exists without limit, no obligation was moved
        assert {(u.valid_from, u.valid_to, u.successor) for u in units.values()} == {
            (None, None, None)
        }
        assert (urgent.moved_from, urgent.superseded_by, late.moved_from) == (None, None, None)
        # revision 0003 learns how old submissions arrived from the audit trail
        assert (urgent.submitted_via, urgent.confirmed_at, urgent.disputed_at) == (
            "cli",
            None,
            None,
        )
        assert (late.submitted_via, late.confirmed_at) == (None, None)
        assert store.earlier_parents() == []
    # the engine goes on from where the old one stopped: no step is recorded twice
    emitted = sweep(empty, config, vn("16/06/2027 09:00"))
    assert emitted and all(e.obligation.id != urgent.id for e in emitted)
    assert {(e.obligation.id, e.step, e.repeat) for e in emitted}.isdisjoint(
        {(late.id, s["step"], s["repeat"]) for s in history["steps"]}
    )


def test_mail_waiting_during_the_upgrade_drains_urgent_first_and_digests_last(
    empty: Engine,
) -> None:
    load_v1(empty)
    with empty.begin() as connection:  # every message of the dump is waiting to go out
        connection.execute(text("UPDATE message SET state = 'pending'"))
    migrate.upgrade(empty)
    with transaction(empty) as store:
        claimed = outbox.claim(store, vn("01/01/2030 00:00"), 100, timedelta(minutes=5))
    assert len(claimed) == 12 and claimed[-1].template == "digest"
    with empty.connect() as connection:
        stored: dict[int, int] = dict(
            connection.execute(text("SELECT id, priority FROM message")).all()
        )
    order = [stored[m.id] for m in claimed]
    assert order == sorted(order) and order[0] == PRIORITY["new_case"]
    if empty.dialect.name == "sqlite":  # the claim walks the index, it sorts nothing
        with empty.connect() as connection:
            plan = connection.execute(
                text(
                    "EXPLAIN QUERY PLAN SELECT id FROM message WHERE state = 'pending' AND "
                    "next_attempt_at <= '2030' ORDER BY priority, created_at, id LIMIT 5"
                )
            ).all()
        assert "ix_message_claim" in str(plan) and "TEMP B-TREE" not in str(plan)


def test_upgrading_twice_changes_nothing(empty: Engine) -> None:
    load_v1(empty)
    migrate.upgrade(empty)
    once = snapshot(empty)
    old, new = migrate.upgrade(empty)
    assert old == new and new.up_to_date
    assert snapshot(empty) == once


def test_init_creates_the_current_schema_and_leaves_an_old_one_to_db_upgrade(
    empty: Engine,
) -> None:
    assert migrate.state(empty).empty
    assert migrate.create(empty).up_to_date
    assert migrate.create(empty).up_to_date  # again: nothing to do


def test_init_refuses_to_upgrade_an_old_database_by_itself(empty: Engine) -> None:
    load_v1(empty)
    with pytest.raises(ConfigError, match="hanbao db upgrade"):
        migrate.create(empty)
    assert migrate.state(empty).revision is None


def test_a_database_of_something_else_is_not_touched(empty: Engine) -> None:
    with empty.begin() as connection:
        connection.execute(text("CREATE TABLE unit (code VARCHAR PRIMARY KEY)"))
    with pytest.raises(ConfigError, match="not a hanbao database"):
        migrate.upgrade(empty)
    assert migrate.state(empty).revision is None


def test_run_refuses_a_database_that_is_behind_and_db_upgrade_fixes_it(
    empty_url: str, empty: Engine
) -> None:
    load_v1(empty)
    refused = hanbao("run", db=empty_url, ok=False)
    assert refused.returncode == 2
    assert "hanbao db upgrade" in refused.stderr and "Traceback" not in refused.stderr
    assert hanbao_json("db", "current", db=empty_url) == {
        "revision": None,
        "head": migrate.head(),
        "up_to_date": False,
    }
    upgraded = hanbao_json("db", "upgrade", db=empty_url)
    assert upgraded == {
        "from": None,
        "revision": migrate.head(),
        "head": migrate.head(),
        "up_to_date": True,
    }
    assert hanbao_json("db", "current", db=empty_url)["up_to_date"] is True
    assert hanbao_json("db", "upgrade", db=empty_url)["from"] == migrate.head()


def test_the_quick_head_read_from_the_revision_files_is_alembics_head() -> None:
    assert revisions.quick_head() == migrate.head()


def test_a_database_with_another_version_row_is_refused_although_the_quick_check_is_used(
    empty_url: str, empty: Engine
) -> None:
    migrate.create(empty)
    migrate.check(empty)  # at the head: the quick path answers
    with empty.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0002'"))
    with pytest.raises(ConfigError, match="hanbao db upgrade"):
        migrate.check(empty)
