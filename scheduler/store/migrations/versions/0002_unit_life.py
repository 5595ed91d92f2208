"""Units have a life: valid_from, valid_to, successor; obligations remember where they came from.

Adds ``unit.valid_from``, ``unit.valid_to``, ``unit.successor``, ``unit.closed_at`` (when hanbao
applied the closing), the ``unit_parent`` history of earlier parents, and
``obligation.moved_from`` / ``obligation.superseded_by``. Every new column is empty on existing
rows, which means what it meant before: a unit that always exists, an obligation never moved.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from scheduler.store.migrations import NO_DOWNGRADE

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("unit") as batch_op:
        batch_op.add_column(sa.Column("valid_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("valid_to", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("successor", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_unit_closing", ["closed_at", "valid_to"], unique=False)
    with op.batch_alter_table("obligation") as batch_op:
        batch_op.add_column(sa.Column("moved_from", sa.String(), nullable=True))
        batch_op.add_column(sa.Column("superseded_by", sa.Integer(), nullable=True))
    op.create_table(
        "unit_parent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(), nullable=False),
        sa.Column("parent", sa.String(), nullable=True),
        sa.Column("until", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["unit"], ["unit.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("unit_parent") as batch_op:
        batch_op.create_index(batch_op.f("ix_unit_parent_unit"), ["unit"], unique=False)


def downgrade() -> None:
    raise NotImplementedError(NO_DOWNGRADE)
