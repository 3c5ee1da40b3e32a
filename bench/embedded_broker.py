"""Mail fan-out on the embedded defaults: SQLite database + SQLite broker, one real worker.

Queues N messages through the outbox (dev mail backend, so the broker and database are
what is measured), starts `celery -A worker worker`, and times until every row is sent.
Runs twice: with OrgWell's embedded transport (polled every 150 ms) and with kombu's stock
SQLAlchemy transport (polled every second), and prints both rates and their ratio.

    .venv/bin/python bench/embedded_broker.py [N]
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

BIN = Path(sys.executable).parent


def run(n: int, scheme: str) -> float:
    from orgwell import create_app
    from orgwell.extensions import db
    from orgwell.notifications.models import OutboxMessage
    from orgwell.notifications.services import queue_mail

    folder = Path(tempfile.mkdtemp(prefix="orgwell-bench-"))
    database = f"sqlite:///{folder}/orgwell.sqlite"
    broker = f"{scheme}+sqlite:///{folder}/broker.sqlite"
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "BROKER_URL": broker})
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORGWELL_")}
    env.update(
        ORGWELL_ENV="testing", ORGWELL_INSTANCE_PATH=str(folder), ORGWELL_DATABASE_URL=database,
        ORGWELL_BROKER_URL=broker, ORGWELL_MAIL_BACKEND="dev",
    )
    with app.app_context():
        db.create_all()
        worker = subprocess.Popen(
            [str(BIN / "celery"), "-A", "worker", "worker", "-c", "2", "--loglevel=WARNING"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(4)  # worker start-up is not part of the figure
            start = time.perf_counter()
            for i in range(n):
                queue_mail(f"bench:{i}", f"person{i}@example.org", "reset",
                           user={"name": f"Person {i}"}, link="http://x/y", valid_hours=2)
            db.session.commit()  # the after-commit hook hands all n ids to the broker
            count = select(func.count()).where(OutboxMessage.status == "sent")
            while db.session.scalar(count) < n:
                time.sleep(0.05)
                db.session.rollback()
            return time.perf_counter() - start
        finally:
            worker.terminate()
            worker.wait(timeout=30)
            db.engine.dispose()


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    print(f"{n} mails, one worker (-c 2), {os.cpu_count()} cores")
    ours = run(n, "orgwellsqla")
    print(f"  orgwell embedded transport: {ours:6.1f} s  {n / ours:6.1f} mails/s")
    stock = run(n, "sqla")
    print(f"  kombu stock sqla transport: {stock:6.1f} s  {n / stock:6.1f} mails/s")
    print(f"  ratio: {stock / ours:.1f}x faster")


if __name__ == "__main__":
    main()
