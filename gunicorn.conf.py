"""gunicorn settings for OrgWell: `gunicorn -c gunicorn.conf.py wsgi:app`.

Every value can be changed from the environment without editing this file (the names are
the ones platforms already set: PORT, WEB_CONCURRENCY) or with gunicorn's own command-line
flags, which win over this file. bench/submissions.py runs the app with exactly this file.
"""

from __future__ import annotations

import gc
import os
import re

from gunicorn import glogging


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


# ORGWELL_BIND is a full address (host:port, or unix:/path); PORT alone is what PaaS platforms
# set, and then the app must listen on every interface of its container.
if os.environ.get("ORGWELL_BIND"):
    bind = [os.environ["ORGWELL_BIND"]]
elif os.environ.get("PORT"):
    bind = [f"0.0.0.0:{os.environ['PORT']}"]
else:
    bind = ["127.0.0.1:8000"]

# Two processes on two cores: a request is mostly Python (templates, forms, SQLAlchemy) under
# one GIL per process, so one process per core uses the CPU; more processes only add memory
# (each is a full app, about 130 MB resident in bench/submissions.py, part of it shared with
# the preloaded master) and database connections. Set WEB_CONCURRENCY to the number of cores.
workers = _int("WEB_CONCURRENCY", 2)

# gthread: each process runs a few threads. The database and Redis round trips of a request
# release the GIL, so a second thread uses the time the first one waits, and threaded workers
# keep client connections alive (sync workers close every connection after one request and
# must sit behind a buffering proxy for slow clients). Threads per process stay below the
# SQLAlchemy pool (5 + 10 overflow, orgwell/database.py) so that no request waits for a
# connection. With bench/submissions.py (20 clients) gthread gave 1.4x the submissions/s of
# sync and 3x the requests/s on a static file; 2 or 8 threads showed no clear difference from
# 4 on a busy machine (re-measure with --threads). GUNICORN_WORKER_CLASS=sync switches back.
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = _int("GUNICORN_THREADS", 4)
# Client connections a process holds at once, idle keep-alive ones included (gthread only);
# beyond this, new connections wait in the listen queue.
worker_connections = _int("GUNICORN_WORKER_CONNECTIONS", 200)
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# A request that runs longer than this is stuck (the slowest page, a results page with charts,
# takes well under a second; exports run in the worker): the master kills and replaces the
# process instead of letting it hold a slot for ever.
timeout = _int("GUNICORN_TIMEOUT", 30)
# On SIGTERM (a deploy) requests in flight may finish for this long before the process exits.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)

# Memory: a long-lived Python process only grows (fragmentation, caches filled by rare pages).
# A process is replaced after this many requests; the jitter spreads the restarts so the two
# processes never restart at the same moment and the site never stops answering. A restart is
# not free: the new process starts with cold caches (templates, compiled statements, the
# results pages' decided waves: a results page's first request took 0.5-0.8 s at a million
# responses) and new database connections. At 5,000, bench/submissions.py replaced each
# process every ~30 s and gave 142 submissions/s with the machine 77% busy; at 50,000, 176/s
# with it 93% busy, and a process stayed at 129 MB after 10,000 requests (bench/RESULTS.md).
# A clinic's traffic reaches 50,000 requests in days, a busy site in minutes.
max_requests = _int("GUNICORN_MAX_REQUESTS", 50000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 5000)

# Load the app once in the master, then fork: the workers share the imported code
# copy-on-write (less memory than importing it in each), a broken app fails at start instead
# of in a restart loop, and a replaced process (max_requests) starts in milliseconds. The price
# is fork safety: nothing may hold a connection across the fork. create_app opens no
# database connection, and post_fork below drops any pooled one all the same, so each process
# opens its own (two processes on one PostgreSQL socket garble each other's conversations).
# Code changes then need a full restart (SIGHUP reloads config, not preloaded code).
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") not in ("0", "false", "no")

# Access log on stdout in the usual "combined" shape plus the time taken in microseconds (%D),
# what one looks at first when pages feel slow. A survey link carries its credential in the
# path (/s/<token>), and the referer of a sent form is that link: `TokenMaskingLogger` writes
# them as /s/... so the tokens never reach a log file.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(D)sus'


class TokenMaskingLogger(glogging.Logger):
    """gunicorn's logger with survey-link tokens cut out of the request line and referer.

    gunicorn's atoms also hold every request header, response header and environ variable
    (about 50 entries, each then copied with its quotes escaped) for formats that name them
    as {name}i, {name}o or {name}e. The format above names none, so only the environ
    variables the plain atoms read are passed on: a line costs a fifth less (73 -> 59 us in
    a loop), and the access log was 6% of the web's CPU on a survey link (py-spy). A format
    that names such atoms (--access-logformat) gets all of them, as in gunicorn.
    """

    def atoms(self, resp, req, environ, request_time):
        if "{" not in self.cfg.access_log_format:
            resp = _StatusOnly(resp.status, getattr(resp, "sent", None))
            req = ()
            environ = {key: environ[key] for key in _PLAIN_ATOM_ENVIRON if key in environ}
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = _SURVEY_TOKEN.sub(r"\1...", atoms[key])
        return atoms


_SURVEY_TOKEN = re.compile(r"(/s/)[^/?\s\"]+")
# What gunicorn's plain atoms (h, u, r, m, U, q, H, f, a...) read from the environ.
_PLAIN_ATOM_ENVIRON = (
    "REMOTE_ADDR", "REQUEST_METHOD", "RAW_URI", "SERVER_PROTOCOL", "PATH_INFO", "QUERY_STRING",
    "HTTP_REFERER", "HTTP_USER_AGENT", "HTTP_AUTHORIZATION",
)


class _StatusOnly:
    """The parts of a response the plain atoms read: status and bytes sent, no headers."""

    headers = ()

    def __init__(self, status, sent):
        self.status, self.sent = status, sent


logger_class = TokenMaskingLogger

# gunicorn believes X-Forwarded-Proto (https or not: secure cookies, HSTS, external URLs) only
# from these addresses; its default is 127.0.0.1. Behind a reverse proxy on another host set
# FORWARDED_ALLOW_IPS to that proxy's address, never "*" on a host clients reach directly.
# The app reads X-Forwarded-For itself only with ORGWELL_PROXY_HOPS set (orgwell/security.py):
# set it to 1 behind one proxy, or the rate limits count every client as the proxy.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# The default temporary directory may be on disk; the heartbeat file is touched every second.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None


def pre_fork(server, worker):
    """Right before each fork, move every object of the preloaded app into the permanent
    generation (gc.freeze, as Python's gc documentation advises for fork without exec). A
    worker's collector then never walks the ~165,000 objects the imports made (a full
    collection of them took 100 ms), and does not write to the pages that hold them, which
    stay shared with the master: after 400 requests on the demo data, the summed PSS of the
    master and two workers was 152 MB with this, 187 MB without."""
    if preload_app:
        gc.freeze()


def post_fork(server, worker):
    """Each worker starts with empty SQLAlchemy pools (see preload_app above)."""
    if not preload_app:
        return
    from orgwell.database import dispose_inherited_connections

    dispose_inherited_connections(worker.app.wsgi())
