"""What the benchmarks stand on: a fresh PostgreSQL database and an empty Redis database number.

Both are claimed so that a test run on the same machine is not disturbed: the database has a
name of its own and is dropped at the end; the Redis number is claimed with the key the worker
tests use for theirs (tests/fixtures/worker.py), so neither takes the other's.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from urllib.parse import urlsplit

PG_ADMIN = os.environ.get(
    "ORGWELL_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS = os.environ.get("ORGWELL_BENCH_REDIS", "redis://127.0.0.1:6379")
REDIS_LOCK_KEY = "orgwell:test-stack"  # the worker tests' claim on a database number


@contextmanager
def postgres_database(prefix: str):
    """A new, empty database `<prefix>_<pid>`; dropped (connections and all) at the end."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{os.getpid()}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def redis_database():
    """An empty Redis database number (15 down to 1), flushed afterwards."""
    import redis

    base = urlsplit(REDIS)
    for number in range(15, 0, -1):
        url = base._replace(path=f"/{number}").geturl()
        client = redis.Redis.from_url(url)
        try:
            if client.dbsize() == 0 and client.set(REDIS_LOCK_KEY, os.getpid(), nx=True, ex=3600):
                try:
                    yield url
                finally:
                    client.flushdb()
                return
        finally:
            client.close()
    raise SystemExit("no empty Redis database number (1-15)")
