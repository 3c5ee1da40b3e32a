"""Survey submissions under load: gunicorn (gunicorn.conf.py) + PostgreSQL, N clients for S s.

    .venv/bin/python bench/submissions.py [--clients 20] [--seconds 60] [--quick]
        [--links 30000] [--worker-class gthread|sync] [--workers 2] [--threads 4]
        [--connection per-link|per-client]

Builds a fresh PostgreSQL database (`orgwell db upgrade`, dropped at the end) and takes an
empty Redis database number for the rate-limit storage and the broker. The broker is only
configured, never drained: storing a response queues no job (its rollups are updated inside
the request's own transaction, orgwell/metrics/hooks.py), so no Celery worker runs.

Seeds one organisation (20 teams in 4 clinics, --links people), an anonymous `cbi` campaign
(3 scales, 19 items) and an open wave, opened with the app's own service; the links' tokens
are derived as the invitation mail does and written in one statement. Then starts gunicorn
with gunicorn.conf.py and runs the load: each client (a thread; the clients are split over a
few processes so the GIL of one does not slow the others) takes fresh links one after the
other, GETs the form (for its CSRF token, and sends back any cookie, as a browser does) and
POSTs a valid answer to every item. A submission is accepted when the POST answers 200 with the
thank-you page, which the server only renders after the response was committed.

All clients come from 127.0.0.1, so the per-address survey rate limit is raised through the
environment (ORGWELL_SURVEY_RATE_LIMIT) for the run; the printed header says so.

Connections: each link is another person's browser, so a link's GET and POST share one
keep-alive connection and the next link opens a new one (--connection per-link, the default).
--connection per-client keeps one connection per client for the whole run, as before
2026-11-27: each client then stays with the process that accepted it, the split of the clients
over the two processes is left to chance, and so is the result (bench/load_clients.py).

Prints submissions/s, latency percentiles of the POSTs and GETs, errors by kind, accepted vs
stored (must be equal), each gunicorn process's peak RSS (VmRSS every 100 ms), the clients'
own CPU time, and the ratio to a trivial endpoint (a static file of the same server, same
clients, measured first in the same run), i.e. how close the submission path is to the
server's ceiling. Figures only: nothing here passes or fails on time.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.load_clients import STATIC_PATH, percentiles, run_load  # noqa: E402
from bench.procs import children, cpu_seconds, machine_cpu, proc_kb  # noqa: E402
from bench.smtp_sink import free_port  # noqa: E402
from bench.stack import postgres_database, redis_database  # noqa: E402

BIN = Path(sys.executable).parent
RATE_LIMIT = "1000000 per minute"


# --- the stack ------------------------------------------------------------------------------


def server_env(database_url: str, redis_url: str, folder: Path, port: int, args) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ORGWELL_", "GUNICORN_"))}
    env.update(
        ORGWELL_ENV="production",
        SECRET_KEY="bench-" + secrets.token_urlsafe(32),
        ORGWELL_INSTANCE_PATH=str(folder),
        ORGWELL_DATABASE_URL=database_url,
        ORGWELL_REDIS_URL=redis_url,
        ORGWELL_BROKER_URL=redis_url,
        ORGWELL_MAIL_BACKEND="dev",
        ORGWELL_SURVEY_RATE_LIMIT=RATE_LIMIT,
        ORGWELL_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY=str(args.workers),
        GUNICORN_WORKER_CLASS=args.worker_class,
        GUNICORN_THREADS=str(args.threads),
        GUNICORN_ACCESS_LOG=str(folder / "access.log"),
    )
    return env


def seed(env: dict, n_links: int) -> tuple[int, list[str]]:
    """Organisation, teams, people, campaign and open wave; returns (wave id, link tokens)."""
    os.environ.update(env)  # the same SECRET_KEY as the server: tokens are HMACs of it
    from sqlalchemy import insert, update

    from orgwell import create_app
    from orgwell.auth.models import User
    from orgwell.auth.sessions import token_hash
    from orgwell.database import utcnow
    from orgwell.extensions import db
    from orgwell.orgs.models import Membership, Organisation, Team, TeamAssignment
    from orgwell.surveys import campaigns, waves
    from orgwell.surveys.invitations import link_token
    from orgwell.surveys.models import Invitation

    app = create_app()
    with app.app_context():
        org = Organisation(name="Bench Health", slug="bench")
        db.session.add(org)
        db.session.flush()
        clinics = [Team(organisation_id=org.id, name=f"Clinic {c}") for c in range(4)]
        db.session.add_all(clinics)
        db.session.flush()
        teams = [
            Team(organisation_id=org.id, name=f"Team {c}.{t}", parent_id=clinic.id)
            for c, clinic in enumerate(clinics)
            for t in range(5)
        ]
        db.session.add_all(teams)
        db.session.flush()
        user_ids = db.session.scalars(
            insert(User).returning(User.id),
            [{"email": f"person{i}@bench.example", "name": f"Person {i}"} for i in range(n_links)],
        ).all()
        member_ids = db.session.scalars(
            insert(Membership).returning(Membership.id),
            [
                {"user_id": uid, "organisation_id": org.id, "patient_facing": i % 3 != 0}
                for i, uid in enumerate(user_ids)
            ],
        ).all()
        today = utcnow().date()
        db.session.execute(
            insert(TeamAssignment),
            [
                {"membership_id": mid, "team_id": teams[i % len(teams)].id, "started_on": today}
                for i, mid in enumerate(member_ids)
            ],
        )
        campaign = campaigns.create_campaign(
            org,
            campaigns.CampaignSettings(
                name="Monthly pulse",
                instrument_key="cbi",
                wording="patients",
                audience="organisation",
                team_ids=[],
                mode="anonymous",
                schedule="monthly",
                start_date=today,
                open_days=7,
                reminder_max=2,
                reminder_gap_days=3,
                threshold_k=5,
            ),
        )
        wave = waves.open_wave(campaign, today, source="manual")
        tokens, rows = [], []
        for invitation_id in db.session.scalars(
            db.select(Invitation.id).where(Invitation.wave_id == wave.id)
        ):
            nonce = secrets.token_urlsafe(32)
            raw = link_token(invitation_id, nonce)
            tokens.append(raw)
            rows.append({"b_id": invitation_id, "nonce": nonce, "hash": token_hash(raw)})
        db.session.connection().execute(
            update(Invitation)
            .where(Invitation.id == db.bindparam("b_id"))
            .values(token_nonce=db.bindparam("nonce"), token_hash=db.bindparam("hash"), sent=True),
            rows,
        )
        wave_id = wave.id
        db.session.commit()
        db.engine.dispose()
    random.shuffle(tokens)
    return wave_id, tokens


def start_gunicorn(env: dict, port: int, folder: Path) -> subprocess.Popen:
    log = open(folder / "gunicorn.log", "wb")  # noqa: SIM115 - closed with the process
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", STATIC_PATH)
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"gunicorn did not answer; see {folder / 'gunicorn.log'}")


class RssSampler(threading.Thread):
    """Peak VmRSS (kB) of the gunicorn master and of every worker it forks, every 100 ms, and
    the CPU seconds each has used (the last reading before it ended)."""

    def __init__(self, master: int):
        super().__init__(daemon=True)
        self.master = master
        self.peak: dict[int, int] = {}
        self.cpu: dict[int, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.1):
            self.sample()

    def sample(self) -> None:
        for pid in [self.master, *children(self.master)]:
            rss = proc_kb(pid, "status", "VmRSS:")
            if rss:
                self.peak[pid] = max(self.peak.get(pid, 0), rss)
                self.cpu[pid] = cpu_seconds(pid)

    def web_cpu(self) -> float:
        return sum(self.cpu.values())


def stored(database_url: str, wave_id: int) -> tuple[int, int, int, int]:
    """(responses, answered invitations, wave.responded_count, rollup responded) of the wave."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT (SELECT count(*) FROM survey_responses WHERE wave_id = :w),"
                " (SELECT count(*) FROM survey_invitations WHERE wave_id = :w AND answered),"
                " (SELECT responded_count FROM survey_waves WHERE id = :w),"
                " (SELECT coalesce(sum(responded), 0) FROM metrics_participation_rollups"
                "  WHERE wave_id = :w)"
            ),
            {"w": wave_id},
        ).one()
    engine.dispose()
    return tuple(row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--quick", action="store_true", help="10 s instead of --seconds")
    parser.add_argument("--links", type=int, default=30000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="gthread", choices=("gthread", "sync"))
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--client-processes", type=int, default=2)
    parser.add_argument("--connection", default="per-link", choices=("per-link", "per-client"))
    args = parser.parse_args()
    seconds = 10.0 if args.quick else args.seconds
    baseline_seconds = max(5.0, seconds / 6)
    folder = Path(tempfile.mkdtemp(prefix="orgwell-bench-"))
    database = postgres_database("orgwell_bench_submissions")
    with database as database_url, redis_database() as redis_url:
        port = free_port()
        env = server_env(database_url, redis_url, folder, port, args)
        subprocess.run(
            [str(BIN / "orgwell"), "db", "upgrade"],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wave_id, tokens = seed(env, args.links)
        server = start_gunicorn(env, port, folder)
        sampler = RssSampler(server.pid)
        sampler.start()
        try:
            print(
                f"{args.clients} clients x {seconds:.0f} s, gunicorn {args.workers} x "
                f"{args.worker_class}"
                + (f" ({args.threads} threads)" if args.worker_class == "gthread" else "")
                + f", PostgreSQL, {os.cpu_count()} cores, {len(tokens)} links, one "
                f"connection {args.connection.replace('-', ' ')}"
            )
            print(
                f"  survey rate limit raised to {RATE_LIMIT!r} (ORGWELL_SURVEY_RATE_LIMIT):"
                " every client comes from 127.0.0.1"
            )
            base, base_cpu = run_load(
                port, "static", args.clients, baseline_seconds, processes=args.client_processes
            )
            base_rate = sum(o[3] for o in base) / baseline_seconds
            sampler.sample()
            web_before, machine_before = sampler.web_cpu(), machine_cpu()
            outcomes, cpu = run_load(
                port, "survey", args.clients, seconds, tokens, processes=args.client_processes,
                per_link=args.connection == "per-link",
            )
            sampler.sample()
            web_used = sampler.web_cpu() - web_before
            busy, total = (a - b for a, b in zip(machine_cpu(), machine_before, strict=True))
        finally:
            sampler.stop.set()
            server.terminate()
            server.wait(timeout=60)
        report(
            outcomes,
            cpu,
            seconds,
            base,
            base_rate,
            base_cpu,
            baseline_seconds,
            stored(database_url, wave_id),
            sampler.peak,
            server.pid,
            folder,
            (web_used, busy / total),
        )


def report(
    outcomes, cpu, seconds, base, base_rate, base_cpu, base_seconds, counts, peak, master, folder,
    usage,
) -> None:
    gets = [t for o in outcomes for t in o[0]]
    posts = [t for o in outcomes for t in o[1]]
    errors = sum((o[2] for o in outcomes), Counter())
    accepted = sum(o[3] for o in outcomes)
    rate = accepted / seconds
    print(
        f"  trivial endpoint ({STATIC_PATH}, {base_seconds:.0f} s): {base_rate:7.1f} req/s  "
        f"{percentiles([t for o in base for t in o[0]])}  client CPU "
        f"{100 * base_cpu / base_seconds:.0f}% of one core"
    )
    print(f"  submissions: {rate:7.1f} /s  ({accepted} accepted in {seconds:.0f} s)")
    print(f"    POST  {percentiles(posts)}")
    print(f"    GET   {percentiles(gets)}")
    print(
        f"  ratio to the trivial endpoint: submissions {rate / base_rate:.3f}, requests "
        f"{(len(gets) + len(posts)) / seconds / base_rate:.3f} (a submission is GET + POST)"
    )
    print("  errors: " + (", ".join(f"{k} {v}" for k, v in sorted(errors.items())) or "none"))
    responses, answered, responded_count, rollup = counts
    verdict = "equal" if accepted == responses == answered else "MISMATCH"
    print(
        f"  accepted {accepted}, stored responses {responses}, answered links {answered}, "
        f"wave.responded_count {responded_count}, rollup responded {rollup}: {verdict}"
    )
    print(f"  client CPU: {cpu:.1f} s = {100 * cpu / seconds:.0f}% of one core")
    web_used, busy_share = usage
    print(
        f"  web CPU (gunicorn, every process): {web_used:.1f} s = "
        f"{1000 * web_used / max(accepted, 1):.1f} ms per submission; the machine was "
        f"{100 * busy_share:.0f}% busy over the load (all cores, everything on it)"
    )
    print(
        "  peak RSS: "
        + ", ".join(
            f"{'master' if pid == master else f'worker {pid}'} {kb / 1024:.0f} MB"
            for pid, kb in sorted(peak.items(), key=lambda item: item[0] != master)
        )
    )
    if errors:
        print(f"  server log: {folder / 'gunicorn.log'}")


if __name__ == "__main__":
    main()
