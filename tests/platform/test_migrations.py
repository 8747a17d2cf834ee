"""The migrations create exactly the tables the models describe (no forgotten migration)."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from yizhi.db import Base, get_engine
from yizhi.registry import import_domain_models


def test_models_and_migrations_agree(migrated_database):
    import_domain_models()
    with get_engine().connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models differ from migrations; add a migration: {diff[:5]}"


def test_single_foundation_base():
    from alembic.script import ScriptDirectory

    from yizhi.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_bases() == ["0001_foundation"]
