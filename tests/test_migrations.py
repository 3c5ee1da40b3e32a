"""The committed Alembic migrations build exactly the schema the models describe."""
from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from orgwell import create_app
from orgwell.extensions import db
from tests.services import require_postgres


def _diff_after_upgrade(uri: str) -> list:
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri})
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        downgrade(revision="base")
        with db.engine.connect() as connection:
            left = set(sa.inspect(connection).get_table_names()) - {"alembic_version"}
        db.engine.dispose()
    return diff, left


def test_sqlite_upgrade_matches_models_and_downgrades_cleanly(tmp_path):
    diff, left = _diff_after_upgrade(f"sqlite:///{tmp_path}/m.sqlite")
    assert diff == []
    assert left == set()


@pytest.fixture
def empty_postgres_database():
    base_url = require_postgres()
    name = f"orgwell_mig_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield base_url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def test_postgres_upgrade_matches_models_and_downgrades_cleanly(empty_postgres_database):
    diff, left = _diff_after_upgrade(empty_postgres_database)
    assert diff == []
    assert left == set()
