"""`orgwell orgs create` and `orgwell staff import`."""
from __future__ import annotations

import pytest

from orgwell.auth.models import User
from orgwell.extensions import db
from orgwell.orgs.models import ImportJob, Membership, Organisation, Team
from tests import factories
from tests.orgs.conftest import membership_of, outbox_to

GOOD = (
    "name,email,team,role\n"
    "Ada One,ada@example.org,North PT,staff\n"
    "Ben Two,ben@example.org,West clinic,leader\n"
)



def count(model) -> int:
    return db.session.scalar(db.select(db.func.count(model.id)))


def test_orgs_create_with_a_new_owner_and_password(cli, db):
    result = cli("orgs", "create", "Lakeside PT", "--owner-email", "Lee@Example.org",
                 "--owner-name", "Lee Lake", "--owner-password", "a long lake passphrase")
    assert result.exit_code == 0, result.output
    assert "Created organisation “Lakeside PT” (/o/lakeside-pt)" in result.output
    org = db.session.scalar(db.select(Organisation).filter_by(slug="lakeside-pt"))
    owner = db.session.scalar(db.select(User).filter_by(email="lee@example.org"))
    assert owner.name == "Lee Lake" and owner.has_password
    assert membership_of(owner, org).role == "owner"
    assert outbox_to("lee@example.org") == []


def test_orgs_create_without_password_invites_the_owner(cli, db):
    result = cli("orgs", "create", "Hill Rehab", "--slug", "hill", "--owner-email",
                 "hill@example.org")
    assert result.exit_code == 0, result.output
    assert "invitation" in result.output
    assert len(outbox_to("hill@example.org")) == 1


def test_orgs_create_for_an_existing_user(cli, db):
    user = factories.UserFactory(email="known@example.org")
    db.session.commit()
    result = cli("orgs", "create", "Known", "--owner-email", "known@example.org")
    assert result.exit_code == 0, result.output
    assert "Created user" not in result.output
    org = db.session.scalar(db.select(Organisation).filter_by(slug="known"))
    assert membership_of(user, org).role == "owner"


@pytest.mark.parametrize(
    "args, message",
    [
        (["X", "--owner-email", "nope"], "not a valid email"),
        (["X", "--owner-email", "a@example.org", "--slug", "Bad Slug"], "lower-case"),
        (["X", "--owner-email", "a@example.org", "--slug", "riverside"], "is taken"),
        (["X", "--owner-email", "a@example.org", "--owner-password", "short"], "at least"),
        (["", "--owner-email", "a@example.org"], "1 to 120"),
        (["X"], "--owner-email"),
    ],
)
def test_orgs_create_bad_input(cli, world, args, message):
    orgs, users = count(Organisation), count(User)
    result = cli("orgs", "create", *args)
    assert result.exit_code == 2
    assert message in result.output
    assert (count(Organisation), count(User)) == (orgs, users)


def test_orgs_create_refuses_to_set_a_password_of_an_existing_account(cli, world):
    result = cli("orgs", "create", "X", "--owner-email", world["staff_a"].email,
                 "--owner-password", "a long lake passphrase")
    assert result.exit_code == 2 and "already has an account" in result.output


def _write(tmp_path, text: str, name: str = "staff.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_staff_import_with_yes(cli, world, tmp_path):
    result = cli("staff", "import", "riverside", _write(tmp_path, GOOD), "--yes")
    assert result.exit_code == 0, result.output
    assert "Teams to create (as clinics): West clinic" in result.output
    assert "Imported 2 people" in result.output
    job = db.session.scalar(db.select(ImportJob))
    assert job.status == "done" and job.created_by_id is None
    ben = db.session.scalar(db.select(User).filter_by(email="ben@example.org"))
    assert [t.name for t in membership_of(ben, world["org_x"]).current_teams] == ["West clinic"]
    assert len(outbox_to("ada@example.org")) == 1 and len(outbox_to("ben@example.org")) == 1


def test_staff_import_asks_before_creating_teams(cli, world, tmp_path):
    path = _write(tmp_path, GOOD)
    declined = cli("staff", "import", "riverside", path, input="n\n")
    assert declined.exit_code == 1 and "Nothing imported" in declined.output
    assert count(ImportJob) == 0 and db.session.scalar(
        db.select(Team).filter_by(name="West clinic")) is None
    accepted = cli("staff", "import", "riverside", path, input="y\n")
    assert accepted.exit_code == 0, accepted.output


def test_staff_import_without_new_teams_does_not_ask(cli, world, tmp_path):
    result = cli("staff", "import", "riverside",
                 _write(tmp_path, "name,email,team\nAda,ada@example.org,South PT\n"))
    assert result.exit_code == 0, result.output


def test_staff_import_dry_run_imports_nothing(cli, world, tmp_path):
    members = count(Membership)
    result = cli("staff", "import", "riverside", _write(tmp_path, GOOD), "--dry-run")
    assert result.exit_code == 0 and "Dry run" in result.output
    assert count(Membership) == members and count(ImportJob) == 0


def test_staff_import_prints_every_error_and_exits_2(cli, world, tmp_path):
    bad = GOOD + f"Ann,{world['staff_a'].email},,\nBob,bob@example.org,,chief\n"
    members = count(Membership)
    result = cli("staff", "import", "riverside", _write(tmp_path, bad), "--yes")
    assert result.exit_code == 2
    assert "staff.csv: Line 4:" in result.output and "already a member" in result.output
    assert "staff.csv: Line 5: unknown role" in result.output
    assert count(Membership) == members


def test_staff_import_bad_arguments(cli, world, tmp_path):
    assert cli("staff", "import", "nowhere", _write(tmp_path, GOOD)).exit_code == 2
    assert cli("staff", "import", "riverside", str(tmp_path / "missing.csv")).exit_code == 2
