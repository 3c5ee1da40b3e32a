"""The Procfile starts the production processes, and `honcho start` stops them all.

One run of `honcho start -f Procfile` as a deployer would do it locally: production
settings from the environment, a fresh PostgreSQL database migrated with `orgwell db
upgrade`, a Redis database number as broker. The test waits for /healthz to report the
database, broker and worker ok, checks that each of the three queues has its own worker,
then sends honcho SIGTERM and checks that no process it started is left.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.fixtures.smtp import free_port
from tests.fixtures.worker import _postgres_database, _redis_database

pytestmark = pytest.mark.services

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PROCESSES = ("web", "worker_mail", "worker_default", "worker_reports", "beat")


def _descendants(pid: int) -> set[int]:
    """Every live (not zombie) process below `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def _healthz(port: int) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:  # 503 while something is not ok yet
        return json.loads(exc.read())
    except OSError:
        return None


@pytest.fixture
def production_env(tmp_path):
    with _postgres_database() as database_url, _redis_database() as redis_url:
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("ORGWELL_")}
        env.update(
            PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
            PYTHONUNBUFFERED="1",
            ORGWELL_ENV="production",
            SECRET_KEY="procfile-test-" + "x" * 40,
            ORGWELL_INSTANCE_PATH=str(tmp_path / "instance"),
            ORGWELL_DATABASE_URL=database_url,
            ORGWELL_BROKER_URL=redis_url,
            ORGWELL_REDIS_URL=redis_url,
            ORGWELL_BASE_URL=f"http://127.0.0.1:{port}",
            ORGWELL_SMTP_HOST="127.0.0.1",
            ORGWELL_WORKER_CONCURRENCY="1",
            ORGWELL_BIND=f"127.0.0.1:{port}",
            WEB_CONCURRENCY="1",
        )
        subprocess.run(
            [str(BIN / "orgwell"), "db", "upgrade"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        yield env, port


def test_honcho_starts_every_process_and_stops_them_all(production_env, tmp_path):
    env, port = production_env
    empty_env_file = tmp_path / "empty.env"  # a developer's .env must not leak in
    empty_env_file.write_text("")
    log_path = tmp_path / "honcho.log"
    with log_path.open("wb") as log:
        honcho = subprocess.Popen(
            [
                str(BIN / "honcho"),
                "start",
                "-f",
                str(ROOT / "Procfile"),
                "-e",
                str(empty_env_file),
                "-d",
                str(ROOT),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started: set[int] = set()
    try:
        deadline = time.monotonic() + 90
        health = None
        while health != {"database": "ok", "broker": "ok", "worker": "ok"}:
            assert honcho.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, f"{health}\n{log_path.read_text()}"
            time.sleep(0.5)
            health = _healthz(port)
        output = log_path.read_text()
        for name in PROCESSES:
            assert f"{name}.1 started" in output or f"{name} started" in output, output

        inspect = subprocess.run(
            [
                str(BIN / "celery"),
                "-A",
                "worker",
                "inspect",
                "active_queues",
                "-j",
                "--timeout",
                "5",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert inspect.returncode == 0, inspect.stdout + inspect.stderr
        nodes = json.loads(inspect.stdout)
        queues = {node.split("@")[0]: [q["name"] for q in qs] for node, qs in nodes.items()}
        assert queues == {"mail": ["mail"], "default": ["default"], "reports": ["reports"]}

        started = _descendants(honcho.pid)
        honcho.send_signal(signal.SIGTERM)
        honcho.wait(timeout=60)
        # honcho sends SIGKILL to what is left after 5 s; give the kernel a moment to reap.
        deadline = time.monotonic() + 10
        while _alive(started) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(started), f"left running: {_alive(started)}\n{log_path.read_text()}"
    finally:
        if honcho.poll() is None:
            os.killpg(honcho.pid, signal.SIGKILL)
            honcho.wait()
        for pid in _alive(started | _descendants(honcho.pid)):
            os.kill(pid, signal.SIGKILL)
