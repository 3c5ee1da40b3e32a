"""What the benchmarks and the worker tests stand on: a fresh PostgreSQL database and an empty
Redis database number.

Both are claimed so that runs on the same machine do not disturb each other: a database has a
name of its own and is dropped at the end; a Redis number is claimed with REDIS_LOCK_KEY, the
one key the benchmarks and the worker tests (tests/fixtures/worker.py, which calls
`new_postgres_database` and `free_redis_number` from here) both use, so neither takes the
other's.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from urllib.parse import urlsplit

PG_ADMIN = os.environ.get(
    "ORGWELL_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS = os.environ.get("ORGWELL_BENCH_REDIS", "redis://127.0.0.1:6379")
REDIS_LOCK_KEY = "orgwell:test-stack"


@contextmanager
def new_postgres_database(admin_url: str, name: str):
    """Database `name` made on the server of `admin_url` (a leftover of that name is dropped
    first); yields its URL and drops it, connections and all, at the end."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def free_redis_number(base_url: str):
    """The URL of an empty Redis database number (15 down to 1) of the server at `base_url`,
    claimed with REDIS_LOCK_KEY and flushed afterwards; None when every number is in use."""
    import redis

    base = urlsplit(base_url)
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
    yield None


@contextmanager
def postgres_database(prefix: str):
    """A new, empty database `<prefix>_<pid>` on the benchmark server; dropped at the end."""
    with new_postgres_database(PG_ADMIN, f"{prefix}_{os.getpid()}") as url:
        yield url


@contextmanager
def redis_database():
    """An empty Redis database number of the benchmark server, flushed afterwards."""
    with free_redis_number(REDIS) as url:
        if url is None:
            raise SystemExit("no empty Redis database number (1-15)")
        yield url
