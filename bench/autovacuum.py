"""PostgreSQL's own maintenance around a benchmark's timed requests (bench/dashboard.py): vacuum
after a bulk load, and watch that autovacuum stays out of the timing."""

from __future__ import annotations

import threading

import psycopg


def vacuum(url: str) -> None:
    """VACUUM (ANALYZE) the database after a bulk load, as one would in production. A load of
    this size makes autovacuum start on the new rows by itself (PostgreSQL 13+ vacuums after
    inserts too) at a moment of its choosing, which could be during the timed requests: on 2
    cores that would slow every request. `AutovacuumWatch` reports whether it ran anyway."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


class AutovacuumWatch:
    """Counts, in the background, the samples (every 0.25 s) in which an autovacuum worker was
    busy on the database: a timed stretch with any is not the steady state it claims to be."""

    def __init__(self, admin_url: str, db_name: str) -> None:
        self.admin_url, self.db_name = admin_url, db_name
        self.samples = self.busy = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> AutovacuumWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            while not self._stop.wait(0.25):
                found = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = "
                    "'autovacuum worker' AND datname = %s", (self.db_name,)).fetchone()[0]
                self.samples += 1
                self.busy += bool(found)
