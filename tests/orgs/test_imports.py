"""The staff CSV import: upload, preview, confirm, the import service and the worker task."""
from __future__ import annotations

import io

from orgwell.auth.models import User
from orgwell.extensions import db
from orgwell.notifications.models import OutboxMessage
from orgwell.orgs import imports
from orgwell.orgs.models import ImportJob, Membership, Team
from tests import factories
from tests.orgs.conftest import membership_of, outbox_to
from worker.staff import run_import as run_import_task

GOOD = (
    "name,email,team,role,job_title,patient_facing,start_date\n"
    "Ada One,ada@example.org,North PT,staff,PT,yes,2025-02-03\n"
    "Ben Two,ben@example.org,West clinic,leader,Manager,no,\n"
    "Cy Three,cy@example.org,west CLINIC,,,,\n"
    "Dee Four,dee@example.org,,,,,\n"
)
BAD = GOOD + "Eve Five,not-an-email,,,,,\n"


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count(model.id)))


def upload(client, text: str, filename: str = "staff.csv"):
    return client.post(
        "/o/riverside/staff/import/",
        data={"file": (io.BytesIO(text.encode()), filename)},
        content_type="multipart/form-data",
    )


def run(job_id: int, batch_size: int = 2) -> None:
    for _ in imports.run_import(job_id, batch_size=batch_size):
        db.session.commit()


# --- through the pages ---------------------------------------------------------------------


def test_a_file_with_a_bad_row_imports_nothing(client, login_as, world):
    login_as("owner_x")
    users, jobs = count(User), count(ImportJob)
    response = upload(client, BAD)
    assert response.status_code == 200
    html = response.data.decode()
    assert "Nothing was imported" in html and "“not-an-email” is not a valid email" in html
    assert ">6<" in html  # the line number of the bad row
    assert (count(User), count(ImportJob)) == (users, jobs)


def test_fixed_file_preview_then_confirm_queues_the_job_once(client, login_as, world):
    login_as("owner_x")
    response = upload(client, GOOD)
    assert response.status_code == 302
    job = db.session.scalar(db.select(ImportJob))
    assert (job.status, job.total, job.new_teams) == ("preview", 4, ["West clinic"])
    preview = client.get(response.headers["Location"]).data.decode()
    for name in ("Ada One", "Ben Two", "Cy Three", "Dee Four"):
        assert name in preview
    assert "will be created" in preview and "West clinic" in preview
    users = count(User)

    assert client.post(f"/o/riverside/staff/import/{job.id}/confirm").status_code == 302
    db.session.refresh(job)
    assert job.status == "queued"
    # a second confirmation (double click) does not queue it again
    again = client.post(f"/o/riverside/staff/import/{job.id}/confirm", follow_redirects=True)
    assert "confirmed already" in again.data.decode()
    assert count(User) == users  # nothing is created until the worker runs

    page = client.get(f"/o/riverside/staff/import/{job.id}").data.decode()
    assert "import-progress.js" in page and 'data-status-url="' in page
    status = client.get(f"/o/riverside/staff/import/{job.id}/status").get_json()
    assert status == {"id": job.id, "status": "queued", "processed": 0, "total": 4,
                      "percent": 0, "error": None, "finished": False}

    run_import_task(job.id)
    status = client.get(f"/o/riverside/staff/import/{job.id}/status").get_json()
    assert status["status"] == "done" and status["percent"] == 100 and status["finished"]
    summary = client.get(f"/o/riverside/staff/import/{job.id}").data.decode()
    assert "Import finished" in summary and "/o/riverside/staff" in summary
    assert "import-progress.js" not in summary
    assert count(User) == users + 4


def test_upload_form_errors(client, login_as, world):
    login_as("owner_x")
    assert client.get("/o/riverside/staff/import/").status_code == 200
    missing = client.post("/o/riverside/staff/import/", data={},
                          content_type="multipart/form-data")
    assert missing.status_code == 200 and "Choose a CSV file" in missing.data.decode()
    wrong = upload(client, GOOD, filename="staff.exe")
    assert wrong.status_code == 200 and "Upload a .csv file" in wrong.data.decode()
    binary = client.post("/o/riverside/staff/import/",
                         data={"file": (io.BytesIO(b"\xff\xfe\x00bad"), "x.csv")},
                         content_type="multipart/form-data")
    assert binary.status_code == 200 and "not UTF-8" in binary.data.decode()
    assert count(ImportJob) == 0


