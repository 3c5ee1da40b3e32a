"""Shared fixtures: the app on a fresh SQLite database, a client, logged-in users of each role."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from orgwell import create_app
from orgwell.extensions import db as _db
from tests import compile_once, factories, snapshots

pytest_plugins = ["tests.fixtures.smtp", "tests.fixtures.worker"]

compile_once.install()

# Packages whose tests run for tens of seconds each, one after another on one test process
# (their servers, private PostgreSQL and Redis are set up once per process). `make test`
# distributes with xdist's worksteal: each process starts on its own quarter of the list and
# takes from the end of the others' when it runs out. These go first, so that they start at
# once instead of being the last thing a run waits for.
LONG_FIRST = ("tests/faults/", "tests/browser/")


@pytest.hookimpl(trylast=True)  # after pytest has ordered the items for fixture reuse
def pytest_collection_modifyitems(config, items):
    def first(item) -> int:
        return next((n for n, prefix in enumerate(LONG_FIRST) if item.nodeid.startswith(prefix)),
                    len(LONG_FIRST))

    items.sort(key=first)  # stable: pytest's own order (fixture reuse) holds within each rank


class FreshContextClient(FlaskClient):
    """Each request runs in its own app context, with its own `g` and database session,
    as in production; the test's pending work is committed first so the request sees it."""

    def open(self, *args, **kwargs):
        _db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


def _test_app(folder: Path) -> Flask:
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/test.sqlite",
            "BROKER_URL": f"orgwellsqla+sqlite:///{folder}/broker.sqlite",
            "BASE_URL": "http://orgwell.test",
            "WTF_CSRF_ENABLED": False,
        }
    )


@pytest.fixture(scope="session")
def empty_database(tmp_path_factory) -> Path:
    """A SQLite file with every table and no row, made once per test process: each test's
    database is a copy (create_all took a third of the app fixture's CPU, ~66 ms a test)."""
    folder = tmp_path_factory.mktemp("empty-database")
    with _test_app(folder).app_context():
        _db.create_all()
        _db.engine.dispose()
    return folder / "test.sqlite"


@pytest.fixture
def app(tmp_path, empty_database):
    shutil.copyfile(empty_database, tmp_path / "test.sqlite")
    app = _test_app(tmp_path)
    app.test_client_class = FreshContextClient
    with app.app_context():
        snapshots.track(app)
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def cli(app):
    """Invoke an `orgwell` command in-process; the test session sees what it committed."""
    runner = app.test_cli_runner()

    def invoke(*args, **kwargs):
        result = runner.invoke(args=list(args), **kwargs)
        _db.session.expire_all()
        return result

    return invoke


class AuthActions:
    """Log a test client in and out through the real login form."""

    def __init__(self, client):
        self._client = client

    def login(self, email: str, password: str = factories.PASSWORD):
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def world(db):
    """Two organisations with teams, and one user for each role the access rules know."""
    return snapshots.reuse("world", _build_world)


def _build_world() -> dict:
    org_x = factories.OrganisationFactory(name="Riverside", slug="riverside")
    org_y = factories.OrganisationFactory(name="Harbor", slug="harbor")
    clinic_a = factories.TeamFactory(organisation=org_x, name="North clinic")
    team_a = factories.TeamFactory(organisation=org_x, name="North PT", parent=clinic_a)
    team_b = factories.TeamFactory(organisation=org_x, name="South PT")
    team_y = factories.TeamFactory(organisation=org_y, name="Harbor PT")
    people = {
        "owner_x": factories.MembershipFactory(organisation=org_x, role="owner").user,
        "owner_y": factories.MembershipFactory(organisation=org_y, role="owner").user,
        "leader_a": factories.MembershipFactory(
            organisation=org_x, role="leader", teams=[clinic_a]
        ).user,
        "staff_a": factories.MembershipFactory(organisation=org_x, teams=[team_a]).user,
        "staff_b": factories.MembershipFactory(organisation=org_x, teams=[team_b]).user,
        "consultant_x": factories.ConsultantGrantFactory(organisation=org_x).consultant,
        "consultant_y": factories.ConsultantGrantFactory(organisation=org_y).consultant,
        "admin": factories.UserFactory(is_site_admin=True),
    }
    _db.session.commit()
    return {
        "org_x": org_x,
        "org_y": org_y,
        "clinic_a": clinic_a,
        "team_a": team_a,
        "team_b": team_b,
        "team_y": team_y,
        **people,
    }
