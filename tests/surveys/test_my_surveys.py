"""My surveys: a member's open invitations, answering them without the mail link, the card."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.surveys.home import home_card
from tests.surveys.respond_fixtures import (
    all_work,
    form_data,
    invitation_of,
    linked_wave,
    membership_of,
    response_count,
)


@pytest.fixture
def links(world, make_campaign, fan_out):
    return linked_wave(make_campaign, fan_out, world["org_x"], name="Spring pulse")


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def answer_url(invitation) -> str:
    return f"/o/riverside/my/surveys/{invitation.id}/answer"


def test_my_surveys_lists_my_open_invitation_with_its_deadline(client, auth, world, links):
    wave, _ = links
    invitation = invitation_of(wave, membership_of(world["staff_a"]))
    auth.login(world["staff_a"].email)
    page = client.get("/o/riverside/my/surveys/")
    assert page.status_code == 200
    body = text_of(page)
    assert "Spring pulse" in body
    assert f"Open until {wave.closes_at - timedelta(minutes=1):%A}" in body
    assert f'href="{answer_url(invitation)}"' in body
    assert 'href="/o/riverside/my/surveys/"' in body  # the nav link
    assert body.count("/answer\"") == 1  # only my own invitation


def test_answering_from_my_surveys_needs_no_token(client, auth, world, links):
    wave, _ = links
    invitation = invitation_of(wave, membership_of(world["staff_a"]))
    auth.login(world["staff_a"].email)
    assert "Is your work emotionally exhausting?" in text_of(client.get(answer_url(invitation)))
    sent = client.post(answer_url(invitation), data=form_data(all_work(25)))
    assert "Thank you, your answers are saved" in text_of(sent)
    assert response_count() == 1
    again = client.get(answer_url(invitation))
    assert again.status_code == 410 and "already been used" in text_of(again)
    # The mailed link is used up as well: one invitation, one response.
    assert client.post(answer_url(invitation), data=form_data(all_work())).status_code == 410
    page = text_of(client.get("/o/riverside/my/surveys/"))
    assert "No check-in is waiting for you" in page
    assert "Spring pulse: answered" in page
    assert response_count() == 1


@pytest.mark.parametrize("who", ["staff_b", "leader_a", "owner_x"])
def test_nobody_opens_someone_elses_invitation(client, auth, world, links, who):
    wave, _ = links
    invitation = invitation_of(wave, membership_of(world["staff_a"]))
    auth.login(world[who].email)
    assert client.get(answer_url(invitation)).status_code == 404
    assert client.post(answer_url(invitation), data=form_data(all_work())).status_code == 404
    assert response_count() == 0


def test_another_organisations_member_gets_404(client, auth, world, links):
    wave, _ = links
    invitation = invitation_of(wave, membership_of(world["staff_a"]))
    auth.login(world["owner_y"].email)
    assert client.get(f"/o/harbor/my/surveys/{invitation.id}/answer").status_code == 404
    assert client.get(answer_url(invitation)).status_code == 404


def test_a_closed_wave_is_not_listed_and_cannot_be_answered(client, auth, world, links):
    wave, _ = links
    invitation = invitation_of(wave, membership_of(world["staff_a"]))
    auth.login(world["staff_a"].email)
    # Its closing time has passed; the close job has not run yet (status still "open").
    wave.closes_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert "No check-in is waiting" in text_of(client.get("/o/riverside/my/surveys/"))
    page = client.get(answer_url(invitation))
    assert page.status_code == 410 and "This survey has closed" in text_of(page)


def test_home_card_lists_open_surveys(app, world, links):
    wave, _ = links
    member = membership_of(world["staff_a"])
    invitation = invitation_of(wave, member)
    with app.test_request_context():
        card = home_card(member)
    assert card["count"] == 1
    assert card["open"][0]["name"] == "Spring pulse"
    assert card["open"][0]["closes_at"] == wave.closes_at
    assert card["open"][0]["url"] == answer_url(invitation)
    assert card["my_surveys_url"] == "/o/riverside/my/surveys/"
    with app.test_request_context():
        html = app.jinja_env.get_template("surveys/my/_home_card.html").render(card=card)
    assert "Spring pulse" in html and answer_url(invitation) in html


def test_home_card_is_empty_without_invitations(app, world):
    with app.test_request_context():
        card = home_card(membership_of(world["staff_b"]))
    assert card["open"] == [] and card["count"] == 0