def test_other_organisations_jobs_do_not_exist(client, login_as, world):
    job, _ = imports.prepare_import(world["org_y"], "y.csv", GOOD.encode())
    db.session.commit()
    login_as("owner_x")
    for method, suffix in [("get", ""), ("post", "/confirm"), ("get", "/status")]:
        response = getattr(client, method)(f"/o/riverside/staff/import/{job.id}{suffix}")
        assert response.status_code == 404
    db.session.refresh(job)
    assert job.status == "preview"


def test_only_owners_import(client, login_as, world):
    login_as("leader_a")
    assert upload(client, GOOD).status_code == 403


# --- the service, run directly -------------------------------------------------------------


def _prepared(world, text: str = GOOD, by=None) -> ImportJob:
    job, checked = imports.prepare_import(world["org_x"], "staff.csv", text.encode(),
                                          by or world["owner_x"])
    assert job is not None, checked.errors
    assert imports.confirm_import(job)
    db.session.commit()
    return job


def test_run_creates_teams_people_assignments_and_one_invitation_each(world):
    job = _prepared(world)
    run(job.id)
    db.session.refresh(job)
    assert (job.status, job.processed, job.error) == ("done", 4, None)
    assert job.finished_at is not None
    west = db.session.scalar(db.select(Team).filter_by(name="West clinic"))
    assert west.is_clinic and west.organisation_id == world["org_x"].id
    by_email = {}
    for email in ("ada@example.org", "ben@example.org", "cy@example.org", "dee@example.org"):
        user = db.session.scalar(db.select(User).filter_by(email=email))
        by_email[email] = membership_of(user, world["org_x"])
        assert len(outbox_to(email)) == 1
    ada, ben = by_email["ada@example.org"], by_email["ben@example.org"]
    assert [t.name for t in ada.current_teams] == ["North PT"]
    assert ada.team_assignments[0].started_on.isoformat() == "2025-02-03"
    assert (ben.role, ben.job_title, ben.patient_facing) == ("leader", "Manager", False)
    assert [t.name for t in by_email["cy@example.org"].current_teams] == ["West clinic"]
    assert by_email["dee@example.org"].current_teams == []


def test_running_twice_changes_nothing(world):
    job = _prepared(world)
    run(job.id)
    state = (count(User), count(Membership), count(Team), count(OutboxMessage))
    run(job.id)
    run_import_task(job.id)
    assert (count(User), count(Membership), count(Team), count(OutboxMessage)) == state


def test_progress_is_committed_in_batches(world):
    job = _prepared(world)
    seen = []
    for step in imports.run_import(job.id, batch_size=1):
        db.session.commit()
        seen.append((step.status, step.processed))
    assert seen == [("running", 0), ("running", 1), ("running", 2), ("running", 3),
                    ("done", 4)]


def test_a_stopped_run_resumes_where_it_stopped(world):
    job = _prepared(world)
    steps = imports.run_import(job.id, batch_size=2)
    next(steps)  # claimed, teams created
    db.session.commit()
    next(steps)  # two people done
    db.session.commit()
    steps.close()  # the worker dies here
    db.session.refresh(job)
    assert (job.status, job.processed) == ("running", 2)
    run_import_task(job.id)
    db.session.refresh(job)
    assert (job.status, job.processed) == ("done", 4)
    assert count(OutboxMessage) == 4


def test_people_who_became_members_after_the_preview_fail_the_job(world):
    job = _prepared(world)
    factories.MembershipFactory(organisation=world["org_x"], user__email="ben@example.org")
    db.session.commit()
    users = count(User)
    run(job.id)
    db.session.refresh(job)
    assert job.status == "failed" and "ben@example.org" in job.error
    assert count(User) == users and db.session.scalar(
        db.select(Team).filter_by(name="West clinic")) is None


def test_existing_users_join_without_a_new_invitation(world):
    job = _prepared(world, f"name,email\nSomeone,{world['owner_y'].email}\n")
    run(job.id)
    assert membership_of(world["owner_y"], world["org_x"]).role == "staff"
    assert outbox_to(world["owner_y"].email) == []


def test_a_preview_job_is_not_run(world):
    job, _ = imports.prepare_import(world["org_x"], "s.csv", GOOD.encode())
    db.session.commit()
    run(job.id)
    db.session.refresh(job)
    assert job.status == "preview" and count(OutboxMessage) == 0


def test_an_unexpected_error_marks_the_job_failed(world, monkeypatch):
    job = _prepared(world)

    def explode(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(imports, "add_person", explode)
    run_import_task(job.id)
    db.session.refresh(job)
    assert job.status == "failed" and "unexpected error" in job.error
    assert "fire" not in job.error
