"""The in-memory rate-limit store, safe for a threaded web server.

limits' MemoryStorage (5.8) restarts its expiry timer without a lock: two request threads
can each build a new timer and then both start the same one, which raises "threads can only
be started once" and turns a page into a 500 (alisaifee/limits#352). Threaded servers are
what OrgWell runs (`flask run --with-threads` in run-all, gunicorn's gthread workers), so the
store used without Redis takes a lock around that step. With ORGWELL_REDIS_URL set, Redis
keeps the counts and this module is not used.
"""
from __future__ import annotations

import threading

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
