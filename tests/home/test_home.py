"""`/` sends every kind of caller to the right place; the staff home page."""
from __future__ import annotations

from datetime import date

import pytest

from orgwell.home import views
from tests import factories


def test_first_run_goes_to_setup(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/setup"


def test_anonymous_goes_to_login_once_a_user_exists(client, world):
    response = client.get("/")
    assert response.headers["Location"] == "/login"


@pytest.mark.parametrize(
    ("persona", "location"),
    [
        ("admin", "/admin/"),
        ("owner_x", "/o/riverside/"),
        ("leader_a", "/o/riverside/"),
        ("staff_a", "/my/riverside"),
    ],
)
def test_each_role_lands_on_its_home(client, auth, world, persona, location):
    auth.login(world[persona].email)
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == location


def test_staff_home_shows_teams_and_confidentiality(client, auth, world):
    auth.login(world["staff_a"].email)
    page = client.get("/my/riverside").get_data(as_text=True)
    assert "Your well-being at Riverside" in page
    assert "North clinic › North PT" in page
    assert "at least 5 people" in page


def test_staff_home_of_another_organisation_does_not_exist(client, auth, world):
    auth.login(world["staff_a"].email)
    assert client.get("/my/harbor").status_code == 404


def test_consultant_sees_their_clients(client, auth, world, db):
    consultant = world["consultant_x"]
    factories.ConsultantGrantFactory(consultant=consultant, organisation=world["org_y"])
    auth.login(consultant.email)
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "FlexHealth Consulting — your clients" in page
    assert 'href="/o/riverside/"' in page and 'href="/o/harbor/"' in page


def test_consultant_with_one_client_still_gets_the_list(client, auth, world):
    auth.login(world["consultant_x"].email)
    page = client.get("/").get_data(as_text=True)
    assert "your clients" in page and "Riverside" in page


def test_member_of_several_organisations_chooses(client, auth, world, db):
    person = world["staff_a"]
    factories.MembershipFactory(user=person, organisation=world["org_y"], role="owner")
    auth.login(person.email)
    page = client.get("/").get_data(as_text=True)
    assert "Your organisations" in page
    assert 'href="/my/riverside"' in page  # staff in X: their own page
    assert 'href="/o/harbor/"' in page  # owner of Y: the overview


def test_org_creator_without_organisation_gets_a_call_to_action(client, auth, db, app,
                                                                monkeypatch):
    app.add_url_rule("/test-create-org", "test_create_org", lambda: "create")
    monkeypatch.setattr(views, "CREATE_ORG_ENDPOINT", "test_create_org")
    user = factories.UserFactory(can_create_organisations=True)
    auth.login(user.email)
    page = client.get("/").get_data(as_text=True)
    assert "Create your organisation" in page
    assert 'href="/test-create-org"' in page


def test_call_to_action_without_the_create_page_is_an_empty_state(client, auth, db,
                                                                   monkeypatch):
    monkeypatch.setattr(views, "CREATE_ORG_ENDPOINT", "no_such.endpoint")
    user = factories.UserFactory(can_create_organisations=True)
    auth.login(user.email)
    response = client.get("/")
    assert response.status_code == 200
    assert "not available yet" in response.get_data(as_text=True)


def test_leaver_is_told_they_no_longer_have_access(client, auth, world, db):
    membership = world["staff_b"].memberships[0]
    membership.status, membership.left_on = "left", date(2025, 6, 30)
    auth.login(world["staff_b"].email)
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "You no longer have access" in page
    assert "Riverside ended on 30 Jun 2025" in page
    assert client.get("/my/riverside").status_code == 404


def test_user_without_anything_gets_a_plain_explanation(client, auth, db):
    user = factories.UserFactory()
    auth.login(user.email)
    page = client.get("/").get_data(as_text=True)
    assert "You do not belong to an organisation yet" in page
