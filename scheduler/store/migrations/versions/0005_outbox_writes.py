"""The outbox takes a wave's mail faster: one index fewer, and mail stored as written.

- ``ix_message_state`` goes: ``ix_message_claim`` begins with the same column and serves every
  query by state, so the second index only cost each queued message one more tree to update.
- On PostgreSQL, a message stays in its row uncompressed up to 8 kB (``toast_tuple_target``).
  A mail is 2-3 kB of text and HTML: over PostgreSQL's default threshold (2 kB), so every
  message was compressed as it was queued, and again read back as it was sent. Composing the
  1-July wave (29,600 mails) spent a third of its writing compressing.

Revision ID: 0005_outbox_writes
Revises: 0004_mailpath
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

from scheduler.store.migrations import NO_DOWNGRADE

revision: str = "0005_outbox_writes"
down_revision: str | None = "0004_mailpath"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_message_state", table_name="message")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE message SET (toast_tuple_target = 8160)")


def downgrade() -> None:
    raise NotImplementedError(NO_DOWNGRADE)
