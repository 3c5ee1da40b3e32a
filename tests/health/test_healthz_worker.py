"""/healthz against a real worker and broker, on both stacks."""
from __future__ import annotations

import re
import time
from datetime import timedelta

from orgwell import create_app
from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.health.models import WorkerHeartbeat

UNREACHABLE_BROKER = {
    "embedded": "orgwellsqla+sqlite:////nonexistent-orgwell-dir/broker.sqlite",
    "services": "redis://127.0.0.1:1/0",
    "rabbitmq": "amqp://guest:guest@127.0.0.1:1//",
}


def test_healthy_with_a_running_worker(worker_app, celery_worker):
    response = worker_app.test_client().get("/healthz")
    assert response.get_json() == {"database": "ok", "broker": "ok", "worker": "ok"}
    assert response.status_code == 200


def test_503_when_the_broker_is_unreachable(worker_stack, worker_app, celery_worker, smtp_sink):
    config = worker_stack.app_config(smtp_sink.host, smtp_sink.port)
    app = create_app({**config, "BROKER_URL": UNREACHABLE_BROKER[worker_stack.name]})
    try:
        started = time.monotonic()
        response = app.test_client().get("/healthz")
        elapsed = time.monotonic() - started
    finally:
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()
        app.extensions["celery"].close()
    body = response.get_json()
    assert response.status_code == 503
    assert (body["database"], body["worker"]) == ("ok", "ok")
    assert body["broker"] != "ok"
    assert elapsed < 5


def test_503_when_the_worker_stopped(worker_app, celery_worker):
    celery_worker.stop()  # a clean shutdown removes the worker's heartbeat
    response = worker_app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["worker"] == "no worker heartbeat"

    # A worker that was killed leaves its heartbeat behind, growing old.
    db.session.add(
        WorkerHeartbeat(hostname="celery@killed", last_seen_at=utcnow() - timedelta(seconds=90))
    )
    db.session.commit()
    response = worker_app.test_client().get("/healthz")
    assert response.status_code == 503
    worker = response.get_json()["worker"]
    assert re.fullmatch(r"last worker heartbeat (9\d) s ago", worker), worker
