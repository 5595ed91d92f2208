"""Every query the engine runs, written once for SQLite and PostgreSQL.

Callers get the frozen values of ``scheduler.hierarchy.units`` and ``scheduler.records``, not
rows. Writes that must happen once rely on unique keys (``INSERT … ON CONFLICT DO NOTHING``) and
on compare-and-set updates whose row count is checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlmodel import Session

from scheduler.store.audit import AuditQueries
from scheduler.store.compose import ComposeQueries
from scheduler.store.digest import DigestQueries
from scheduler.store.gauges import GaugeQueries
from scheduler.store.handover import HandoverQueries
from scheduler.store.history import HistoryQueries
from scheduler.store.intake import IntakeQueries
from scheduler.store.obligations import ObligationQueries
from scheduler.store.outbox import OutboxQueries
from scheduler.store.overview import OverviewQueries
from scheduler.store.submissions import SubmissionQueries
from scheduler.store.timeliness import TimelinessQueries
from scheduler.store.tokens import TokenQueries
from scheduler.store.units import UnitQueries
from scheduler.store.waves import WaveQueries


class Store(
    ObligationQueries,
    HistoryQueries,
    UnitQueries,
    HandoverQueries,
    SubmissionQueries,
    IntakeQueries,
    DigestQueries,
    TimelinessQueries,
    WaveQueries,
    OutboxQueries,
    ComposeQueries,
    TokenQueries,
    OverviewQueries,
):
    """Every named query, over one session, each group in its own module: cases and
    obligations, their history and audit, units, hand-overs, submissions, the intake's, the
    digest's, the reporting rates', a wave's bulk writes, the outbox's and composing's, tokens
    and the leaders' overview.

    The caller owns the transaction (commit or roll back)."""

    # --- groups read on their own, over the same session -----------------------------------

    @property
    def audit_log(self) -> AuditQueries:
        """The audit trail as an admin reads it (``audit_log.latest``)."""
        return AuditQueries(self.session)

    @property
    def gauges(self) -> GaugeQueries:
        """What ``/metrics`` counts: open obligations per series, the outbox by state."""
        return GaugeQueries(self.session)


@contextmanager
def transaction(engine: Engine | Connection) -> Iterator[Store]:
    """A store whose writes commit together at the end, or not at all on an exception; on a
    connection of the caller's, the transaction is that connection's. A connection already in a
    transaction is refused: the session would only join it, and commit nothing."""
    if isinstance(engine, Connection) and engine.in_transaction():
        raise RuntimeError("transaction(): the connection is in a transaction already")
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield Store(session)
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def rolled_back(engine: Engine) -> Iterator[Store]:
    """A store whose writes are all undone at the end: how ``simulate`` leaves the database."""
    connection: Connection = engine.connect()
    outer = connection.begin()
    if engine.dialect.name == "sqlite":
        # Python's sqlite3 opens its transaction only before a statement that starts with
        # INSERT, UPDATE, DELETE or REPLACE: the sweep's ``WITH … UPDATE`` compare-and-set ran
        # outside it, and a simulation's first batch of cursor moves stayed. Begun here, all
        # of it is inside, and undone.
        connection.exec_driver_sql("BEGIN")
    try:
        with Session(bind=connection) as session:
            yield Store(session)
    finally:
        outer.rollback()
        connection.close()
