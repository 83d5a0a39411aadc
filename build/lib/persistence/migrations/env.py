"""Alembic environment: the engine comes from persistence.db (no alembic.ini, no URL here)."""

from alembic import context

from persistence.tables import metadata


def run_migrations() -> None:
    engine = context.config.attributes["engine"]
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
        context.run_migrations()


run_migrations()
