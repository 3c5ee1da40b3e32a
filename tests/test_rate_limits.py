"""The in-memory rate-limit store under many threads (orgwell/rate_limits.py)."""
from __future__ import annotations

import sys
import threading
import time

import pytest
from limits.storage import MemoryStorage, storage_from_string

from orgwell import create_app
from orgwell.rate_limits import STORAGE_URI, ThreadSafeMemoryStorage


def _hammer(storage: MemoryStorage, rounds: int = 8, threads: int = 16) -> list[Exception]:
    """Many threads counting hits while the expiry timer keeps finishing and restarting."""
    errors: list[Exception] = []

    def count() -> None:
        try:
            for i in range(1500):
                storage.incr(f"key{i % 7}", 1)
                if i % 50 == 0:
                    time.sleep(0.0105)  # just past the 10 ms timer: it has to restart
        except RuntimeError as error:
            errors.append(error)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible: races show
    try:
        for _ in range(rounds):
            workers = [threading.Thread(target=count) for _ in range(threads)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
    finally:
        sys.setswitchinterval(interval)
    return errors


def test_the_app_default_store_is_the_thread_safe_one(app):
    assert app.config["RATELIMIT_STORAGE_URI"] == STORAGE_URI
    assert isinstance(storage_from_string(STORAGE_URI), ThreadSafeMemoryStorage)


def test_counting_from_many_threads_never_restarts_the_timer_twice():
    storage = ThreadSafeMemoryStorage()
    assert _hammer(storage) == []
    assert storage.get("key0") > 0


def test_only_the_views_check_limits(app):
    """The extension's before-request pass is gone (orgwell/rate_limits.py); the views' own
    checks are tested where they are (login, sign-up, survey links)."""
    from orgwell.extensions import limiter

    assert limiter._check_request_limit not in app.before_request_funcs[None]


def test_a_limit_no_view_would_check_stops_the_app():
    from orgwell.extensions import limiter

    try:
        with pytest.raises(RuntimeError, match="only view decorators are checked"):
            create_app({"RATELIMIT_DEFAULT": "100 per minute"})
    finally:
        # The extension is one object per process and keeps the default it was given.
        limiter.limit_manager.set_default_limits([])
