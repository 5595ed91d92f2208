"""The outbox drains the most urgent first, read from an index: ``ix_message_claim``.

The claim takes the due messages in (priority, age) order; with 30,000 mails queued on 1 July a
claim that sorts them all costs more than the batch it takes. The index lets it walk them in
that order and stop at the batch; it replaces ``ix_message_ready`` (state, next_attempt_at),
which served only the claim and led SQLite's planner to sort every due message.

Digests now come after reminders (priority 4, was 2): those still waiting move back with them.

Revision ID: 0004_mailpath
Revises: 0003
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

from scheduler.store.migrations import NO_DOWNGRADE

revision: str = "0004_mailpath"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_message_claim",
        "message",
        ["state", "priority", "created_at", "id", "next_attempt_at"],
        unique=False,
    )
    op.drop_index("ix_message_ready", table_name="message")
    op.execute(
        "UPDATE message SET priority = 4 "
        "WHERE template = 'digest' AND state IN ('pending', 'sending')"
    )


def downgrade() -> None:
    raise NotImplementedError(NO_DOWNGRADE)
