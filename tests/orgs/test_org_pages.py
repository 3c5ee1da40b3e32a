"""Creating an organisation, the overview with its checklist, and the clinics & teams page."""
from __future__ import annotations

import pytest

from orgwell.audit.models import AuditEvent
from orgwell.extensions import db
from orgwell.orgs import services
from orgwell.orgs.models import Organisation, Team
from tests import factories
from tests.orgs.conftest import membership_of

# --- creating an organisation --------------------------------------------------------------


def test_create_organisation_service_makes_the_creator_owner(db):
    user = factories.UserFactory()
    org = services.create_organisation("Riverside Physical Therapy", "", user)
    assert org.slug == "riverside-physical-therapy"
    member = membership_of(user, org)
    assert member.role == "owner" and member.status == "active"
    assert db.session.scalar(db.select(AuditEvent).filter_by(action="organisation_created"))


def test_slug_suggestions_are_free_and_well_formed(db):
    factories.OrganisationFactory(slug="cafe-sante")
    assert services.suggest_slug("Café Santé!") == "cafe-sante-2"
    assert services.suggest_slug("!!!") == "practice"
    assert len(services.suggest_slug("x" * 300)) <= services.SLUG_MAX


@pytest.mark.parametrize("slug", ["Bad Slug", "-lead", "trail-", "a--b", "ünï", "x" * 61])
def test_malformed_slugs_are_refused(db, slug):
    with pytest.raises(services.FieldError) as problem:
        services.create_organisation("Name", slug, factories.UserFactory())
    assert problem.value.field == "slug"


def test_create_page_for_an_org_creator(client, auth, db):
    creator = factories.UserFactory(can_create_organisations=True)
    db.session.commit()
    auth.login(creator.email)
    page = client.get("/organisations/new")
    assert page.status_code == 200 and b'data-suggest-from="name"' in page.data
    response = client.post("/organisations/new", data={"name": "Harbor Rehab", "slug": ""})
    assert response.status_code == 302 and response.headers["Location"].endswith("/o/harbor-rehab/")
    org = db.session.scalar(db.select(Organisation).filter_by(slug="harbor-rehab"))
    assert membership_of(creator, org).role == "owner"
    overview = client.get("/o/harbor-rehab/")
    assert overview.status_code == 200 and b"Getting started" in overview.data


def test_create_page_refuses_taken_or_bad_slugs_and_changes_nothing(client, auth, world, db):
    creator = factories.UserFactory(can_create_organisations=True)
    db.session.commit()
    auth.login(creator.email)
    before = db.session.scalar(db.select(db.func.count(Organisation.id)))
    taken = client.post("/organisations/new", data={"name": "River", "slug": "riverside"})
    assert taken.status_code == 200 and b"is taken" in taken.data
    assert b"riverside-2" in taken.data
    for slug in ["Not OK", "<script>", "x" * 200]:
        response = client.post("/organisations/new", data={"name": "River", "slug": slug})
        assert response.status_code == 200 and b"invalid-feedback" in response.data
    long_name = client.post("/organisations/new", data={"name": "n" * 500, "slug": ""})
    assert long_name.status_code == 200
    assert db.session.scalar(db.select(db.func.count(Organisation.id))) == before


def test_people_who_may_not_create_organisations_get_403(client, login_as, world):
    login_as("staff_a")
    assert client.get("/organisations/new").status_code == 403


# --- the overview --------------------------------------------------------------------------


def test_checklist_ticks_itself(db):
    """The foundation's own steps; programs and surveys append theirs (tested there)."""
    owner = factories.UserFactory()
    org = services.create_organisation("Fresh", "fresh", owner)

    def done():
        return [item.done for item in services.onboarding_checklist(org)][:3]

    assert done() == [True, False, False]
    services.create_team(org, "Main clinic")
    assert done() == [True, True, False]
    factories.MembershipFactory(organisation=org)
    assert done() == [True, True, True]


def test_counts(world, db):
    invited = factories.MembershipFactory(
        organisation=world["org_x"], user__password_hash=None, teams=[world["team_b"]]
    )
    factories.MembershipFactory(organisation=world["org_x"], on_leave=True)
    factories.MembershipFactory(organisation=world["org_x"], status="left")
    counts = services.organisation_counts(world["org_x"])
    # owner, leader, two staff, invited, on leave; the leaver is not counted
    assert counts == {"clinics": 2, "teams": 1, "staff": 6, "on_leave": 1, "invited": 1}
    scoped = services.organisation_counts(world["org_x"], {world["team_b"].id})
    assert scoped == {"clinics": 1, "teams": 0, "staff": 2, "on_leave": 0, "invited": 1}
    assert invited.user.password_hash is None


def test_owner_overview_has_checklist_and_counts(client, login_as, world):
    login_as("owner_x")
    page = client.get("/o/riverside/")
    assert page.status_code == 200
    html = page.data.decode()
    assert "Getting started" in html and "Clinics and teams added" in html
    assert 'data-count="staff">4<' in html


def test_leader_overview_lists_their_teams_only(client, login_as, world):
    login_as("leader_a")
    html = client.get("/o/riverside/").data.decode()
    assert "Getting started" not in html
    assert "North clinic" in html and "North PT" in html and "South PT" not in html


