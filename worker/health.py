"""Worker lifecycle hooks: the heartbeat /healthz reads, fresh database pools per child, and
the imported objects frozen before the pool forks.

The heartbeat runs as a thread in the worker's main process, from worker_ready to
worker_shutdown, so it says "this worker is up and can reach the database" independently
of how busy the pool children are. A clean shutdown removes the worker's heartbeat row;
a killed worker's row simply grows old.
"""
from __future__ import annotations

import gc
import logging
import threading

from celery.signals import worker_init, worker_process_init, worker_ready, worker_shutdown
from flask import Flask

from orgwell.database import dispose_inherited_connections
from orgwell.extensions import db
from orgwell.health import services

logger = logging.getLogger(__name__)


def _flask_app() -> Flask:
    # The worker was started with `celery -A worker`: its entry module holds the app.
    from worker.celery import flask_app

    return flask_app


class Heartbeat(threading.Thread):
    """Writes WorkerHeartbeat(hostname) now and every `interval` seconds until stopped."""

    def __init__(self, app: Flask, hostname: str, interval: float) -> None:
        super().__init__(name="orgwell-heartbeat", daemon=True)
        self.app = app
        self.hostname = hostname
        self.interval = interval
        self._stopped = threading.Event()

    def run(self) -> None:
        while True:
            self.beat()
            if self._stopped.wait(self.interval):
                return

    def beat(self) -> None:
        try:
            with self.app.app_context():
                services.record_heartbeat(self.hostname)
                db.session.commit()
        except Exception:
            # Keep beating: the database may come back, and /healthz reports it meanwhile.
            logger.exception("could not record the worker heartbeat")

    def stop(self) -> None:
        self._stopped.set()
        self.join(timeout=self.interval)
        try:
            with self.app.app_context():
                services.forget_worker(self.hostname)
                db.session.commit()
        except Exception:
            logger.exception("could not remove the worker heartbeat")
        else:
            logger.info("heartbeat of %s stopped", self.hostname)


_running: list[Heartbeat] = []


@worker_ready.connect
def start_heartbeat(sender=None, **kwargs) -> None:
    hostname = getattr(sender, "hostname", None) or "worker"
    heartbeat = Heartbeat(
        _flask_app(), hostname, services.HEARTBEAT_INTERVAL.total_seconds()
    )
    heartbeat.start()
    _running.append(heartbeat)


@worker_shutdown.connect
def stop_heartbeat(**kwargs) -> None:
    while _running:
        _running.pop().stop()


@worker_init.connect
def freeze_imported_objects(**kwargs) -> None:
    """Keep the app's imported objects out of the children's garbage collections.

    Pool children start as copies of the main process and share its memory pages until they
    write to them; a collection in a child writes to every object it visits and so copies
    the pages of the whole imported app into each child. Freezing them first keeps those
    pages shared (the children's own objects are still collected).
    """
    gc.freeze()


@worker_process_init.connect
def reset_database_pools(**kwargs) -> None:
    dispose_inherited_connections(_flask_app())
