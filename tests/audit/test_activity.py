"""The activity log: recorded without secrets, readable by owners and the site admin."""
from __future__ import annotations

from orgwell.audit.models import AuditEvent
from orgwell.audit.services import record


def test_record_drops_secret_details(app, db, world):
    with app.test_request_context():
        event = record("person_added", target=world["org_x"], organisation_id=world["org_x"].id,
                       role="staff", password="hunter2", token="abc", answers=[1, 2])
    assert event.details == {"role": "staff"}


def test_owner_sees_their_organisation_activity_in_words(client, auth, db, world):
    auth.login(world["owner_x"].email)
    client.post("/o/riverside/teams", data={"name": "East clinic", "parent_id": ""})
    page = client.get("/o/riverside/activity").get_data(as_text=True)
    assert "added a clinic or team" in page and "East clinic" in page
    assert world["owner_x"].name in page


def test_other_organisations_activity_stays_out(client, auth, db, world):
    db.session.add(AuditEvent(action="team_created", organisation_id=world["org_y"].id,
                              target_type="Team", target_id=world["team_y"].id))
    db.session.commit()
    auth.login(world["owner_x"].email)
    assert "Harbor PT" not in client.get("/o/riverside/activity").get_data(as_text=True)
    assert client.get("/o/harbor/activity").status_code == 404


def test_site_admin_sees_site_level_events_only(client, auth, db, world):
    db.session.add(AuditEvent(action="team_created", organisation_id=world["org_x"].id,
                              target_type="Team", target_id=world["team_a"].id))
    db.session.commit()
    auth.login(world["admin"].email)
    page = client.get("/admin/activity").get_data(as_text=True)
    assert "logged in" in page
    assert "North PT" not in page


def test_an_action_on_oneself_is_not_named_twice(client, auth, world):
    auth.login(world["admin"].email)
    page = client.get("/admin/activity").get_data(as_text=True)
    assert "logged in" in page and "logged in:" not in page
