"""Task routing: mail, default and reports queues, and a worker that listens to mail only.

Production runs one worker per queue so that a long export never delays an invitation;
these tests hold the routing table to that, and show on each stack's real broker that a
`-Q mail` worker delivers mail while an export waits for the reports worker.
"""

from __future__ import annotations

import pytest
from flask import current_app

from orgwell.extensions import db
from tests.fixtures.worker import WorkerProcess
from tests.notifications.helpers import queue_reset_mail
from worker.exports import run_export, sweep_exports

ROUTES = {
    "mail.send": "mail",
    "mail.sweep": "mail",
    "metrics.run_export": "reports",
    "metrics.refresh_org": "reports",
    "metrics.refresh": "default",
    "metrics.sweep_exports": "default",
    "surveys.fan_out": "default",
    "staff.run_import": "default",
}


@pytest.mark.parametrize(("task", "queue"), ROUTES.items())
def test_each_task_goes_to_its_queue(app, task, queue):
    celery = app.extensions["celery"]
    celery.loader.import_default_modules()
    assert task in celery.tasks
    assert celery.amqp.router.route({}, task)["queue"].name == queue


def test_every_periodic_task_has_a_queue(app):
    celery = app.extensions["celery"]
    queues = {queue.name for queue in celery.conf.task_queues}
    assert queues == {"mail", "default", "reports"}
    for entry in celery.conf.beat_schedule.values():
        assert celery.amqp.router.route({}, entry["task"])["queue"].name in queues


def _waiting(queue: str) -> int:
    """Messages ready in `queue` on the app's broker (none consumed by this)."""
    celery = current_app.extensions["celery"]
    with celery.connection_for_write() as conn:
        return conn.default_channel.queue_declare(queue=queue, passive=True).message_count


def _purge(*queues: str) -> None:
    celery = current_app.extensions["celery"]
    with celery.connection_for_write() as conn:
        for queue in queues:
            conn.default_channel.queue_purge(queue)


def test_a_mail_worker_sends_mail_and_leaves_reports_alone(
    worker_stack, worker_process, worker_app, smtp_sink
):
    # The stack's shared worker consumes every queue: down for this test (the next test
    # that asks for celery_worker starts it again).
    worker_process.stop()
    mail_worker = WorkerProcess(
        worker_stack,
        smtp_sink.host,
        smtp_sink.port,
        processes=1,
        queues=("mail",),
        label="mail-worker",
    )
    try:
        # Queued before the mail: were they routed to the mail queue, the worker would
        # take them first, and they would be gone by the time the mail arrives.
        run_export.delay(0)
        sweep_exports.delay()
        queue_reset_mail("queues:reset", "queues@example.com")
        db.session.commit()
        mail_worker.start()

        smtp_sink.wait_for(1, timeout=30)
        assert smtp_sink.outbox_keys == ["queues:reset"]
        assert _waiting("reports") == 1
        assert _waiting("default") == 1
    finally:
        mail_worker.close()
        _purge("reports", "default")
