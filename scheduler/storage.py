"""The database: tables, and every query the engine runs, written once for SQLite and PostgreSQL.

Rows are not domain objects: callers get the frozen values of ``scheduler.units`` and
``scheduler.records``. Writes that must happen once rely on unique keys (``INSERT … ON CONFLICT
DO NOTHING``) and on compare-and-set updates whose row count is checked.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Dialect,
    Engine,
    Index,
    String,
    UniqueConstraint,
    case,
    event,
    make_url,
    or_,
)
from sqlalchemy import func as sa_func
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, Session, SQLModel, col, create_engine, delete, select, update

from scheduler.errors import ConfigError
from scheduler.records import AuditEntry, Obligation
from scheduler.units import Unit
from scheduler.vntime import VN_TZ, iso

SCHEMA_VERSION = 1


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware Vietnam-time datetimes out; stored in UTC on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime reached the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(VN_TZ)


def _when(*, index: bool = False, nullable: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime, index=index, nullable=nullable))


class MetaRow(SQLModel, table=True):
    __tablename__ = "meta"
    key: str = Field(primary_key=True)
    value: str


class UnitRow(SQLModel, table=True):
    __tablename__ = "unit"
    code: str = Field(primary_key=True)
    name: str
    kind: str
    parent: str | None = Field(default=None, foreign_key="unit.code", index=True)
    email: str


class ContactRow(SQLModel, table=True):
    __tablename__ = "contact"
    __table_args__ = (UniqueConstraint("unit", "role", "address"),)
    id: int | None = Field(default=None, primary_key=True)
    unit: str = Field(foreign_key="unit.code", index=True)
    role: str
    address: str


class CaseRow(SQLModel, table=True):
    """A verified case: a code, a commune, a category and dates. Nothing that names a child."""

    __tablename__ = "case_file"
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_column=Column(String, unique=True, nullable=False))
    unit: str = Field(foreign_key="unit.code", index=True)
    category: str
    verified_at: datetime = _when()
    opened_at: datetime = _when()


class ObligationRow(SQLModel, table=True):
    __tablename__ = "obligation"
    __table_args__ = (Index("ix_obligation_open_due", "submitted_at", "due_at"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_column=Column(String, unique=True, nullable=False))
    kind: str = Field(index=True)
    unit: str = Field(foreign_key="unit.code", index=True)
    case_id: int | None = Field(default=None, foreign_key="case_file.id", index=True)
    period: str | None = None
    requested_by: str | None = None
    event_at: datetime = _when()
    due_at: datetime = _when()
    created_at: datetime = _when()
    submitted_at: datetime | None = _when(nullable=True)
    next_action_at: datetime | None = _when(index=True, nullable=True)
    hold_until: datetime | None = _when(nullable=True)  # a poison item waits; its cursor stays


class ReminderRow(SQLModel, table=True):
    """One ladder occurrence, recorded once: sent (``due``) or coalesced away (``skipped``)."""

    __tablename__ = "reminder"
    __table_args__ = (UniqueConstraint("obligation_id", "step", "repeat"),)
    id: int | None = Field(default=None, primary_key=True)
    obligation_id: int = Field(foreign_key="obligation.id", index=True)
    step: str
    repeat: int
    state: str
    late_flag: bool = False
    recipients: str  # JSON list of addresses
    scheduled_at: datetime = _when()
    recorded_at: datetime = _when(index=True)
    composed_at: datetime | None = _when(index=True, nullable=True)  # turned into mail, or not


class MessageRow(SQLModel, table=True):
    """One email to one address, in the durable outbox. ``key`` and ``message_id`` never change,
    so a message sent again after a crash carries the same Message-ID."""

    __tablename__ = "message"
    __table_args__ = (Index("ix_message_ready", "state", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(sa_column=Column(String, unique=True, nullable=False))
    message_id: str = Field(sa_column=Column(String, unique=True, nullable=False))
    template: str
    priority: int  # 0 most urgent; the backlog drains in (priority, age) order
    unit: str | None = Field(default=None, foreign_key="unit.code", index=True)
    concerned: str  # JSON list of the unit codes whose contacts may receive it
    obligation_id: int | None = Field(default=None, foreign_key="obligation.id", index=True)
    thread_ref: str | None = None
    recipient: str
    subject: str
    body_text: str
    body_html: str
    state: str = Field(index=True)  # pending, sending, sent, failed, refused
    attempts: int = 0
    next_attempt_at: datetime = _when()
    lease_until: datetime | None = _when(nullable=True)
    created_at: datetime = _when()
    finished_at: datetime | None = _when(nullable=True)
    last_error: str | None = None


class MessageItemRow(SQLModel, table=True):
    """Which recorded reminders a message carries (a bundle carries several)."""

    __tablename__ = "message_item"
    message_id: int = Field(foreign_key="message.id", primary_key=True)
    reminder_id: int = Field(foreign_key="reminder.id", primary_key=True)
    obligation_id: int = Field(foreign_key="obligation.id", index=True)


class TokenRow(SQLModel, table=True):
    """An API token: only its SHA-256 is stored; the token itself is shown once, at creation."""

    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(sa_column=Column(String, unique=True, nullable=False))
    unit: str = Field(foreign_key="unit.code", index=True)
    role: str
    label: str = ""
    created_at: datetime = _when()
    revoked_at: datetime | None = _when(nullable=True)


class AckRow(SQLModel, table=True):
    """A used acknowledgement link (its SHA-256): a link works once."""

    __tablename__ = "ack_link"
    link_hash: str = Field(primary_key=True)
    obligation_id: int = Field(foreign_key="obligation.id", index=True)
    recipient: str
    used_at: datetime = _when()


class AuditRow(SQLModel, table=True):
    __tablename__ = "audit"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _when(index=True)
    actor: str
    action: str
    obligation_id: int | None = Field(default=None, index=True)
    case_code: str | None = None
    detail: str = "{}"


_ROWS_PER_STATEMENT = 1000  # 11,000 bound values: under PostgreSQL (65,535) and SQLite limits
_OBLIGATION = SQLModel.metadata.tables["obligation"]
_REMINDER = SQLModel.metadata.tables["reminder"]
_ACK = SQLModel.metadata.tables["ack_link"]


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here; other URLs pass through."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def with_database(url: str, name: str) -> str:
    """The same server URL, naming another database on it."""
    return make_url(normalise_url(url)).set(database=name).render_as_string(hide_password=False)


def make_engine(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def create_schema(engine: Engine) -> None:
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        if session.get(MetaRow, "schema_version") is None:
            session.add(MetaRow(key="schema_version", value=str(SCHEMA_VERSION)))
            session.commit()


def check_schema(engine: Engine) -> None:
    """Refuse to work on a database that ``hanbao init`` has not prepared, or a newer one."""
    try:
        with Session(engine) as session:
            row = session.get(MetaRow, "schema_version")
    except (OperationalError, ProgrammingError):
        row = None
    if row is None:
        raise ConfigError(
            f"cơ sở dữ liệu {engine.url.render_as_string(hide_password=True)} chưa được khởi tạo / "
            "database not initialised: chạy `hanbao init`"
        )
    if int(row.value) != SCHEMA_VERSION:
        raise ConfigError(
            f"phiên bản lược đồ {row.value}, cần {SCHEMA_VERSION} / schema version mismatch"
        )


def _insert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


class Store:
    """Named queries over one session. The caller owns the transaction (commit or roll back)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # --- units -----------------------------------------------------------------------------

    def units(self, codes: Iterable[str] | None = None) -> dict[str, Unit]:
        query = select(UnitRow)
        contacts = select(ContactRow)
        if codes is not None:
            wanted = sorted(set(codes))
            query = query.where(col(UnitRow.code).in_(wanted))
            contacts = contacts.where(col(ContactRow.unit).in_(wanted))
        by_unit: dict[str, dict[str, list[str]]] = {}
        for contact in self.session.exec(contacts.order_by(col(ContactRow.id))):
            by_unit.setdefault(contact.unit, {}).setdefault(contact.role, []).append(
                contact.address
            )
        return {
            row.code: Unit(
                row.code,
                row.name,
                row.kind,
                row.parent,
                row.email,
                {role: tuple(a) for role, a in by_unit.get(row.code, {}).items()},
            )
            for row in self.session.exec(query.order_by(col(UnitRow.code)))
        }

    def save_units(self, units: Sequence[Unit]) -> None:
        """Insert or update units (parents first) and replace their contacts."""
        pending = {u.code: u for u in units}
        ordered: list[Unit] = []
        while pending:
            ready = [u for u in pending.values() if u.parent not in pending]
            ordered.extend(ready)
            for unit in ready:
                del pending[unit.code]
        for unit in ordered:
            self.session.merge(
                UnitRow(
                    code=unit.code,
                    name=unit.name,
                    kind=unit.kind,
                    parent=unit.parent,
                    email=unit.email,
                )
            )
        self.session.flush()
        codes = [u.code for u in units]
        self.session.exec(delete(ContactRow).where(col(ContactRow.unit).in_(codes)))
        self.session.add_all(
            ContactRow(unit=u.code, role=role, address=address)
            for u in units
            for role, addresses in u.contacts.items()
            for address in addresses
        )
        self.session.flush()

    # --- cases and obligations ---------------------------------------------------------------

    def add_case(
        self, code: str, unit: str, category: str, verified_at: datetime, opened_at: datetime
    ) -> int | None:
        """The new case's id, or None when the code is taken."""
        result = self.session.exec(
            _insert(self.session)(CaseRow)
            .values(
                code=code,
                unit=unit,
                category=category,
                verified_at=verified_at,
                opened_at=opened_at,
            )
            .on_conflict_do_nothing(index_elements=["code"])
            .returning(col(CaseRow.id))
        )
        return result.scalar_one_or_none()  # type: ignore[no-any-return]

    def case_id(self, code: str) -> int | None:
        return self.session.exec(select(CaseRow.id).where(CaseRow.code == code)).first()

    def add_obligations(self, rows: Sequence[dict[str, Any]]) -> int:
        """Insert obligations; a key already present is left alone. Returns how many were new.

        Rows go in slices: a national year would exceed the limit on bound parameters.
        """
        created = 0
        for start in range(0, len(rows), _ROWS_PER_STATEMENT):
            result = self.session.exec(
                _insert(self.session)(ObligationRow)
                .values(list(rows[start : start + _ROWS_PER_STATEMENT]))
                .on_conflict_do_nothing(index_elements=["key"])
                .returning(col(ObligationRow.id))
            )
            created += len(result.all())
        return created

    def obligation(self, obligation_id: int) -> Obligation | None:
        return next(
            iter(
                self._obligations(
                    select(ObligationRow, CaseRow.code).where(ObligationRow.id == obligation_id)
                )
            ),
            None,
        )

    def obligation_by_key(self, key: str) -> Obligation | None:
        return next(
            iter(
                self._obligations(
                    select(ObligationRow, CaseRow.code).where(ObligationRow.key == key)
                )
            ),
            None,
        )

    def obligations(
        self,
        *,
        unit: str | None = None,
        open_only: bool = False,
        due_before: datetime | None = None,
    ) -> list[Obligation]:
        query = select(ObligationRow, CaseRow.code)
        if unit is not None:
            query = query.where(ObligationRow.unit == unit)
        if open_only:
            query = query.where(col(ObligationRow.submitted_at).is_(None))
        if due_before is not None:
            query = query.where(col(ObligationRow.due_at) < due_before)
        return self._obligations(query.order_by(col(ObligationRow.due_at), col(ObligationRow.id)))

    def due_for_action(self, now: datetime, limit: int) -> list[Obligation]:
        """Open obligations whose next moment has come, oldest first: the only sweep query."""
        return self._obligations(
            select(ObligationRow, CaseRow.code)
            .where(col(ObligationRow.next_action_at) <= now)
            .where(
                or_(col(ObligationRow.hold_until).is_(None), col(ObligationRow.hold_until) <= now)
            )
            .order_by(col(ObligationRow.next_action_at), col(ObligationRow.id))
            .limit(limit)
        )

    def earliest_action(self) -> datetime | None:
        """When the sweep next has something to do (a held item counts from its hold)."""
        held = col(ObligationRow.hold_until) > col(ObligationRow.next_action_at)
        moment = case(
            (held, col(ObligationRow.hold_until)), else_=col(ObligationRow.next_action_at)
        )
        earliest: datetime | None = self.session.exec(select(sa_func.min(moment))).one()
        return earliest

    def late_flags(self, units: set[str], since: datetime) -> list[tuple[str, datetime]]:
        """(unit, when) of every late flag recorded since ``since`` for these units."""
        rows = self.session.exec(
            select(ObligationRow.unit, ReminderRow.recorded_at)
            .join(ObligationRow, col(ObligationRow.id) == col(ReminderRow.obligation_id))
            .where(col(ReminderRow.late_flag))
            .where(col(ReminderRow.recorded_at) >= since)
        ).all()
        return [(unit, at) for unit, at in rows if unit in units]

    def use_link(self, link_hash: str, obligation_id: int, recipient: str, at: datetime) -> bool:
        """Record that a link was used; False when it had been used already."""
        result = self.session.connection().execute(  # RETURNING: an INSERT's rowcount is -1
            _insert(self.session)(_ACK)  # on psycopg
            .values(
                link_hash=link_hash, obligation_id=obligation_id, recipient=recipient, used_at=at
            )
            .on_conflict_do_nothing(index_elements=["link_hash"])
            .returning(_ACK.c.link_hash)
        )
        return result.first() is not None

    def link_used(self, link_hash: str) -> bool:
        return self.session.get(AckRow, link_hash) is not None

    def hold(self, obligation_id: int, until: datetime) -> None:
        """Set a poison item aside until ``until`` without moving its cursor: once the cause is
        fixed, every occurrence since the cursor is still handled (late flags included)."""
        self.session.connection().execute(
            update(_OBLIGATION).where(_OBLIGATION.c.id == obligation_id).values(hold_until=until)
        )

    def _obligations(self, query: Any) -> list[Obligation]:
        query = query.outerjoin(CaseRow, col(CaseRow.id) == col(ObligationRow.case_id))
        return [
            Obligation(
                id=row.id,
                key=row.key,
                kind=row.kind,
                unit=row.unit,
                case_code=code,
                period=row.period,
                requested_by=row.requested_by,
                event_at=row.event_at,
                due_at=row.due_at,
                created_at=row.created_at,
                submitted_at=row.submitted_at,
                next_action_at=row.next_action_at,
            )
            for row, code in self.session.exec(query)
        ]

    def advance(self, obligation_id: int, expected: datetime | None, new: datetime | None) -> bool:
        """Compare-and-set of ``next_action_at``: False when another sweep moved it first."""
        result = self.session.connection().execute(
            update(_OBLIGATION)
            .where(_OBLIGATION.c.id == obligation_id)
            .where(_OBLIGATION.c.next_action_at == expected)
            .values(next_action_at=new, hold_until=None)
        )
        return result.rowcount == 1

    def mark_submitted(self, obligation_id: int, at: datetime) -> bool:
        """Record the submission once; False when it was already recorded."""
        result = self.session.exec(
            update(ObligationRow)
            .where(col(ObligationRow.id) == obligation_id)
            .where(col(ObligationRow.submitted_at).is_(None))
            .values(submitted_at=at, next_action_at=None)
        )
        return bool(result.rowcount == 1)

    # --- reminders and audit -------------------------------------------------------------------

    def add_reminders(self, rows: Sequence[dict[str, Any]]) -> None:
        """Record occurrences in one statement; one already recorded is left alone."""
        if rows:
            self.session.connection().execute(
                _insert(self.session)(_REMINDER).on_conflict_do_nothing(
                    index_elements=["obligation_id", "step", "repeat"]
                ),
                list(rows),
            )

    def history(self, obligation_id: int) -> dict[str, list[dict[str, Any]]]:
        """Everything that happened to one obligation: steps, mails, audit entries."""
        steps = self.session.exec(
            select(ReminderRow)
            .where(ReminderRow.obligation_id == obligation_id)
            .order_by(col(ReminderRow.scheduled_at), col(ReminderRow.id))
        ).all()
        mails = self.session.exec(
            select(MessageRow)
            .join(MessageItemRow, col(MessageItemRow.message_id) == col(MessageRow.id))
            .where(MessageItemRow.obligation_id == obligation_id)
            .order_by(col(MessageRow.id))
        ).all()
        return {
            "steps": [
                {
                    "step": r.step,
                    "repeat": r.repeat,
                    "state": r.state,
                    "late_flag": r.late_flag,
                    "recipients": json.loads(r.recipients),
                    "scheduled_at": iso(r.scheduled_at),
                }
                for r in steps
            ],
            "mails": [
                {
                    "id": m.id,
                    "recipient": m.recipient,
                    "subject": m.subject,
                    "state": m.state,
                    "attempts": m.attempts,
                    "sent_at": iso(m.finished_at) if m.finished_at else None,
                    "error": m.last_error,
                }
                for m in mails
            ],
            "audit": [
                {"at": iso(a.at), "actor": a.actor, "action": a.action, "detail": a.detail}
                for a in self.audit_trail(obligation_id)
            ],
        }

    def audit(
        self,
        at: datetime,
        actor: str,
        action: str,
        *,
        obligation_id: int | None = None,
        case_code: str | None = None,
        **detail: Any,
    ) -> None:
        self.session.add(
            AuditRow(
                at=at,
                actor=actor,
                action=action,
                obligation_id=obligation_id,
                case_code=case_code,
                detail=json.dumps(detail, ensure_ascii=False, default=str),
            )
        )

    def audit_trail(self, obligation_id: int | None = None) -> list[AuditEntry]:
        query = select(AuditRow).order_by(col(AuditRow.id))
        if obligation_id is not None:
            query = query.where(AuditRow.obligation_id == obligation_id)
        return [
            AuditEntry(
                at=r.at,
                actor=r.actor,
                action=r.action,
                obligation_id=r.obligation_id,
                case_code=r.case_code,
                detail=json.loads(r.detail),
            )
            for r in self.session.exec(query)
        ]


@contextmanager
def transaction(engine: Engine) -> Iterator[Store]:
    """A store whose writes commit together at the end, or not at all on an exception."""
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
    try:
        with Session(bind=connection) as session:
            yield Store(session)
    finally:
        outer.rollback()
        connection.close()
