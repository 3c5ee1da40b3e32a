"""`orgwell run-all`: web, worker and beat start together and stop together.

These start real processes: the command itself, as `make run` does, on a free port with its
own instance folder.
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
MIGRATIONS = Path(__file__).parent.parent / "orgwell" / "migrations" / "versions"
CHILDREN = ("web", "worker", "beat")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _group_alive(pgid: int) -> bool:
    """Whether any live (not zombie) process is left in the process group `pgid`."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def _stop_when_pytest_dies() -> None:
    """If pytest itself is killed, the kernel sends run-all SIGTERM, which stops its children."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


class RunAll:
    """`orgwell run-all` in its own process group, its output collected line by line."""

    def __init__(self, instance: Path):
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("ORGWELL_")}
        self.env.update(ORGWELL_INSTANCE_PATH=str(instance), ORGWELL_ENV="development",
                        PYTHONUNBUFFERED="1")
        self._prepare_database()
        self.port = _free_port()
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [str(BIN / "orgwell"), "run-all", "--port", str(self.port)],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True, preexec_fn=_stop_when_pytest_dies,
        )
        self.collector = threading.Thread(target=self._collect, daemon=True)
        self.collector.start()

    def _prepare_database(self) -> None:
        subprocess.run([str(BIN / "orgwell"), "db", "upgrade"], env=self.env, check=True,
                       capture_output=True, timeout=120)
        if not any(MIGRATIONS.glob("*.py")):
            # No migration written yet: build the schema from the models instead.
            script = ("from orgwell import create_app; from orgwell.extensions import db; "
                      "app = create_app(); app.app_context().push(); db.create_all()")
            subprocess.run([sys.executable, "-c", script], env=self.env, check=True,
                           timeout=120)

    def _collect(self) -> None:
        with self.process.stdout:
            for line in self.process.stdout:
                self.lines.append(line.rstrip("\n"))

    def started_pids(self) -> dict[str, int]:
        """The children the output says were started so far."""
        pids = {}
        for line in list(self.lines):
            found = re.search(r"started (\w+) \(pid (\d+)\)", line)
            if found:
                pids[found[1]] = int(found[2])
        return pids

    def child_pids(self, timeout: float = 30) -> dict[str, int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if set(pids := self.started_pids()) == set(CHILDREN):
                return pids
            time.sleep(0.1)
        raise AssertionError("children not started:\n" + self.output())

    def wait_for_login_page(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/login", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        raise AssertionError("the web server never answered:\n" + self.output())

    def output(self, last: int = 40) -> str:
        return "\n".join(self.lines[-last:])

    def kill_everything(self) -> None:
        """Last resort after a failed test: nothing may outlive it."""
        for pgid in [self.process.pid, *self.started_pids().values()]:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pgid, signal.SIGKILL)
        self.process.wait(timeout=10)


@pytest.fixture
def run_all(tmp_path):
    runner = RunAll(tmp_path / "instance")
    yield runner
    if runner.process.poll() is None or any(
        _group_alive(pid) for pid in runner.started_pids().values()
    ):
        runner.kill_everything()
    runner.collector.join(timeout=10)


def test_run_all_starts_three_children_and_sigterm_stops_them(run_all):
    pids = run_all.child_pids()
    run_all.wait_for_login_page()
    assert f"http://127.0.0.1:{run_all.port}/" in run_all.lines[0]
    assert all(_group_alive(pid) for pid in pids.values())

    started = time.monotonic()
    run_all.process.send_signal(signal.SIGTERM)
    assert run_all.process.wait(timeout=15) == 0, run_all.output()
    assert time.monotonic() - started < 15
    for name, pid in pids.items():
        assert not _group_alive(pid), f"{name} (pid {pid}) is still running"
    assert any(line.startswith("web") and "|" in line for line in run_all.lines)


def test_a_child_dying_stops_the_others(run_all):
    pids = run_all.child_pids()
    run_all.wait_for_login_page()
    os.kill(pids["beat"], signal.SIGKILL)
    assert run_all.process.wait(timeout=15) != 0, run_all.output()
    assert "beat exited unexpectedly" in run_all.output()
    for name, pid in pids.items():
        assert not _group_alive(pid), f"{name} (pid {pid}) is still running"


def test_children_stop_when_run_all_is_killed(run_all):
    pids = run_all.child_pids()
    run_all.wait_for_login_page()
    os.kill(run_all.process.pid, signal.SIGKILL)  # no chance to clean up
    run_all.process.wait(timeout=5)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and any(_group_alive(p) for p in pids.values()):
        time.sleep(0.2)
    for name, pid in pids.items():
        assert not _group_alive(pid), f"{name} (pid {pid}) outlived run-all"
