"""The tables, and the engine for a database URL: SQLite by default, PostgreSQL in production.

Rows are not domain objects: the queries in ``scheduler.store.queries`` turn them into the
frozen values of ``scheduler.hierarchy.units`` and ``scheduler.records``. Every change to these
tables is an Alembic revision in ``scheduler/store/migrations``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Dialect,
    Engine,
    Index,
    String,
    UniqueConstraint,
    event,
    make_url,
    text,
)
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel, create_engine

from scheduler.deadlines.vntime import VN_TZ
from scheduler.store.connection import checked_url


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
    """A unit and its life: it exists from ``valid_from`` to ``valid_to`` (days, both included;
    none: always), then ``successor`` takes over. ``closed_at`` is when hanbao applied the
    closing (obligations moved, children re-parented), so it is applied once."""

    __tablename__ = "unit"
    __table_args__ = (
        Index("ix_unit_closing", "closed_at", "valid_to"),
        Index("ix_unit_email_lower", text("lower(email)")),  # who sent a report mail
    )
    code: str = Field(primary_key=True)
    name: str
    kind: str
    parent: str | None = Field(default=None, foreign_key="unit.code", index=True)
    email: str
    valid_from: date | None = None
    valid_to: date | None = None
    successor: str | None = None  # checked on import; no foreign key, so merges can be staged
    closed_at: datetime | None = _when(nullable=True)


class UnitParentRow(SQLModel, table=True):
    """A parent a unit had before: ``parent`` until the end of ``until``. The unit row holds the
    parent since then; ``hanbao units list --as-of`` reads the tree of any day from these."""

    __tablename__ = "unit_parent"
    id: int | None = Field(default=None, primary_key=True)
    unit: str = Field(foreign_key="unit.code", index=True)
    parent: str | None = None
    until: date


class ContactRow(SQLModel, table=True):
    __tablename__ = "contact"
    __table_args__ = (
        UniqueConstraint("unit", "role", "address"),
        Index("ix_contact_address_lower", text("lower(address)")),  # who sent a report mail
    )
    id: int | None = Field(default=None, primary_key=True)
    unit: str = Field(foreign_key="unit.code", index=True)
    role: str
    address: str


class CaseRow(SQLModel, table=True):
    """A verified case: a code, a commune, a category and dates. Nothing that names a child."""

    __tablename__ = "case_file"
    __table_args__ = (Index("ix_case_file_code_upper", text("upper(code)")),)  # in a subject
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
    moved_from: str | None = None  # the unit that owed it first, when a reorganisation moved it
    superseded_by: int | None = None  # the successor's obligation for the same period
    submitted_via: str | None = None  # mail, link, api, cli: how hanbao learnt of the submission
    submission_recorded_at: datetime | None = _when(nullable=True)  # when hanbao learnt of it
    confirmed_at: datetime | None = _when(nullable=True)  # the receiving unit confirmed it
    confirmed_by: str | None = None
    disputed_at: datetime | None = _when(nullable=True)  # the receiving unit did not receive it


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
    # on PostgreSQL a row stays uncompressed up to 8 kB (toast_tuple_target, revision 0005)
    # the claim walks the due messages most urgent first, oldest first, and stops at a batch
    __table_args__ = (
        Index("ix_message_claim", "state", "priority", "created_at", "id", "next_attempt_at"),
    )
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
    state: str  # pending, sending, sent, failed, refused (ix_message_claim leads with it)
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


class IntakeMailRow(SQLModel, table=True):
    """A report mail seen by the intake (SMTP or IMAP): its identity, never its body or subject.

    ``dedupe`` is the Message-ID (or the SHA-256 when there is none): a replayed mail, or one seen
    both by the SMTP intake and in the mailbox, is recorded once. ``codes`` holds only the case
    codes found in the subject; ``unit`` is the receiving unit whose digest lists it when it
    matched nothing."""

    __tablename__ = "intake_mail"
    __table_args__ = (Index("ix_intake_mail_listing", "unit", "recorded_at"),)
    id: int | None = Field(default=None, primary_key=True)
    dedupe: str = Field(sa_column=Column(String, unique=True, nullable=False))
    message_id: str | None = None
    sha256: str
    source: str  # smtp or imap
    sender: str | None = None  # the From address: a contact's, or a stranger's for the digest
    codes: str = "[]"  # JSON list of the case codes named in the subject
    received_at: datetime = _when()  # when the mail reached the receiving server
    recorded_at: datetime = _when()
    outcome: str  # matched, already, unmatched, ambiguous, stranger, early
    obligation_id: int | None = Field(default=None, foreign_key="obligation.id", index=True)
    unit: str | None = None


class IntakeCursorRow(SQLModel, table=True):
    """Where the IMAP watch stopped in one mailbox: nothing is read twice."""

    __tablename__ = "intake_cursor"
    mailbox: str = Field(primary_key=True)
    uidvalidity: int = Field(sa_column=Column(BigInteger, nullable=False))
    last_uid: int = Field(sa_column=Column(BigInteger, nullable=False))
    updated_at: datetime = _when()


class AuditRow(SQLModel, table=True):
    __tablename__ = "audit"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _when(index=True)
    actor: str
    action: str
    obligation_id: int | None = Field(default=None, index=True)
    case_code: str | None = None
    detail: str = "{}"


def normalise_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here; other URLs pass through."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def with_database(url: str, name: str) -> str:
    """The same server URL, naming another database on it."""
    return make_url(normalise_url(url)).set(database=name).render_as_string(hide_password=False)


# What SQLite's log is cut back to when it starts again from its beginning (a wave's slices grow
# it to the wave's size: ``scheduler.store.folding``); without a limit it keeps its largest size.
JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024


def make_engine(url: str) -> Engine:
    url = normalise_url(checked_url(url))
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA journal_size_limit={JOURNAL_SIZE_LIMIT}")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)
