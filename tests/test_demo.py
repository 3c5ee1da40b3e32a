"""`orgwell demo`: the demo practices and accounts, loaded once however often it runs."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from orgwell.access import leader_team_ids
from orgwell.auth.models import User
from orgwell.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from orgwell.metrics import queries
from orgwell.models import (
    AuditEvent,
    ConsultantGrant,
    Membership,
    Organisation,
    OutboxMessage,
    Team,
    TeamAssignment,
)
from tests import snapshots

TABLES = (User, Organisation, Team, Membership, TeamAssignment, ConsultantGrant, AuditEvent)


def _counts(db) -> dict[str, int]:
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in TABLES
    }


@pytest.fixture
def demo(app, db):
    """What `orgwell demo` printed, the demo loaded (kept per test process: tests/snapshots.py)."""
    return snapshots.reuse("demo", lambda: _load_demo(app))


def _load_demo(app) -> SimpleNamespace:
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return SimpleNamespace(output=result.output, exit_code=result.exit_code)


def test_demo_loads_the_practices(demo, db):
    assert "Demo data loaded" in demo.output
    for email, _, _ in DEMO_ACCOUNTS:
        assert email in demo.output
    riverside = db.session.scalar(select(Organisation).filter_by(slug="riverside"))
    assert riverside.name == "Riverside Physical Therapy"
    clinics = [t for t in riverside.teams if t.is_clinic]
    assert len(clinics) == 4
    assert all(1 <= len(c.children) <= 2 for c in clinics)
    members = db.session.scalars(select(Membership).filter_by(organisation_id=riverside.id)).all()
    assert 60 <= len(members) <= 72
    assert sum(m.on_leave for m in members) == 3  # two, and one more from the programs demo
    assert [m.status for m in members].count("left") == 1
    assert all(not m.patient_facing for m in members if m.job_title == "Front desk")
    assert all(m.start_date for m in members)
    leader = next(m for m in members if m.user.email == "leader@riverside.example")
    assert leader.role == "leader"
    # She leads the clinic and answers surveys with its outpatient team.
    assert {t.name for t in leader.current_teams} == {"Riverside North", "North Outpatient"}
    assert leader_team_ids(leader) == {
        t.id for t in riverside.teams if "North" in t.name}
    # Nobody stands outside the teams (a block of one would hide a clinic in every wave).
    assert all(m.current_teams for m in members if m.status == "active")

    harbor = db.session.scalar(select(Organisation).filter_by(slug="harbor"))
    assert len([t for t in harbor.teams if t.is_clinic]) == 1
    assert db.session.scalar(
        select(func.count(Membership.id)).filter_by(organisation_id=harbor.id)
    ) == 8
    consultant = db.session.scalar(select(User).filter_by(email="consultant@flexhealth.example"))
    assert consultant.consulting_firm == "FlexHealth Consulting"
    assert db.session.scalar(
        select(func.count(ConsultantGrant.id)).filter_by(consultant_id=consultant.id)
    ) == 2
    assert db.session.scalar(select(User).filter_by(email="admin@orgwell.example")).is_site_admin
    # Every demo person has a password, so the demo mails nobody an invitation to OrgWell;
    # the only mails are the open pulse's survey invitations (Sam's is the one to try).
    assert db.session.scalar(select(func.count(User.id)).where(User.password_hash.is_(None))) == 0
    keys = db.session.scalars(select(OutboxMessage.key)).all()
    assert keys and all(key.startswith("survey.invite:") for key in keys)
    assert "staff@riverside.example" in db.session.scalars(select(OutboxMessage.to_addr)).all()


def test_demo_twice_changes_nothing(app, demo, db):
    before = _counts(db)
    again = app.test_cli_runner().invoke(args=["demo"])
    assert again.exit_code == 0
    assert "nothing changed" in again.output
    assert _counts(db) == before


HOMES = {
    "admin@orgwell.example": "/admin/",
    "owner@riverside.example": "/o/riverside/",
    "leader@riverside.example": "/o/riverside/",
    "staff@riverside.example": "/my/riverside",
    "owner@harbor.example": "/o/harbor/",
    "consultant@flexhealth.example": None,  # the list of clients, at "/" itself
}


def test_demo_accounts_log_in(app, demo):
    assert set(HOMES) == {email for email, _, _ in DEMO_ACCOUNTS}
    for email, home in HOMES.items():
        client = app.test_client()
        login = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
        assert login.status_code == 302, email
        response = client.get("/")
        if home is None:
            assert "FlexHealth Consulting — your clients" in response.get_data(as_text=True)
        else:
            assert response.headers["Location"] == home, email


def test_the_programs_demo_has_completed_overdue_and_one_excused_module(demo, db):
    from orgwell.programs.models import Assignment, Module, today

    riverside = db.session.scalar(select(Organisation).filter_by(slug="riverside"))
    assignments = db.session.scalars(
        select(Assignment).filter_by(organisation_id=riverside.id)).all()
    statuses = [a.status for a in assignments]
    assert statuses.count("completed") > 10
    assert statuses.count("excused") == 1
    assert sum(a.is_overdue_on(today()) for a in assignments) >= 1
    practice_logs = [a for a in assignments if a.status == "completed"
                     and db.session.get(Module, a.module_id).kind == "practice"]
    assert practice_logs, "the demo completes some practice logs"
    assert all(a.practice_entries for a in practice_logs)
    assert all(a.completed_at.date() in {e.day for e in a.practice_entries}
               for a in practice_logs)


def _cells(org, instrument: str, scale: str) -> list:
    return queries.burnout_series(org, queries.Filters(instrument=instrument, scale=scale),
                                  team_scope=None)[1]


def test_the_demo_results_hide_one_small_team_and_nothing_else(demo, db):
    """Every figure shows something real: one small team suppressed, and no clinic or other
    team lost to it through the differencing rule, on every scale and in participation."""
    riverside = db.session.scalar(select(Organisation).filter_by(slug="riverside"))
    small = "Riverside Downtown › Downtown Hand Therapy"
    for scale in ("personal", "work", "client"):
        cells = _cells(riverside, "cbi", scale)
        waves = {c.wave_id for c in cells}
        assert len(waves) == 18
        hidden = [c for c in cells if c.suppressed]
        assert sum(c.group.label == small for c in hidden) >= len(waves) - 2, scale
        others = [c for c in hidden if c.group.label != small]
        # Differencing hides at most one more cell in a wave, and only in a wave or two.
        per_wave = {w: sum(c.wave_id == w for c in others) for w in waves}
        assert max(per_wave.values()) <= 1 and sum(per_wave.values()) <= 2, (scale, others)
        assert len(hidden) / len(cells) <= 0.1, scale
    _k, participation = queries.participation_series(
        riverside, queries.Filters(instrument="cbi"), team_scope=None)
    assert {c.group.label for c in participation if c.suppressed} == {small}
    # The clinic whose scores improved after its program is shown in every wave.
    north = [c for c in _cells(riverside, "cbi", "work") if c.group.label == "Riverside North"]
    assert len(north) == 18 and not any(c.suppressed for c in north)
