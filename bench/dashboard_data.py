"""The data behind bench/dashboard.py: a large organisation grown wave by wave in PostgreSQL.

One organisation of 5,000 staff in 100 teams (ten clinics of ten teams each), an owner with a
password and an API token, one anonymous weekly campaign on the built-in `cbi-work` pulse for
every clinic (so the owner, on no team, is not in the audience). Each wave freezes all 5,000
people (WaveMember + one sent Invitation each) and stores the answers of the ~70-100 % who
respond (Response + ResponseScore, scored by the app's own `score_response`), exactly as the
demo seeder (orgwell/surveys/demo.py) stores a closed wave -- but loaded with COPY.

Waves are added going back in time from last week, so a database of N responses holds the most
recent N / ~4,400 weeks: the newest waves are the same at every size, only history grows. Team
sizes vary (a few teams of 3-6 people) and so do response rates per team and wave, so some
cells are suppressed. The caller rebuilds the rollups with the app's own rebuild service.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import uuid
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
STAFF, CLINICS, TEAMS_PER_CLINIC = 5000, 10, 10
OWNER_EMAIL, OWNER_PASSWORD = "owner@bench.example", "bench-password-123"
SLUG = "bench-health"
OPEN_DAYS = 7


def admin_url(db_name: str = "postgres") -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{db_name}"


def sqlalchemy_url(db_name: str) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{db_name}"


def create_database(name: str) -> None:
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str) -> None:
    with psycopg.connect(admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def app_env(db_name: str, instance: str) -> dict[str, str]:
    """The environment the app (migrations, gunicorn, the generator) runs with."""
    return {
        **os.environ,
        "ORGWELL_DATABASE_URL": sqlalchemy_url(db_name),
        "ORGWELL_ENV": "development",
        "SECRET_KEY": "bench-secret-key-not-for-production",
        "ORGWELL_INSTANCE_PATH": instance,
        "ORGWELL_LOGIN_RATE_LIMIT": "1000 per minute",
    }


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        [str(ROOT / ".venv/bin/orgwell"), "db", "upgrade"],
        env=env,
        check=True,
        cwd=ROOT,
        capture_output=True,
    )


class Generator:
    """Builds the organisation once, then adds weekly waves until a response count is reached.

    Runs inside the app context of `app` (the ORM for the few small rows, COPY for the bulk).
    """

    def __init__(self, app, seed: int = 20261127):
        self.app, self.rng = app, random.Random(seed)
        self.responses = 0
        self.next_week = None  # the opens_on of the next (older) wave to add

    def setup(self) -> str:
        """Create owner, organisation, teams, staff and the campaign; returns the API token."""
        from orgwell.auth.services import create_api_token, create_user
        from orgwell.extensions import db
        from orgwell.orgs.models import Team
        from orgwell.orgs.services import create_organisation
        from orgwell.surveys.instruments.library import get_version
        from orgwell.surveys.models import Campaign, CampaignTeam

        owner = create_user(OWNER_EMAIL, "Bench Owner", password=OWNER_PASSWORD)
        owner.can_create_organisations = True
        org = create_organisation("Bench Health", SLUG, owner)
        clinics, teams = [], []
        for c in range(CLINICS):
            clinic = Team(organisation_id=org.id, name=f"Clinic {c + 1:02d}")
            db.session.add(clinic)
            db.session.flush()
            clinics.append(clinic)
            for t in range(TEAMS_PER_CLINIC):
                team = Team(
                    organisation_id=org.id,
                    parent_id=clinic.id,
                    name=f"Clinic {c + 1:02d} Team {t + 1:02d}",
                )
                db.session.add(team)
                teams.append(team)
        db.session.flush()
        self.org_id = org.id
        self.parents = {t.id: t.parent_id for t in teams}
        self.version, self.instrument = get_version(org, "cbi-work")
        today = datetime.now(UTC).date()
        monday = today - timedelta(days=today.weekday())
        self.next_week = monday - timedelta(days=7 + OPEN_DAYS)  # closed a week ago
        campaign = Campaign(
            organisation_id=org.id,
            name="Weekly pulse",
            instrument_version_id=self.version.id,
            audience="teams",
            mode="anonymous",
            schedule="weekly",
            start_date=monday - timedelta(days=7 * 400),
            open_days=OPEN_DAYS,
            reminder_max=2,
            reminder_gap_days=3,
            threshold_k=5,
            status="active",
            created_by_id=owner.id,
            locked_at=datetime.combine(monday - timedelta(days=7 * 400), time(6), tzinfo=UTC),
        )
        campaign.campaign_teams = [CampaignTeam(team_id=c.id) for c in clinics]
        db.session.add(campaign)
        db.session.flush()
        self.campaign_id = campaign.id
        self._staff(db, [t.id for t in teams])
        token = create_api_token(owner, "bench")
        db.session.commit()
        return token

    def _staff(self, db, team_ids: list[int]) -> None:
        """5,000 people: most teams of 40-60, a few of 3-6 (they are suppressed)."""
        small = set(self.rng.sample(team_ids, 6))
        sizes = {t: self.rng.randint(3, 6) if t in small else 0 for t in team_ids}
        left = STAFF - sum(sizes.values())
        big = [t for t in team_ids if t not in small]
        for i in range(left):
            sizes[big[i % len(big)]] += 1
        # Teams differ in how often their people answer, and in how burnt out they are.
        self.team_rate = {t: self.rng.uniform(0.7, 1.0) for t in team_ids}
        self.team_level = {t: self.rng.gauss(40, 8) for t in team_ids}
        conn = db.session.connection().connection.driver_connection
        start = date(2020, 1, 6)
        now = datetime.now(UTC)
        first_user = _next_id(conn, "users", STAFF)
        first_member = _next_id(conn, "memberships", STAFF)
        self.members = []  # (membership id, team id, patient facing, level)
        with conn.cursor() as cur:
            with cur.copy(
                "COPY users (id, email, name, is_site_admin, active, "
                "can_create_organisations, created_at) FROM STDIN"
            ) as copy:
                for i in range(STAFF):
                    copy.write_row(
                        (
                            first_user + i,
                            f"staff{i:05d}@bench.example",
                            f"Staff {i:05d}",
                            False,
                            True,
                            False,
                            now,
                        )
                    )
            with cur.copy(
                "COPY memberships (id, user_id, organisation_id, role, job_title, "
                "patient_facing, start_date, on_leave, status, created_at) "
                "FROM STDIN"
            ) as copy:
                i = 0
                for team_id in team_ids:
                    for _ in range(sizes[team_id]):
                        facing = self.rng.random() < 0.85
                        copy.write_row(
                            (
                                first_member + i,
                                first_user + i,
                                self.org_id,
                                "staff",
                                "PT" if facing else "Front desk",
                                facing,
                                start,
                                False,
                                "active",
                                now,
                            )
                        )
                        level = self.team_level[team_id] + self.rng.gauss(0, 12)
                        self.members.append((first_member + i, team_id, facing, level))
                        i += 1
            with cur.copy(
                "COPY team_assignments (membership_id, team_id, started_on) FROM STDIN"
            ) as copy:
                for membership_id, team_id, _, _ in self.members:
                    copy.write_row((membership_id, team_id, start))

    def grow(self, target: int) -> int:
        """Add older weekly waves until at least `target` responses are stored; returns the
        number of waves added. Commits."""
        from orgwell.extensions import db

        added = 0
        conn = db.session.connection().connection.driver_connection
        while self.responses < target:
            self._wave(conn, self.next_week)
            self.next_week -= timedelta(days=7)
            added += 1
        db.session.commit()
        return added

    def _wave(self, conn, opens_on: date) -> None:
        closes_at = datetime.combine(opens_on + timedelta(days=OPEN_DAYS), time(0), tzinfo=UTC)
        factor = self.rng.uniform(0.9, 1.05)  # a busy week, a holiday
        answering = [
            m for m in self.members if self.rng.random() < min(1.0, factor * self.team_rate[m[1]])
        ]
        with conn.cursor() as cur:
            wave_id = cur.execute(
                "INSERT INTO survey_waves (campaign_id, organisation_id, opens_on, closes_at, "
                "status, source, opened_at, closed_at, invited_count, responded_count, "
                "unshuffled, rollups_token) VALUES (%s, %s, %s, %s, 'closed', 'scheduled', %s, "
                "%s, %s, %s, 0, %s) RETURNING id",
                (
                    self.campaign_id,
                    self.org_id,
                    opens_on,
                    closes_at,
                    datetime.combine(opens_on, time(6), tzinfo=UTC),
                    closes_at + timedelta(minutes=3),
                    len(self.members),
                    len(answering),
                    uuid.uuid4().hex,
                ),
            ).fetchone()[0]
            first_wm = _next_id(conn, "survey_wave_members", len(self.members))
            first_inv = _next_id(conn, "survey_invitations", len(self.members))
            answered = {m[0] for m in answering}
            with cur.copy(
                "COPY survey_wave_members (id, wave_id, membership_id, team_id, "
                "clinic_id, patient_facing) FROM STDIN"
            ) as copy:
                for i, (m, t, facing, _) in enumerate(self.members):
                    copy.write_row((first_wm + i, wave_id, m, t, self.parents[t], facing))
            with cur.copy(
                "COPY survey_invitations (id, organisation_id, wave_id, "
                "wave_member_id, membership_id, sent, reminders_sent, answered) "
                "FROM STDIN"
            ) as copy:
                for i, (m, _, _, _) in enumerate(self.members):
                    copy.write_row(
                        (
                            first_inv + i,
                            self.org_id,
                            wave_id,
                            first_wm + i,
                            m,
                            True,
                            0,
                            m in answered,
                        )
                    )
            responses, scores = [], []
            for _, team_id, facing, level in answering:
                answers, scored = self._answers(level)
                response_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
                # Anonymous: no person, and the wave's date rather than the day of answering.
                responses.append(
                    (
                        response_id,
                        self.org_id,
                        wave_id,
                        team_id,
                        opens_on,
                        facing,
                        None,
                        None,
                        answers,
                    )
                )
                scores.extend((response_id, key, score, band) for key, score, band in scored)
            self.rng.shuffle(responses)
            with cur.copy(
                "COPY survey_responses (id, organisation_id, wave_id, team_id, "
                "submitted_on, patient_facing, wording, membership_id, answers) "
                "FROM STDIN"
            ) as copy:
                for row in responses:
                    copy.write_row(row)
            with cur.copy(
                "COPY survey_response_scores (response_id, scale_key, score, band) FROM STDIN"
            ) as copy:
                for row in scores:
                    copy.write_row(row)
        self.responses += len(answering)

    _scored: dict = {}

    def _answers(self, level: float) -> tuple[str, list[tuple[str, float | None, str | None]]]:
        """One person's answers near their level (JSON text) and the app's scores of them."""
        from orgwell.surveys.scoring import score_response

        values = []
        for item, options, low, high in self._items():
            target = level + self.rng.gauss(0, 14)
            points = min(options, key=lambda v: abs(v - target))
            values.append((item, low + high - points if item.reversed else points))
        key = tuple(v for _, v in values)
        if key not in self._scored:
            answers = {item.key: value for item, value in values}
            results = score_response(self.instrument, answers)
            self._scored[key] = (
                json.dumps(answers),
                [(scale, r.score, r.band) for scale, r in results.items()],
            )
        return self._scored[key]

    def _items(self):
        if not hasattr(self, "_item_cache"):
            self._item_cache = []
            for item in self.instrument.items:
                options = [o.value for o in self.instrument.options_for(item)]
                self._item_cache.append((item, options, min(options), max(options)))
        return self._item_cache


def _next_id(conn, table: str, count: int) -> int:
    """Reserve `count` ids of `table`'s sequence; returns the first (rows are COPYed with
    explicit ids so that dependants can point at them)."""
    with conn.cursor() as cur:
        seq = cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,)).fetchone()[0]
        last = cur.execute("SELECT nextval(%s)", (seq,)).fetchone()[0]
        cur.execute("SELECT setval(%s, %s)", (seq, last + count))
    return last


def rebuild(app) -> int:
    """The app's repair path, as `orgwell metrics rebuild SLUG` runs it; returns waves."""
    from orgwell.extensions import db
    from orgwell.metrics.rebuild import rebuild_org
    from orgwell.orgs.models import Organisation

    org = db.session.scalar(select(Organisation).filter_by(slug=SLUG))
    waves = rebuild_org(org)
    db.session.commit()
    return waves


def count_responses() -> int:
    from orgwell.extensions import db
    from orgwell.surveys.models import Response

    return db.session.scalar(select(func.count()).select_from(Response))
