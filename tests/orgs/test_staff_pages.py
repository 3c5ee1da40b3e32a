"""The staff page, adding and changing people, leavers and invitations."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from orgwell.audit.models import AuditEvent
from orgwell.auth.models import User, UserSession
from orgwell.extensions import db
from orgwell.orgs import staff as people
from orgwell.orgs.models import Membership, TeamAssignment
from tests import factories
from tests.orgs.conftest import membership_of, outbox_to


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count(model.id)))


def audit_actions() -> list[str]:
    return list(db.session.scalars(db.select(AuditEvent.action).order_by(AuditEvent.id)))


# --- the list ------------------------------------------------------------------------------


def test_owner_sees_everyone_with_all_columns(client, login_as, world):
    login_as("owner_x")
    page = client.get("/o/riverside/staff")
    assert page.status_code == 200
    html = page.data.decode()
    assert "table-responsive" in html
    for persona in ("owner_x", "leader_a", "staff_a", "staff_b"):
        assert world[persona].name in html and world[persona].email in html
    assert world["owner_y"].email not in html
    assert "North clinic › North PT" in html and "06 Jan 2025" in html


def test_leader_sees_only_people_in_their_teams(client, login_as, world):
    login_as("leader_a")
    html = client.get("/o/riverside/staff").data.decode()
    assert world["staff_a"].email in html and world["leader_a"].email in html
    assert world["staff_b"].email not in html and world["owner_x"].email not in html
    # a foreign team in the filter is ignored, not an error and not a leak
    html = client.get(f"/o/riverside/staff?team={world['team_b'].id}").data.decode()
    assert world["staff_b"].email not in html


def test_staff_and_consultants_have_no_staff_page(client, login_as, world):
    login_as("staff_a")
    assert client.get("/o/riverside/staff").status_code == 403
    client.post("/logout")
    login_as("consultant_x")
    assert client.get("/o/riverside/staff").status_code == 403


def test_filters_by_team_and_status(client, login_as, world):
    factories.MembershipFactory(organisation=world["org_x"], user__password_hash=None,
                                user__name="Ivy Invited", teams=[world["team_b"]])
    factories.MembershipFactory(organisation=world["org_x"], on_leave=True, user__name="Leo Leave")
    factories.MembershipFactory(organisation=world["org_x"], status="left", user__name="Len Left")
    login_as("owner_x")

    def names(query: str) -> set[str]:
        html = client.get("/o/riverside/staff" + query).data.decode()
        return {n for n in ("Ivy Invited", "Leo Leave", "Len Left", world["staff_a"].name,
                            world["staff_b"].name) if n in html}

    assert names("") == {"Ivy Invited", "Leo Leave", world["staff_a"].name, world["staff_b"].name}
    assert names("?status=invited") == {"Ivy Invited"}
    assert names("?status=on_leave") == {"Leo Leave"}
    assert names("?status=left") == {"Len Left"}
    assert "Len Left" in names("?status=all")
    assert names(f"?team={world['team_b'].id}") == {"Ivy Invited", world["staff_b"].name}
    # a clinic includes the teams inside it
    assert names(f"?team={world['clinic_a'].id}") == {world["staff_a"].name}


@pytest.mark.parametrize("query", ["?team=abc", "?team=99999", "?status=<script>", "?page=-3",
                                   "?page=abc", "?page=999999", "?team=&status=", "?team=1e9"])
def test_hostile_filters_never_fail(client, login_as, world, query):
    login_as("owner_x")
    response = client.get("/o/riverside/staff" + query)
    assert response.status_code == 200
    assert b"<script>" not in response.data.split(b"</nav>", 1)[1].split(b"<script src")[0]


def test_empty_staff_page_says_what_to_do(client, auth, db):
    from orgwell.orgs.services import create_organisation

    owner = factories.UserFactory()
    create_organisation("Solo", "solo", owner)
    db.session.commit()
    auth.login(owner.email)
    html = client.get("/o/solo/staff?status=invited").data.decode()
    assert "Nobody matches these filters" in html
    html = client.get("/o/solo/staff?status=left").data.decode()
    assert "Show all current staff" in html


# --- adding a person -----------------------------------------------------------------------


def _person(world, **overrides) -> dict:
    data = {
        "name": "Nia New", "email": "Nia@Example.org", "team_ids": [world["team_a"].id],
        "role": "staff", "job_title": "PTA", "patient_facing": "y", "start_date": "2025-03-03",
    }
    return {**data, **overrides}


def test_owner_adds_a_person_who_is_invited(client, login_as, world):
    login_as("owner_x")
    assert client.get("/o/riverside/staff/new").status_code == 200
    response = client.post("/o/riverside/staff/new", data=_person(world))
    assert response.status_code == 302
    user = db.session.scalar(db.select(User).filter_by(email="nia@example.org"))
    member = membership_of(user, world["org_x"])
    assert (member.role, member.job_title, member.patient_facing, member.start_date) == (
        "staff", "PTA", True, date(2025, 3, 3))
    assert [t.id for t in member.current_teams] == [world["team_a"].id]
    assert len(outbox_to("nia@example.org")) == 1
    assert "person_added" in audit_actions()


def test_adding_someone_with_an_account_elsewhere_reuses_it_without_an_invitation(
    client, login_as, world
):
    login_as("owner_x")
    other = world["owner_y"]
    response = client.post("/o/riverside/staff/new",
                           data=_person(world, email=other.email.upper(), name="Whatever"))
    assert response.status_code == 302
    assert membership_of(other, world["org_x"]).role == "staff"
    assert outbox_to(other.email) == []


def test_adding_an_existing_member_is_a_form_error(client, login_as, world):
    login_as("owner_x")
    before = count(Membership)
    response = client.post(
        "/o/riverside/staff/new", data=_person(world, email=world["staff_b"].email)
    )
    assert response.status_code == 200
    assert "already has a membership" in response.data.decode()
    assert count(Membership) == before


@pytest.mark.parametrize(
    "overrides",
    [
        {"email": "not-an-email"},
        {"email": "a" * 250 + "@example.org"},
        {"name": ""},
        {"name": "n" * 121},
        {"role": "admin"},
        {"job_title": "Surgeon"},
        {"start_date": "01/02/2025"},
        {"team_ids": ["abc"]},
        {"team_ids": ["999999"]},
        {"team_ids": ["TEAM_Y"]},
    ],
)
def test_bad_person_input_re_renders_and_changes_nothing(client, login_as, world, overrides):
    if overrides.get("team_ids") == ["TEAM_Y"]:
        overrides = {"team_ids": [world["team_y"].id]}
    login_as("owner_x")
    users, members = count(User), count(Membership)
    response = client.post("/o/riverside/staff/new", data=_person(world, **overrides))
    assert response.status_code == 200
    assert "invalid-feedback" in response.data.decode()
    assert (count(User), count(Membership)) == (users, members)


def test_html_in_names_is_escaped(client, login_as, world):
    login_as("owner_x")
    client.post("/o/riverside/staff/new",
                data=_person(world, name="<img src=x onerror=alert(1)>"))
    html = client.get("/o/riverside/staff").data.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img src=x" not in html


# --- changing a person ---------------------------------------------------------------------


def test_team_move_keeps_history(client, login_as, world):
    login_as("owner_x")
    member = membership_of(world["staff_a"], world["org_x"])
    response = client.post(f"/o/riverside/staff/{member.id}", data={
        "team_ids": [world["team_b"].id], "role": "leader", "job_title": "OT",
        "patient_facing": "y",
    })
    assert response.status_code == 302
    rows = list(db.session.scalars(
        db.select(TeamAssignment).filter_by(membership_id=member.id).order_by(TeamAssignment.id)
    ))
    assert [(r.team_id, r.ended_on is None) for r in rows] == [
        (world["team_a"].id, False), (world["team_b"].id, True)]
    assert rows[0].ended_on == people.today() == rows[1].started_on
    db.session.refresh(member)
    assert (member.role, member.job_title) == ("leader", "OT")
    page = client.get(f"/o/riverside/staff/{member.id}").data.decode()
    assert "Team history" in page and "North PT" in page and "South PT" in page
    event = db.session.scalar(db.select(AuditEvent).filter_by(action="person_updated"))
    assert event.details["team_ids"] == {"from": [world["team_a"].id], "to": [world["team_b"].id]}


def test_on_leave_toggles(client, login_as, world):
    login_as("owner_x")
    member = membership_of(world["staff_b"], world["org_x"])
    data = {"team_ids": [world["team_b"].id], "role": "staff", "job_title": "PT",
            "patient_facing": "y", "on_leave": "y"}
    client.post(f"/o/riverside/staff/{member.id}", data=data)
    db.session.refresh(member)
    assert member.on_leave
    client.post(f"/o/riverside/staff/{member.id}", data={**data, "on_leave": ""})
    db.session.refresh(member)
    assert not member.on_leave


def test_the_last_owner_cannot_step_down(client, login_as, world):
    login_as("owner_x")
    member = membership_of(world["owner_x"], world["org_x"])
    response = client.post(f"/o/riverside/staff/{member.id}", data={"role": "staff"})
    assert response.status_code == 200 and "at least one other owner" in response.data.decode()
    db.session.refresh(member)
    assert member.role == "owner"


def test_other_organisations_members_are_404(client, login_as, world):
    login_as("owner_x")
    foreign = membership_of(world["owner_y"], world["org_y"])
    for method, suffix in [("get", ""), ("post", ""), ("post", "/leave"), ("post", "/invite")]:
        response = getattr(client, method)(f"/o/riverside/staff/{foreign.id}{suffix}")
        assert response.status_code == 404
    assert client.get("/o/riverside/staff/99999").status_code == 404


def test_edit_rejects_foreign_teams_and_bad_roles(client, login_as, world):
    login_as("owner_x")
    member = membership_of(world["staff_a"], world["org_x"])
    for data in ({"team_ids": [world["team_y"].id], "role": "staff"},
                 {"team_ids": [world["team_a"].id], "role": "emperor"}):
        assert client.post(f"/o/riverside/staff/{member.id}", data=data).status_code == 200
    db.session.refresh(member)
    assert member.role == "staff" and [t.id for t in member.current_teams] == [world["team_a"].id]


# --- leavers and invitations ---------------------------------------------------------------


def test_a_leaver_loses_access_and_their_sessions(client, login_as, world, app):
    leader = world["leader_a"]
    leader_client = app.test_client()
    leader_client.post("/login", data={"email": leader.email, "password": factories.PASSWORD})
    assert leader_client.get("/o/riverside/staff").status_code == 200

    login_as("owner_x")
    member = membership_of(leader, world["org_x"])
    response = client.post(f"/o/riverside/staff/{member.id}/leave",
                           data={"left_on": people.today().isoformat()})
    assert response.status_code == 302
    db.session.refresh(member)
    assert member.status == "left" and member.left_on == people.today()
    assert all(a.ended_on is not None for a in member.team_assignments)
    assert db.session.scalar(db.select(UserSession).filter_by(user_id=leader.id)) is None
    assert leader_client.get("/o/riverside/staff").status_code == 302  # logged out
    leader_client.post("/login", data={"email": leader.email, "password": factories.PASSWORD})
    assert leader_client.get("/o/riverside/").status_code == 404
    assert "person_left" in audit_actions()
    page = client.get(f"/o/riverside/staff/{member.id}").data.decode()
    assert "no longer has access" in page


@pytest.mark.parametrize("left_on", ["tomorrow", "2024-12-31", "", "not a date"])
def test_bad_leaving_dates_are_refused(client, login_as, world, left_on):
    login_as("owner_x")
    member = membership_of(world["staff_a"], world["org_x"])  # started 2025-01-06
    value = (people.today() + timedelta(days=1)).isoformat() if left_on == "tomorrow" else left_on
    response = client.post(f"/o/riverside/staff/{member.id}/leave", data={"left_on": value})
    assert response.status_code == 200 and "invalid-feedback" in response.data.decode()
    db.session.refresh(member)
    assert member.status == "active"


def test_owners_cannot_mark_themselves_as_leavers(client, login_as, world):
    login_as("owner_x")
    member = membership_of(world["owner_x"], world["org_x"])
    response = client.post(f"/o/riverside/staff/{member.id}/leave",
                           data={"left_on": people.today().isoformat()})
    assert response.status_code == 200 and "yourself" in response.data.decode()


def test_resend_invitation_queues_a_new_mail(client, login_as, world):
    invited = factories.MembershipFactory(
        organisation=world["org_x"], user__password_hash=None, user__email="ivy@example.org"
    )
    login_as("owner_x")
    client.post("/o/riverside/staff/new", data=_person(world))  # first invitation of Nia
    nia = membership_of(db.session.scalar(db.select(User).filter_by(email="nia@example.org")),
                        world["org_x"])
    for member in (invited, nia):
        response = client.post(f"/o/riverside/staff/{member.id}/invite")
        assert response.status_code == 302
    client.post(f"/o/riverside/staff/{nia.id}/invite")
    assert len(outbox_to("ivy@example.org")) == 1
    assert len(outbox_to("nia@example.org")) == 3
    assert audit_actions().count("invitation_resent") == 3


def test_no_resend_for_someone_with_a_password(client, login_as, world):
    login_as("owner_x")
    member = membership_of(world["staff_a"], world["org_x"])
    response = client.post(f"/o/riverside/staff/{member.id}/invite", follow_redirects=True)
    assert "already set a password" in response.data.decode()
    assert outbox_to(world["staff_a"].email) == []


def test_pages_of_staff_keep_the_filters(client, auth, world, db):
    for _ in range(60):
        factories.MembershipFactory(organisation=world["org_x"], teams=[world["team_b"]])
    db.session.commit()
    auth.login(world["owner_x"].email)
    team = world["team_b"].id
    first = client.get(f"/o/riverside/staff?team={team}&status=current").get_data(as_text=True)
    assert f"/o/riverside/staff?team={team}&amp;status=current&amp;page=2" in first
    second = client.get(f"/o/riverside/staff?team={team}&status=current&page=2")
    assert second.status_code == 200
