"""Rate limits: the views' decorator, and an in-memory store safe for a threaded web server.

limits' MemoryStorage (5.8) restarts its expiry timer without a lock: two request threads
can each build a new timer and then both start the same one, which raises "threads can only
be started once" and turns a page into a 500 (alisaifee/limits#352). Threaded servers are
what OrgWell runs (`flask run --with-threads` in run-all, gunicorn's gthread workers), so the
store used without Redis takes a lock around that step. With ORGWELL_REDIS_URL set, Redis
keeps the counts and that store is not used.

Every limit OrgWell has is declared on its view with `per_address`, which counts hits in the
extension's storage with its strategy (the Redis store and fixed window Flask-Limiter was
configured with) and nothing more: Flask-Limiter's own decorator resolved, filtered and
re-parsed the view's limits and kept per-request state on every call, 4-5% of the web's
CPU on a survey link (py-spy, bench/submissions.py). `views_check_the_limits` drops the
extension's before-request pass, which looks only for default, application and blueprint
limits and yet ran on every request (static files too).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from functools import lru_cache, wraps

from flask import Flask, abort, request
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage

from orgwell.extensions import limiter

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


def views_check_the_limits(app: Flask) -> None:
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
    # RATELIMIT_ENABLED = False: the extension registered no pass to drop.
    passes = app.before_request_funcs.get(None, [])
    if limiter._check_request_limit in passes:
        passes.remove(limiter._check_request_limit)


def per_address(limit_of: Callable[[], str], methods: Iterable[str] | None = None):
    """Decorate a view: at most `limit_of()` requests (limits' notation, "120 per minute") per
    client address to this view, for the given methods (None: all); beyond it, a 429 page.

    The limit is read on each request, so a test or a deployment can change it in the config.
    The count is kept under the view's endpoint: each decorated view has its own budget.
    """
    wanted = None if methods is None else frozenset(m.upper() for m in methods)

    def decorate(view):
        @wraps(view)
        def limited(*args, **kwargs):
            if limiter.enabled and (wanted is None or request.method in wanted):
                item = _parsed(limit_of())
                if not limiter.limiter.hit(item, request.endpoint, get_remote_address()):
                    abort(429)
            return view(*args, **kwargs)

        return limited

    return decorate


@lru_cache(maxsize=16)
def _parsed(limit: str) -> RateLimitItem:
    return parse(limit)
