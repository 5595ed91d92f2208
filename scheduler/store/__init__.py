"""The store: the schema, the Alembic revisions, and every query, named by what it does.

Nothing outside this package imports SQLAlchemy, SQLModel or Alembic (an import-linter
contract in pyproject.toml checks it); callers name the engine and the database's errors
through ``scheduler.store.connection``.
"""
