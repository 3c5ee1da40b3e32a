"""The in-memory rate-limit store, safe for a threaded web server.

limits' MemoryStorage (5.8) restarts its expiry timer without a lock: two request threads
can each build a new timer and then both start the same one, which raises "threads can only
be started once" and turns a page into a 500 (alisaifee/limits#352). Threaded servers are
what OrgWell runs (`flask run --with-threads` in run-all, gunicorn's gthread workers), so the
store used without Redis takes a lock around that step. With ORGWELL_REDIS_URL set, Redis
keeps the counts and that store is not used.

Every limit OrgWell has is declared on its view (`@limiter.limit`), and the decorator checks
it. `views_check_the_limits` drops the extension's before-request pass, which looks only for
default, application and blueprint limits and yet ran on every request (static files too).
"""
from __future__ import annotations

import threading

from flask import Flask
from flask_limiter import Limiter
from limits.storage import MemoryStorage

SCHEME = "orgwellmemory"
STORAGE_URI = f"{SCHEME}://"


class ThreadSafeMemoryStorage(MemoryStorage):
    """MemoryStorage whose expiry timer is (re)started by one thread at a time."""

    # Defining the class registers the scheme with limits (its metaclass keeps a table).
    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        self._expiry_lock = threading.Lock()
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    # MemoryStorage calls its private `__schedule_expiry`, which Python names this way.
    def _MemoryStorage__schedule_expiry(self) -> None:
        with self._expiry_lock:
            MemoryStorage._MemoryStorage__schedule_expiry(self)


def views_check_the_limits(app: Flask, limiter: Limiter) -> None:
    """Drop Flask-Limiter's before-request pass (module docstring), once every view is
    registered: 2.9% of the Python function calls of a survey link's GET + POST (issue 6).

    A default, application or blueprint limit would need that pass: declaring one makes the
    app refuse to start rather than leave it unchecked.
    """
    manager = limiter.limit_manager
    # The manager keeps blueprint limits only in this attribute (flask-limiter 4.1).
    if manager.default_limits or manager.application_limits or manager._blueprint_limits:
        raise RuntimeError(
            "a default, application or blueprint rate limit is declared, but only view "
            "decorators are checked (orgwell/rate_limits.py)"
        )
    app.before_request_funcs[None].remove(limiter._check_request_limit)
