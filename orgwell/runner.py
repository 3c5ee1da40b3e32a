"""`orgwell run-all`: the web server, a Celery worker and Celery beat in one terminal.

Each child runs in its own session (process group), so Ctrl-C reaches only this supervisor,
which then stops the children in order: SIGTERM, a grace period, SIGKILL for the whole group
(a Celery worker's pool processes included). Output lines are prefixed with the child's name.
If a child dies on its own, the others are stopped and the command exits non-zero; if run-all
itself is killed, the kernel sends each child SIGTERM (Linux).
"""
from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

GRACE_SECONDS = 10
POLL_SECONDS = 0.2


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    pump: threading.Thread | None = field(default=None, repr=False)


def child_commands(port: int, instance_path: str, concurrency: int = 2) -> list[Child]:
    """The three processes, run with the executables of this virtualenv."""
    bin_dir = Path(sys.executable).parent
    schedule = str(Path(instance_path) / "celerybeat-schedule")
    return [
        # The factory is named through the installed package, so any working directory works.
        Child("web", [str(bin_dir / "flask"), "--app", "orgwell:create_app", "run",
                      "--host", "127.0.0.1", "--port", str(port), "--no-reload",
                      "--with-threads"]),
        # No -Q: one worker consumes the mail, default and reports queues.
        Child("worker", [str(bin_dir / "celery"), "-A", "worker", "worker",
                         "--loglevel=INFO", "--concurrency", str(concurrency)]),
        # Beat takes the beat lock (worker/beat_lock.py): the beat of a second run-all on the
        # same database stands by instead of sending every periodic job twice.
        Child("beat", [str(bin_dir / "celery"), "-A", "worker", "beat", "--loglevel=INFO",
                       "--schedule", schedule]),
    ]


class Supervisor:
    """Starts the children, relays their output, and stops them all together."""

    def __init__(self, children: list[Child], echo=click.echo) -> None:
        self.children = children
        self.echo = echo
        self.stopping = threading.Event()
        self._lock = threading.Lock()  # one line at a time on the terminal

    def start(self) -> None:
        try:
            self._start_all()
        except OSError:
            self.stop()  # the ones already started must not be left behind
            raise

    def _start_all(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        width = max(len(c.name) for c in self.children)
        for child in self.children:
            child.process = subprocess.Popen(
                child.argv,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
                preexec_fn=_stop_with_parent,
            )
            child.pump = threading.Thread(
                target=self._relay, args=(child, child.name.ljust(width)), daemon=True
            )
            child.pump.start()
            self._say(f"started {child.name} (pid {child.process.pid})")

    def wait(self) -> int:
        """Block until a stop signal (exit 0) or a child's unexpected death (exit 1)."""
        while not self.stopping.is_set():
            for child in self.children:
                code = child.process.poll()
                if code is not None:
                    self._say(f"{child.name} exited unexpectedly (code {code}); stopping")
                    self.stop()
                    return 1
            self.stopping.wait(POLL_SECONDS)
        self.stop()
        return 0

    def request_stop(self, signum, frame) -> None:
        self.stopping.set()

    def stop(self) -> None:
        """SIGTERM every child, wait up to GRACE_SECONDS, then SIGKILL what is left."""
        self.stopping.set()
        for child in self.children:
            if child.process and child.process.poll() is None:
                self._say(f"stopping {child.name}")
                _signal(child.process.pid, signal.SIGTERM, group=False)
        deadline = time.monotonic() + GRACE_SECONDS
        for child in self.children:
            if child.process is None:
                continue
            try:
                child.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._say(f"{child.name} did not stop in {GRACE_SECONDS} s; killing it")
            # The group goes too: a worker's pool processes must not outlive it.
            _signal(child.process.pid, signal.SIGKILL, group=True)
            child.process.wait()
        for child in self.children:
            if child.pump is not None:
                child.pump.join(timeout=2)

    def _relay(self, child: Child, label: str) -> None:
        for raw in child.process.stdout:
            self._say(raw.decode(errors="replace").rstrip("\n"), label)
        child.process.stdout.close()

    def _say(self, line: str, label: str = "run-all") -> None:
        with self._lock:
            self.echo(f"{label} | {line}")


def _stop_with_parent() -> None:
    """In the child, before exec: on Linux, SIGTERM it if run-all itself dies (even by SIGKILL)."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def _signal(pid: int, signum: int, *, group: bool) -> None:
    try:
        if group:
            os.killpg(pid, signum)  # each child leads its own group (start_new_session)
        else:
            os.kill(pid, signum)
    except (ProcessLookupError, PermissionError):
        pass


def _banner(port: int) -> list[str]:
    from orgwell.demo import DEMO_PASSWORD, account_summary

    lines = [f"OrgWell is starting on http://127.0.0.1:{port}/  (Ctrl-C stops everything)"]
    try:
        accounts = account_summary()
    except Exception:  # noqa: BLE001 - no tables yet: the banner just has no accounts
        accounts = []
    if accounts:
        lines.append(f"Demo accounts (password: {DEMO_PASSWORD}):")
        lines += accounts
    return lines


@click.command("run-all")
@click.option("--port", default=5000, show_default=True, type=int, help="The web server's port.")
@with_appcontext
def run_all_command(port: int) -> None:
    """Start the web server, a Celery worker and Celery beat; stop all three together."""
    supervisor = Supervisor(
        child_commands(
            port, current_app.instance_path, current_app.config["CELERY_WORKER_CONCURRENCY"]
        )
    )
    for line in _banner(port):
        click.echo(line)
    signal.signal(signal.SIGINT, supervisor.request_stop)
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    supervisor.start()
    code = supervisor.wait()
    click.echo("run-all | all stopped")
    sys.exit(code)
