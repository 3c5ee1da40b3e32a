"""PostgreSQL restarted while survey answers come in, against the real web server (gunicorn):
while it is down every request is a quick 503 page (no hang, no traceback, no 500); once it is
back, answers are accepted again without restarting gunicorn; no accepted answer is lost."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Queue

import pytest
import requests
from sqlalchemy import func, select

from orgwell import create_app
from orgwell.extensions import db
from orgwell.notifications.models import OutboxMessage
from orgwell.surveys import invitations
from orgwell.surveys.models import Invitation, Response
from tests.faults.conftest import open_wave_of
from tests.fixtures.smtp import free_port

pytestmark = pytest.mark.services

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
SECRET_KEY = "faults-postgres-restart-not-a-real-secret"
INVITED = 300  # links to spend; a run uses a few dozen, the rest is headroom
CLIENTS = 3
CLIENT_TIMEOUT = 5  # seconds: a request that takes longer counts as a hang
# One answer for every item of cbi-work, "Often" = 75.
ANSWERS = {f"item-q{n}": "75" for n in range(7, 14)}
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
THANKS = "Thank you, your answers are saved"


@dataclass
class Outcomes:
    """What the clients saw, by phase ("before", "down", "after" the outage)."""

    phase: str = "before"
    accepted: dict[str, str] = field(default_factory=dict)  # token -> phase
    seen: Counter = field(default_factory=Counter)  # (phase, what) -> count
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, what: str, problem: str | None = None) -> None:
        with self.lock:
            self.seen[(self.phase, what)] += 1
            if problem:
                self.problems.append(f"{self.phase}: {problem}")

    def count(self, phase: str, what: str) -> int:
        with self.lock:
            return self.seen[(phase, what)]


def _check_503(response: requests.Response, outcomes: Outcomes) -> None:
    page = response.text
    if "temporarily unavailable" not in page or "Traceback" in page or "psycopg" in page:
        outcomes.note("bad 503", f"a 503 that is not the friendly page: {page[:300]!r}")
    elif "Retry-After" not in response.headers:
        outcomes.note("bad 503", "a 503 without Retry-After")


def _answer(base: str, token: str, outcomes: Outcomes) -> bool:
    """Open the link and send the answers once; True when the token is used up (accepted,
    or already used by an earlier try whose answer came back as a 503)."""
    with requests.Session() as session:
        form = session.get(f"{base}/s/{token}", timeout=CLIENT_TIMEOUT)
        if form.status_code == 503:
            outcomes.note("503")
            _check_503(form, outcomes)
            return False
        if form.status_code == 410:
            # Used: an earlier try was stored, but its answer was lost or was a 503.
            outcomes.note("used")
            return True
        if form.status_code != 200 or not CSRF_FIELD.search(form.text):
            outcomes.note(f"GET {form.status_code}", f"GET answered {form.status_code}")
            return False
        data = {"csrf_token": CSRF_FIELD.search(form.text).group(1), **ANSWERS}
        sent = session.post(f"{base}/s/{token}", data=data, timeout=CLIENT_TIMEOUT)
    if sent.status_code == 200 and THANKS in sent.text:
        with outcomes.lock:
            outcomes.accepted[token] = outcomes.phase
        outcomes.note("accepted")
        return True
    if sent.status_code == 503:
        outcomes.note("503")
        _check_503(sent, outcomes)
        return False
    if sent.status_code == 410:
        outcomes.note("used")
        return True
    outcomes.note(
        f"POST {sent.status_code}", f"POST answered {sent.status_code}: {sent.text[:200]!r}"
    )
    return False


def _client(base: str, tokens: Queue, outcomes: Outcomes, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            token = tokens.get_nowait()
        except Empty:
            return
        try:
            done = _answer(base, token, outcomes)
        except requests.Timeout:
            outcomes.note("hang", f"no answer within {CLIENT_TIMEOUT} s")
            done = False
        except requests.ConnectionError as error:
            outcomes.note("connection error", f"connection error: {error}")
            done = False
        if not done:
            tokens.put(token)  # a link not used up is tried again later
        time.sleep(0.05)  # a steady stream, not a benchmark


def _wait(predicate, timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail(
                f"gave up after {timeout:.0f} s waiting for {what}\ngunicorn log:\n{_tail(log)}"
            )
        time.sleep(0.05)


def _errors(path: Path) -> str:
    """Everything the server logged but the access lines: where a 500's traceback is."""
    if not path.exists():
        return "(no log)"
    lines = path.read_text(errors="replace").splitlines()
    return "\n".join(line for line in lines if '" HTTP/1.1" ' not in line)[-20000:]


