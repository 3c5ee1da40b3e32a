"""A staff import through the real pages and a real worker ends in one invitation each."""
from __future__ import annotations

import io
import re
import time
from datetime import timedelta

from sqlalchemy import select

from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.orgs import imports
from orgwell.orgs.models import ImportJob, Membership
from tests import factories
from worker.staff import sweep_imports

PEOPLE = 50


def _roster() -> bytes:
    lines = ["name,email,team,role,job_title,patient_facing,start_date"]
    for n in range(PEOPLE):
        team = ("North Outpatient", "South Sports Rehab")[n % 2]
        lines.append(f"Person {n},person{n}@clinic.example,{team},staff,PT,yes,2024-02-01")
    return ("\n".join(lines) + "\n").encode()


def test_importing_50_staff_sends_exactly_50_invitations(worker_app, celery_worker, smtp_sink):
    owner = factories.MembershipFactory(role="owner").user
    slug = owner.memberships[0].organisation.slug
    db.session.commit()
    client = worker_app.test_client()
    worker_app.config["WTF_CSRF_ENABLED"] = False
    client.post("/login", data={"email": owner.email, "password": factories.PASSWORD})

    upload = client.post(
        f"/o/{slug}/staff/import/",
        data={"file": (io.BytesIO(_roster()), "roster.csv")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302, upload.get_data(as_text=True)
    job_url = upload.headers["Location"]
    assert client.post(f"{job_url}/confirm").status_code == 302

    def job_done() -> bool:
        db.session.expire_all()
        return db.session.scalar(select(ImportJob.status)) == "done"

    celery_worker.wait_until(job_done, timeout=60, what="the import job to finish")
    messages = smtp_sink.wait_for(PEOPLE, timeout=60)

    recipients = sorted(str(m["To"]) for m in messages)
    assert recipients == sorted(f"person{n}@clinic.example" for n in range(PEOPLE))
    members = db.session.scalars(select(Membership).filter_by(role="staff")).all()
    assert len(members) == PEOPLE
    invite = re.search(r"/invite/[\w-]+", messages[0].get_body(("plain",)).get_content())
    assert invite is not None
    # Nothing more arrives a moment later: one invitation per person, never two.
    time.sleep(1)
    assert len(smtp_sink.messages) == PEOPLE


def test_an_import_whose_task_was_lost_is_started_by_the_sweep(
    worker_app, celery_worker, smtp_sink
):
    owner = factories.MembershipFactory(role="owner").user
    org = owner.memberships[0].organisation
    job, checked = imports.prepare_import(org, "roster.csv", _roster(), created_by=owner)
    assert job is not None, checked
    # Confirmed two minutes ago, but the hand-off to the broker never happened.
    job.status, job.created_at = "queued", utcnow() - timedelta(minutes=2)
    db.session.commit()

    sweep_imports.delay()
    sweep_imports.delay()  # a second sweep (or beat twice) must not import twice

    def job_done() -> bool:
        db.session.expire_all()
        return db.session.get(ImportJob, job.id).status == "done"

    celery_worker.wait_until(job_done, timeout=60, what="the swept import to finish")
    assert len(smtp_sink.wait_for(PEOPLE, timeout=60)) == PEOPLE
    time.sleep(1)
    assert len(smtp_sink.messages) == PEOPLE
