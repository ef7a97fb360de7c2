"""The migrations and the models describe the same schema."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.models import Base


def test_autogenerate_finds_no_difference(connection):
    # The session fixture built the schema with `flask db upgrade`'s code path.
    context = MigrationContext.configure(
        connection, opts={"compare_type": True, "render_as_batch": True}
    )
    assert compare_metadata(context, Base.metadata) == []


def test_migrations_reach_the_single_head(connection):
    version = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    from pathlib import Path

    from alembic.config import Config
    from alembic.script import ScriptDirectory

    migrations = Path(__file__).resolve().parents[1] / "migrations"
    config = Config()
    config.set_main_option("script_location", str(migrations))
    heads = ScriptDirectory.from_config(config).get_heads()
    assert heads == [version]
