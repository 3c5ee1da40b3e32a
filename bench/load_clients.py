"""The submission benchmark's clients: threads in a few processes, each taking fresh survey links
one after the other (GET the form, POST the answers), or GETting a static file for the
trivial-endpoint baseline. See bench/submissions.py.

A link is a different person in a different browser, so by default each link's GET and POST
share one keep-alive connection and the next link opens a new one (`per_link`). With one
connection per client for the whole run (per_link False), each client stays with the gunicorn
process that accepted it first: runs split the 20 clients 2/18, 6/14 or 11/9 at random, and the
process with few clients then idles while the other queues (the machine 73-82% busy instead of
93-96%)."""

from __future__ import annotations

import http.client
import multiprocessing
import random
import re
import resource
import threading
import time
from collections import Counter

STATIC_PATH = "/static/orgwell.css"

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
RADIO = re.compile(r'type="radio" name="(item-[^"]+)" value="([^"]+)"')


def client_process(port, mode, seconds, token_slices, results, per_link=True):
    """Run one thread per token slice (None: trivial endpoint); report through `results`."""
    start_at = time.monotonic() + 0.5
    threads, outcome = [], []
    for tokens in token_slices:
        thread = threading.Thread(
            target=_client, args=(port, mode, start_at, seconds, tokens, outcome, per_link)
        )
        threads.append(thread)
        thread.start()
    for thread in threads:
        thread.join()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    results.put((outcome, usage.ru_utime + usage.ru_stime))


def _client(port, mode, start_at, seconds, tokens, outcome, per_link):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    gets, posts, errors, accepted = [], [], Counter(), 0
    time.sleep(max(0.0, start_at - time.monotonic()))
    end = start_at + seconds
    links = iter(tokens or ())
    while time.monotonic() < end:
        try:
            if mode == "static":
                status, _, _, took = _request(conn, "GET", STATIC_PATH)
                gets.append(took)
                if status != 200:
                    errors[f"static {status}"] += 1
                else:
                    accepted += 1
                continue
            token = next(links, None)
            if token is None:
                errors["links exhausted"] += 1
                break
            status, body, cookie, took = _request(conn, "GET", f"/s/{token}")
            gets.append(took)
            if status != 200:
                errors[f"GET {status}"] += 1
                continue
            answers = {}
            for name, value in RADIO.findall(body):
                answers.setdefault(name, []).append(value)
            form = {"csrf_token": CSRF.search(body).group(1)}
            form.update({name: random.choice(values) for name, values in answers.items()})
            status, body, _, took = _request(conn, "POST", f"/s/{token}", form, cookie)
            posts.append(took)
            if status == 200 and "your answers are saved" in body:
                accepted += 1
            else:
                errors[f"POST {status}"] += 1
            if per_link:
                conn.close()  # the next link is another browser; http.client reconnects
        except (OSError, http.client.HTTPException) as exc:
            errors[type(exc).__name__] += 1
            conn.close()
    conn.close()
    outcome.append((gets, posts, errors, accepted))


def _request(conn, method, path, form=None, cookie=None):
    from urllib.parse import urlencode

    headers = {"Accept": "text/html"}
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if cookie:
        headers["Cookie"] = cookie
    started = time.perf_counter()
    conn.request(method, path, body, headers)
    response = conn.getresponse()
    data = response.read().decode("utf-8", "replace")
    took = time.perf_counter() - started
    set_cookie = response.getheader("Set-Cookie") or ""
    return response.status, data, set_cookie.split(";", 1)[0], took


def run_load(port, mode, clients, seconds, tokens=None, processes=2, per_link=True):
    """Start the clients over `processes` processes; returns (outcomes, client CPU seconds)."""
    processes = max(1, min(processes, clients))
    slices = (
        [tokens[i::clients] for i in range(clients)] if tokens is not None else [None] * clients
    )
    results = multiprocessing.Queue()
    workers = [
        multiprocessing.Process(
            target=client_process,
            args=(port, mode, seconds, slices[p::processes], results, per_link),
        )
        for p in range(processes)
    ]
    for worker in workers:
        worker.start()
    outcomes, cpu = [], 0.0
    for _ in workers:
        outcome, used = results.get()
        outcomes.extend(outcome)
        cpu += used
    for worker in workers:
        worker.join()
    return outcomes, cpu


def percentiles(values: list[float]) -> str:
    if not values:
        return "no requests"
    values = sorted(values)
    at = lambda q: values[min(len(values) - 1, int(q * len(values)))] * 1000  # noqa: E731
    return f"p50 {at(0.50):6.1f} ms  p95 {at(0.95):6.1f} ms  max {values[-1] * 1000:6.1f} ms"