def _tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture
def web_env(private_postgres, private_redis, tmp_path) -> dict[str, str]:
    """The environment of the web processes: a migrated database on the private cluster,
    and Redis for the rate limits, as the README's deployment has it."""
    database_url = private_postgres.create_database("orgwell_web")
    private_redis.start()  # the Redis restart test may have left it down on a failure
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORGWELL_")}
    env.update(
        # Development, not testing: TESTING would let an unhandled error escape as gunicorn's
        # own 500 instead of the app's page; production's secure cookies need https.
        ORGWELL_ENV="development",
        SECRET_KEY=SECRET_KEY,
        ORGWELL_DATABASE_URL=database_url,
        ORGWELL_INSTANCE_PATH=str(tmp_path / "instance"),
        ORGWELL_BROKER_URL=f"orgwellsqla+sqlite:///{tmp_path}/broker.sqlite",
        ORGWELL_MAIL_BACKEND="dev",
        ORGWELL_SURVEY_RATE_LIMIT="100000 per minute",
        # Deployed web processes share their rate limits in Redis (README, .env.example).
        # The in-memory default is also not thread-safe in limits 5.8 (two gthread threads
        # can start its expiry timer twice: a 500, alisaifee/limits#352).
        ORGWELL_REDIS_URL=private_redis.url(1),
        PYTHONUNBUFFERED="1",
    )
    migrate = subprocess.run(
        [str(Path(sys.executable).parent / "orgwell"), "db", "upgrade"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    return env


@pytest.fixture
def survey_links(web_env) -> list[str]:
    """The raw tokens of an open wave's invitations, read from the outbox as a person would."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": web_env["ORGWELL_DATABASE_URL"],
            "BROKER_URL": web_env["ORGWELL_BROKER_URL"],
            "SECRET_KEY": SECRET_KEY,
        }
    )
    with app.app_context():
        wave, _ = open_wave_of(INVITED)
        while invitations.fan_out_batch(wave.id):
            db.session.commit()
        db.session.commit()
        bodies = db.session.scalars(select(OutboxMessage.text_body)).all()
        tokens = [m.group(1) for b in bodies if (m := re.search(r"/s/([A-Za-z0-9_-]+)", b))]
        db.session.remove()
        db.engine.dispose()
    app.extensions["celery"].close()
    assert len(tokens) == INVITED
    return tokens


@pytest.fixture
def web_server(web_env, tmp_path):
    """gunicorn as deployed (gunicorn.conf.py when there is one), two processes."""
    port = free_port()
    config = ["-c", "gunicorn.conf.py"] if (ROOT / "gunicorn.conf.py").exists() else []
    log = tmp_path / "gunicorn.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [str(GUNICORN), *config, "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"],
            cwd=ROOT,
            env=web_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited:\n{_tail(log)}")
        try:
            return requests.get(f"{base}/login", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    try:
        _wait(up, 60, "gunicorn to answer", log)
        yield base, log
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


def test_postgres_restart_is_503_then_recovers(private_postgres, web_env, survey_links, web_server):
    base, log = web_server
    tokens: Queue = Queue()
    for token in survey_links:
        tokens.put(token)
    outcomes, stop = Outcomes(), threading.Event()
    clients = [
        threading.Thread(target=_client, args=(base, tokens, outcomes, stop), daemon=True)
        for _ in range(CLIENTS)
    ]
    for client in clients:
        client.start()
    try:
        _wait(lambda: outcomes.count("before", "accepted") >= 10, 60, "answers before", log)
        outcomes.phase = "down"
        private_postgres.stop()
        _wait(lambda: outcomes.count("down", "503") >= 10, 30, "503s while down", log)
        private_postgres.start()
        outcomes.phase = "after"
        _wait(lambda: outcomes.count("after", "accepted") >= 10, 60, "answers after", log)
    finally:
        stop.set()
        for client in clients:
            client.join(CLIENT_TIMEOUT * 3)
        if not (private_postgres.data / "postmaster.pid").exists():
            private_postgres.start()

    print(f"\nclients saw: {dict(sorted(outcomes.seen.items()))}")
    assert outcomes.problems == [], "\n".join(
        [*outcomes.problems[:20], "gunicorn log, without the access lines:", _errors(log)]
    )
    assert outcomes.count("before", "503") == 0, "a 503 before the database went down"

    # Every answer the server thanked for is stored (counted from the database itself).
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": web_env["ORGWELL_DATABASE_URL"],
            "SECRET_KEY": SECRET_KEY,
            "BROKER_URL": web_env["ORGWELL_BROKER_URL"],
        }
    )
    with app.app_context():
        answered = db.session.scalar(
            select(func.count()).select_from(Invitation).where(Invitation.answered.is_(True))
        )
        stored = db.session.scalar(select(func.count()).select_from(Response))
        db.session.remove()
        db.engine.dispose()
    app.extensions["celery"].close()
    used = sum(n for (_, what), n in outcomes.seen.items() if what == "used")
    print(
        f"accepted: {len(outcomes.accepted)}, stored: {stored}, links used: {answered}, "
        f"stored although the answer was lost: {used}"
    )
    assert stored == answered
    # Nothing accepted is lost; a link found used had its answer stored by an earlier try.
    assert stored == len(outcomes.accepted) + used
    assert outcomes.count("after", "accepted") >= 10
