"""/healthz without a worker process: each check, and the answer when one fails."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest

from orgwell import create_app
from orgwell.database import utcnow
from orgwell.extensions import db as _db
from orgwell.health import services
from orgwell.health.models import WorkerHeartbeat


def _beat(db, age: timedelta, hostname: str = "celery@test") -> None:
    db.session.add(WorkerHeartbeat(hostname=hostname, last_seen_at=utcnow() - age))
    db.session.commit()


def test_healthy(client, db):
    _beat(db, timedelta(seconds=5))
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"database": "ok", "broker": "ok", "worker": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_no_worker_ever(client, db):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["worker"] == "no worker heartbeat"


def test_stale_heartbeat(client, db):
    _beat(db, timedelta(minutes=2))
    response = client.get("/healthz")
    assert response.status_code == 503
    worker = response.get_json()["worker"]
    assert re.fullmatch(r"last worker heartbeat (12\d) s ago", worker), worker


def test_newest_heartbeat_counts(client, db):
    _beat(db, timedelta(minutes=5), "celery@old")
    _beat(db, timedelta(seconds=1), "celery@new")
    assert client.get("/healthz").status_code == 200


@pytest.fixture
def other_app(tmp_path):
    """Builds an app on the fresh test database with some overrides; disposes of it after."""
    apps = []

    def build(**overrides):
        config = {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/other.sqlite",
            "BROKER_URL": f"orgwellsqla+sqlite:///{tmp_path}/broker.sqlite",
            **overrides,
        }
        app = create_app(config)
        apps.append(app)
        return app

    yield build
    for app in apps:
        with app.app_context():
            _db.session.remove()
            for engine in _db.engines.values():
                engine.dispose()
        app.extensions["celery"].close()


@pytest.mark.parametrize(
    "broker_url",
    ["redis://127.0.0.1:1/0", "orgwellsqla+sqlite:////nonexistent-orgwell-dir/broker.sqlite"],
)
def test_unreachable_broker_is_503_and_quick(other_app, broker_url):
    app = other_app(BROKER_URL=broker_url)
    started = time.monotonic()
    response = app.test_client().get("/healthz")
    assert time.monotonic() - started < 5
    assert response.status_code == 503
    body = response.get_json()
    assert body["broker"] != "ok" and body["broker"]
    assert body["database"] == "ok"


def test_unreachable_database_is_503_not_500(other_app):
    app = other_app(SQLALCHEMY_DATABASE_URI="sqlite:////nonexistent-orgwell-dir/x.sqlite")
    with app.app_context():
        checks = services.check_all()
    assert checks["database"].startswith("OperationalError")
    assert checks["worker"] == "unknown: no database"
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"].startswith("OperationalError")
