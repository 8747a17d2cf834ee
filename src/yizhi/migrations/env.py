"""Alembic environment: one metadata for every domain, the URL from YiZhi's settings."""

from alembic import context

from yizhi.db import Base, get_engine
from yizhi.registry import import_domain_models

import_domain_models()
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connectable = context.config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    with get_engine().connect() as connection:
        _run(connection)
        connection.commit()


def _include_object(obj, name, type_, reflected, compare_to):
    # Lets a developer autogenerate one domain's migration: alembic_config(include_tables=...).
    keep = context.config.attributes.get("include_tables")
    if keep is None or type_ != "table":
        return True
    return keep(name)


def _run(connection) -> None:
    context.configure(
        include_object=_include_object,
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER most things
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
