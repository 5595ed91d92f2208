"""Alembic's entry point: run the revisions on the connection that ``scheduler.store.migrate``
passes in. SQLite gets batch mode, so a revision that must rebuild a table can."""

from alembic import context
from sqlmodel import SQLModel

import scheduler.store.schema  # noqa: F401  (the tables, for autogenerate)

context.configure(
    connection=context.config.attributes["connection"],
    target_metadata=SQLModel.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
