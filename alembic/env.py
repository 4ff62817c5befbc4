"""Alembic environment: the caller (infrastructure/migrations.py) hands over an open connection."""

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("run migrations with `archive migrate` (it supplies the database connection)")
context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
