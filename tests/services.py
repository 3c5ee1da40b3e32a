"""Whether PostgreSQL, Redis and RabbitMQ (and rabbitmqctl) are here, and what a test that
needs them should do if not.

With CI=true (or ORGWELL_TEST_SERVICES=1) a missing service fails the test; elsewhere the
test is skipped with a reason that says how to run it.
"""
from __future__ import annotations

import os
import shutil
import socket

import pytest

POSTGRES_URL = os.environ.get(
    "ORGWELL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("ORGWELL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
RABBITMQ_URL = os.environ.get("ORGWELL_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672//")

SERVICES_REQUIRED = os.environ.get("CI") == "true" or os.environ.get("ORGWELL_TEST_SERVICES") == "1"
HOW_TO = (
    "needs {name} on {addr}; start it, and run with CI=true (or ORGWELL_TEST_SERVICES=1) "
    "to make its absence a failure"
)


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def require(name: str, host: str = "127.0.0.1", port: int = 0) -> None:
    """Skip (or, on CI, fail) the calling test unless `name` listens on host:port."""
    if _reachable(host, port):
        return
    message = HOW_TO.format(name=name, addr=f"{host}:{port}")
    if SERVICES_REQUIRED:
        pytest.fail(f"{name} is not reachable on {host}:{port}: {message}")
    pytest.skip(message)


def require_postgres() -> str:
    require("PostgreSQL", port=5432)
    return POSTGRES_URL


def require_redis() -> str:
    require("Redis", port=6379)
    return REDIS_URL


def require_rabbitmq() -> str:
    require("RabbitMQ", port=5672)
    return RABBITMQ_URL


def require_executable(name: str) -> str:
    """The path of the command `name`; skip (or, on CI, fail) the calling test without it."""
    path = shutil.which(name)
    if path is not None:
        return path
    message = (f"needs the {name} command on PATH; run with CI=true (or "
               "ORGWELL_TEST_SERVICES=1) to make its absence a failure")
    if SERVICES_REQUIRED:
        pytest.fail(message)
    pytest.skip(message)
