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


def test_0010_interop_goes_up_and_down_and_dates_existing_rows(tmp_path_factory):
    """On a database of its own: rows made at 0009 get the moment they last changed,
    the downgrade removes the columns and indexes, and the upgrade runs again."""
    import sqlalchemy as sa
    from flask_migrate import downgrade, upgrade

    from app import create_app
    from app.extensions import db
    from app.workplan.members import load_reference_members
    from tests.conftest import fresh_database_url

    url = fresh_database_url(tmp_path_factory, "interop")
    app = create_app({"APP_CONFIG": "testing", "SQLALCHEMY_DATABASE_URI": url})
    tables = ("participants", "invitations", "survey_rounds")
    with app.app_context():
        upgrade(revision="0009_reporting")
        load_reference_members(db.session)  # the members table is the same at 0009
        db.session.commit()
        with db.engine.begin() as conn:
            member_id = conn.execute(sa.text("SELECT min(id) FROM members")).scalar()
            conn.execute(
                sa.text(
                    "INSERT INTO participants (name, member_id, gender, position, created_at,"
                    " erased_at) VALUES ('A', :m, 'undisclosed', '', :c, NULL),"
                    " ('B', :m, 'undisclosed', '', :c, :e)"
                ),
                {
                    "m": member_id,
                    "c": "2026-01-02 03:04:05.000000",
                    "e": "2026-03-04 05:06:07.000000",
                },
            )
        upgrade()
        with db.engine.connect() as conn:
            moments = conn.execute(
                sa.text("SELECT name, updated_at FROM participants ORDER BY name")
            ).all()
            columns = {t: {c["name"] for c in sa.inspect(conn).get_columns(t)} for t in tables}
        assert [(name, str(moment)[:19]) for name, moment in moments] == [
            ("A", "2026-01-02 03:04:05"),
            ("B", "2026-03-04 05:06:07"),
        ]
        assert all("updated_at" in names for names in columns.values())
        downgrade(revision="0009_reporting")
        with db.engine.connect() as conn:
            inspector = sa.inspect(conn)
            assert not any(
                "updated_at" in {c["name"] for c in inspector.get_columns(t)} for t in tables
            )
            assert "ix_activities_updated_at_id" not in {
                i["name"] for i in inspector.get_indexes("activities")
            }
            assert conn.execute(sa.text("SELECT count(*) FROM participants")).scalar() == 2
        upgrade(revision="0010_interop")
        with db.engine.connect() as conn:
            assert (
                conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
                == "0010_interop"
            )
        db.engine.dispose()
