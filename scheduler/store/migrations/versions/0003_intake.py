"""Report mail and the receiving unit's word: how a submission became known, its confirmation.

Adds to ``obligation``: ``submitted_via`` (mail, link, api, cli), ``submission_recorded_at``,
``confirmed_at``/``confirmed_by`` and ``disputed_at``; the ``intake_mail`` table (what the intake
saw of each report mail: identity and outcome, never a body or a subject) and ``intake_cursor``
(where the IMAP watch stopped); expression indexes to find a sender's unit and a subject's
case code without regard to letter case. Submissions recorded before this revision learn their
``via`` and recording time from the audit trail, which has always named who recorded them.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from scheduler.store.migrations import NO_DOWNGRADE

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LAST_SUBMITTED = (
    "FROM audit WHERE audit.obligation_id = obligation.id AND audit.action = 'submitted' "
    "ORDER BY audit.id DESC LIMIT 1"
)


def upgrade() -> None:
    with op.batch_alter_table("obligation") as batch_op:
        batch_op.add_column(sa.Column("submitted_via", sa.String(), nullable=True))
        batch_op.add_column(
            sa.Column("submission_recorded_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("confirmed_by", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("disputed_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE obligation SET "
        "submitted_via = (SELECT CASE WHEN audit.actor = 'cli' THEN 'cli' "
        "WHEN audit.actor LIKE 'link:%' THEN 'link' "
        "WHEN audit.actor LIKE 'token:%' THEN 'api' END " + _LAST_SUBMITTED + "), "
        "submission_recorded_at = (SELECT audit.at " + _LAST_SUBMITTED + ") "
        "WHERE submitted_at IS NOT NULL"
    )
    op.create_table(
        "intake_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe", sa.String(), nullable=False),
        sa.Column("message_id", sa.String(), nullable=True),
        sa.Column("sha256", sa.String(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("sender", sa.String(), nullable=True),
        sa.Column("codes", sa.String(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(), nullable=False),
        sa.Column("obligation_id", sa.Integer(), nullable=True),
        sa.Column("unit", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(["obligation_id"], ["obligation.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedupe"),
    )
    with op.batch_alter_table("intake_mail") as batch_op:
        batch_op.create_index("ix_intake_mail_listing", ["unit", "recorded_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_intake_mail_obligation_id"), ["obligation_id"], unique=False
        )
    # a report mail's sender and the codes in its subject are compared without regard to case.
    # SQLAlchemy cannot reflect expression indexes: a later revision that runs batch mode on
    # contact, unit or case_file (SQLite copies the table) must create these three again.
    op.create_index("ix_contact_address_lower", "contact", [sa.text("lower(address)")])
    op.create_index("ix_unit_email_lower", "unit", [sa.text("lower(email)")])
    op.create_index("ix_case_file_code_upper", "case_file", [sa.text("upper(code)")])
    op.create_table(
        "intake_cursor",
        sa.Column("mailbox", sa.String(), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("last_uid", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("mailbox"),
    )


def downgrade() -> None:
    raise NotImplementedError(NO_DOWNGRADE)