def test_consultant_overview_shows_counts_but_no_staff_names(client, login_as, world):
    login_as("consultant_x")
    html = client.get("/o/riverside/").data.decode()
    assert 'data-count="staff">4<' in html
    for persona in ("staff_a", "staff_b", "leader_a", "owner_x"):
        assert world[persona].name not in html
        assert world[persona].email not in html


def test_empty_organisation_overview_says_what_to_do(client, auth, db):
    owner = factories.UserFactory()
    services.create_organisation("Empty", "empty", owner)
    db.session.commit()
    auth.login(owner.email)
    html = client.get("/o/empty/").data.decode()
    assert "No clinics yet" in html and "/o/empty/teams" in html


# --- clinics and teams ---------------------------------------------------------------------


def test_owner_adds_a_clinic_and_a_team_inside_it(client, login_as, world):
    login_as("owner_x")
    assert client.post("/o/riverside/teams", data={"name": "East clinic"}).status_code == 302
    east = db.session.scalar(db.select(Team).filter_by(name="East clinic"))
    assert east.is_clinic and east.organisation_id == world["org_x"].id
    response = client.post("/o/riverside/teams", data={"name": "East PT", "parent_id": east.id})
    assert response.status_code == 302
    team = db.session.scalar(db.select(Team).filter_by(name="East PT"))
    assert team.parent_id == east.id
    page = client.get("/o/riverside/teams").data.decode()
    assert "East clinic" in page and "East PT" in page


@pytest.mark.parametrize(
    "data, message",
    [
        ({"name": "north pt"}, "already a clinic or team"),
        ({"name": ""}, "This field is required"),
        ({"name": "x" * 121}, "between"),
        ({"name": "Inner", "parent_id": "team_a"}, "Not a valid choice"),
        ({"name": "Inner", "parent_id": "abc"}, "Invalid Choice"),
    ],
)
def test_bad_team_input_re_renders_and_changes_nothing(client, login_as, world, data, message):
    login_as("owner_x")
    if data.get("parent_id") == "team_a":  # a team, not a clinic: one level only
        data = {**data, "parent_id": world["team_a"].id}
    before = db.session.scalar(db.select(db.func.count(Team.id)))
    response = client.post("/o/riverside/teams", data=data)
    assert response.status_code == 200
    assert message in response.data.decode()
    assert db.session.scalar(db.select(db.func.count(Team.id))) == before


def test_a_team_cannot_be_placed_in_another_organisations_clinic(client, login_as, world):
    login_as("owner_x")
    response = client.post(
        "/o/riverside/teams", data={"name": "Sneaky", "parent_id": world["team_y"].id}
    )
    assert response.status_code == 200
    assert db.session.scalar(db.select(Team).filter_by(name="Sneaky")) is None


def test_team_names_with_html_are_escaped(client, login_as, world):
    login_as("owner_x")
    client.post("/o/riverside/teams", data={"name": "<b>Bold</b> clinic"})
    html = client.get("/o/riverside/teams").data.decode()
    assert "&lt;b&gt;Bold&lt;/b&gt; clinic" in html and "<b>Bold</b>" not in html


def test_rename_and_move_a_team(client, login_as, world):
    login_as("owner_x")
    url = f"/o/riverside/teams/{world['team_b'].id}/edit"
    assert client.get(url).status_code == 200
    response = client.post(url, data={"name": "South Sports", "parent_id": world["clinic_a"].id})
    assert response.status_code == 302
    team = db.session.get(Team, world["team_b"].id)
    db.session.refresh(team)
    assert team.name == "South Sports" and team.parent_id == world["clinic_a"].id
    assert db.session.scalar(db.select(AuditEvent).filter_by(action="team_updated"))


def test_a_clinic_with_teams_cannot_go_inside_another(client, login_as, world):
    login_as("owner_x")
    response = client.post(
        f"/o/riverside/teams/{world['clinic_a'].id}/edit",
        data={"name": "North clinic", "parent_id": world["team_b"].id},
    )
    assert response.status_code == 200 and "has teams of its own" in response.data.decode()


def test_renaming_to_a_taken_name_is_a_form_error(client, login_as, world):
    login_as("owner_x")
    response = client.post(
        f"/o/riverside/teams/{world['team_b'].id}/edit", data={"name": "NORTH PT"}
    )
    assert response.status_code == 200 and "already a clinic or team" in response.data.decode()


def test_other_organisations_teams_are_404(client, login_as, world):
    login_as("owner_x")
    assert client.get(f"/o/riverside/teams/{world['team_y'].id}/edit").status_code == 404
    assert client.post(f"/o/riverside/teams/{world['team_y'].id}/edit",
                       data={"name": "Mine"}).status_code == 404


def test_leaders_and_consultants_see_teams_but_cannot_change_them(client, login_as, world):
    login_as("leader_a")
    html = client.get("/o/riverside/teams").data.decode()
    assert "North PT" in html and "South PT" not in html and "Add a clinic or team" not in html
    assert client.post("/o/riverside/teams", data={"name": "Mine"}).status_code == 403
    client.post("/logout")
    login_as("consultant_x")
    html = client.get("/o/riverside/teams").data.decode()
    assert "South PT" in html and "Add a clinic or team" not in html
    assert world["staff_b"].name not in html

