"""CPU per invitation, in one process: the fan-out's two halves, without Celery in the way.

    .venv/bin/python bench/mail_cpu.py [--n 3000] [--repeat 3]

Where `bench/fanout.py` times the whole path (worker, broker, sink), this measures what each
invitation costs the worker's CPU (`time.process_time()` of this process) on PostgreSQL:

queue    `invitations.fan_out_batch` until the wave is done, a commit after each batch: the
         links' tokens, the three templates rendered, the outbox rows inserted.
deliver  `delivery.deliver_batch` over the rows, TASK_BATCH at a time as `mail.send_batch`
         is given them: claim, build the message, SMTP to the bench sink, mark sent.

The baseline, from the same run and process: a bare smtplib loop sending N messages built
beforehand over one connection to the same sink (the fan-out benchmark's), i.e. the CPU the
SMTP conversation alone takes a client. The tasks queued by the commits go to a Redis
database nobody reads; each repeat builds a new organisation in a new database.
Figures only: nothing here passes or fails on time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.fanout import build_org, env_for, migrate  # noqa: E402
from bench.smtp_sink import SinkProcess, smtplib_baseline  # noqa: E402
from bench.stack import postgres_database, redis_database  # noqa: E402


def one_run(sink: SinkProcess, n: int) -> dict[str, float]:
    """Milliseconds of this process's CPU per invitation for each half, and the baseline."""
    from sqlalchemy import select

    from orgwell import create_app
    from orgwell.extensions import db
    from orgwell.notifications import delivery
    from orgwell.notifications.models import OutboxMessage
    from orgwell.notifications.services import TASK_BATCH
    from orgwell.surveys import campaigns, invitations
    from orgwell.surveys.models import Campaign

    with (
        tempfile.TemporaryDirectory() as folder,
        postgres_database("orgwell_bench_mailcpu") as database,
        redis_database() as broker,
    ):
        migrate(env_for(Path(folder), database, broker, sink))
        app = create_app({
            "SQLALCHEMY_DATABASE_URI": database,
            "BROKER_URL": broker,
            "BASE_URL": "http://orgwell.test",
            "MAIL_BACKEND": "smtp",
            "SMTP_HOST": sink.host,
            "SMTP_PORT": sink.port,
        })
        try:
            with app.app_context():
                campaign = db.session.get(Campaign, build_org(n))
                wave_id = campaigns.send_wave_now(campaign).id
                db.session.commit()

                start = time.process_time()
                while invitations.fan_out_batch(wave_id):
                    db.session.commit()
                queue = time.process_time() - start

                ids = list(db.session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))
                db.session.remove()
                sink.clear()
                start = time.process_time()
                for first in range(0, len(ids), TASK_BATCH):
                    delivery.deliver_batch(ids[first : first + TASK_BATCH], db.session.commit)
                    db.session.remove()  # as each task ends
                deliver = time.process_time() - start
                if not sink.wait_for(len(ids), 60) or len(ids) != n:
                    raise SystemExit(f"{sink.count} of {len(ids)} messages reached the sink")
        finally:
            app.extensions["celery"].close()

    loop: list[float] = []
    smtplib_baseline(sink, n, prebuilt=True, cpu=loop)
    (baseline,) = loop
    return {name: 1000 * value / n for name, value in
            (("queue", queue), ("deliver", deliver), ("baseline", baseline))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    sink = SinkProcess()
    sink.start()
    try:
        runs = [one_run(sink, args.n) for _ in range(args.repeat)]
    finally:
        sink.stop()
    print(f"CPU per invitation, {args.n} invitations, {args.repeat} runs (median, min-max):")
    for name, label in (("queue", "queue (fan_out_batch)"), ("deliver", "deliver (deliver_batch)"),
                        ("baseline", "baseline: bare smtplib loop")):
        values = [run[name] for run in runs]
        print(f"  {label:30} {statistics.median(values):6.3f} ms"
              f"  ({min(values):.3f}-{max(values):.3f})")
    deliver = statistics.median(run["deliver"] for run in runs)
    total = deliver + statistics.median(run["queue"] for run in runs)
    baseline = statistics.median(run["baseline"] for run in runs)
    print(f"  deliver / baseline: {deliver / baseline:.2f}x;"
          f" queue + deliver / baseline: {total / baseline:.2f}x")


if __name__ == "__main__":
    main()
