"""Leader pages: create, edit, pause, send a wave now; bad input re-renders; never who answered."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.metrics import queries as metrics_queries
from orgwell.surveys import events, waves
from orgwell.surveys.models import Campaign, Invitation, Wave
from tests.metrics.conftest import close_wave
from tests.surveys.conftest import store_response


@pytest.fixture(autouse=True)
def enough_people(world, make_people):
    """Four more people in each of team_a and team_b: every audience here reaches k = 5
    (the organisation then has 12, team_a 5, team_b 5)."""
    make_people(world["org_x"], world["team_a"], 4)
    make_people(world["org_x"], world["team_b"], 4)


@pytest.fixture
def login_as(auth, world):
    def login(persona: str):
        assert auth.login(world[persona].email).status_code == 302
        return world[persona]

    return login


def _form(**overrides) -> dict:
    data = {
        "name": "Monthly check-in",
        "instrument_key": "cbi-work",
        "wording": "",
        "audience": "organisation",
        "mode": "anonymous",
        "threshold_k": "5",
        "schedule": "monthly",
        "start_date": utcnow().date().isoformat(),
        "open_days": "7",
        "reminder_max": "2",
        "reminder_gap_days": "3",
    }
    data.update(overrides)
    return data


def _campaigns() -> int:
    return db.session.scalar(select(func.count(Campaign.id)))


def test_an_owner_creates_a_campaign(client, world, login_as):
    login_as("owner_x")
    page = client.get("/o/riverside/surveys/new")
    assert page.status_code == 200
    assert "Copenhagen Burnout Inventory" in page.text
    response = client.post("/o/riverside/surveys/new", data=_form())
    assert response.status_code == 302
    campaign = db.session.scalar(select(Campaign))
    assert response.headers["Location"].endswith(f"/o/riverside/surveys/{campaign.id}")
    assert (campaign.name, campaign.mode, campaign.threshold_k) == ("Monthly check-in",
                                                                    "anonymous", 5)
    listing = client.get("/o/riverside/surveys/")
    assert "Monthly check-in" in listing.text


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"threshold_k": "2"}, "Number must be between 3 and 50"),
        ({"threshold_k": "many"}, "Not a valid integer"),
        ({"name": ""}, "This field is required"),
        ({"audience": "teams"}, "Choose at least one clinic or team"),
        ({"schedule": "weekly", "open_days": "10"}, "1 to 7 days"),
        ({"start_date": "yesterday"}, "Not a valid date"),
        ({"start_date": (utcnow().date() - timedelta(days=3)).isoformat()}, "today or a later"),
        ({"mode": "public"}, "Not a valid choice"),
        ({"instrument_key": "mbi"}, "Not a valid choice"),
        ({"team_ids": "abc", "audience": "teams"}, "Invalid choice"),
    ],
)
def test_bad_input_re_renders_with_the_error_and_saves_nothing(
    client, world, login_as, overrides, message
):
    login_as("owner_x")
    response = client.post("/o/riverside/surveys/new", data=_form(**overrides))
    assert response.status_code == 200
    assert message in response.text
    assert _campaigns() == 0


def test_a_leader_sees_and_runs_only_campaigns_of_their_teams(
    client, world, login_as, make_campaign
):
    everyone = make_campaign(world["org_x"], name="Everyone pulse")
    login_as("leader_a")
    assert "Everyone pulse" not in client.get("/o/riverside/surveys/").text
    assert client.get(f"/o/riverside/surveys/{everyone.id}").status_code == 404
    assert client.post(f"/o/riverside/surveys/{everyone.id}/pause").status_code == 404
    # The whole organisation is not theirs to choose.
    refused = client.post("/o/riverside/surveys/new", data=_form())
    assert refused.status_code == 200 and _campaigns() == 1
    response = client.post("/o/riverside/surveys/new", data=_form(
        audience="teams", team_ids=str(world["team_a"].id), name="North pulse"))
    assert response.status_code == 302
    assert "North pulse" in client.get("/o/riverside/surveys/").text
    south = client.post("/o/riverside/surveys/new", data=_form(
        audience="teams", team_ids=str(world["team_b"].id), name="South pulse"))
    assert south.status_code == 200 and _campaigns() == 2


def test_another_organisations_campaign_does_not_exist(client, world, login_as, make_campaign):
    theirs = make_campaign(world["org_y"], created_by=world["owner_y"])
    login_as("owner_x")
    for url in ("", "/edit", "/send"):
        assert client.get(f"/o/riverside/surveys/{theirs.id}{url}").status_code == 404
    assert client.post(f"/o/riverside/surveys/{theirs.id}/send").status_code == 404
    assert db.session.scalar(select(func.count(Wave.id))) == 0


def test_a_consultant_may_look_but_not_change(client, world, login_as, campaign):
    login_as("consultant_x")
    page = client.get(f"/o/riverside/surveys/{campaign.id}")
    assert page.status_code == 200 and "Send a wave now" not in page.text
    assert client.get(f"/o/riverside/surveys/{campaign.id}/edit").status_code == 403
    assert client.post(f"/o/riverside/surveys/{campaign.id}/send").status_code == 403


def test_staff_cannot_see_campaigns(client, world, login_as, campaign):
    login_as("staff_a")
    assert client.get("/o/riverside/surveys/").status_code == 403


def test_send_a_wave_now_confirms_first_then_sends_once(
    client, world, login_as, make_campaign
):
    campaign = make_campaign(world["org_x"], start_date=utcnow().date() + timedelta(days=10))
    login_as("owner_x")
    confirm = client.get(f"/o/riverside/surveys/{campaign.id}/send")
    assert confirm.status_code == 200
    assert "<strong>12</strong> people get an invitation" in confirm.text
    assert "fixes the privacy mode" in confirm.text
    assert db.session.scalar(select(func.count(Wave.id))) == 0
    sent = client.post(f"/o/riverside/surveys/{campaign.id}/send")
    assert sent.status_code == 302
    again = client.post(f"/o/riverside/surveys/{campaign.id}/send")
    assert again.status_code == 200 and "is open until" in again.text
    assert db.session.scalar(select(func.count(Wave.id))) == 1


def test_send_now_is_refused_when_the_next_scheduled_wave_would_overlap(
    client, world, login_as, make_campaign
):
    campaign = make_campaign(world["org_x"], start_date=utcnow().date() + timedelta(days=3))
    login_as("owner_x")
    page = client.get(f"/o/riverside/surveys/{campaign.id}/send")
    assert "The next scheduled wave opens on" in page.text
    assert 'btn btn-primary" disabled' in page.text
    refused = client.post(f"/o/riverside/surveys/{campaign.id}/send")
    assert refused.status_code == 200 and "would still be open" in refused.text
    assert db.session.scalar(select(func.count(Wave.id))) == 0


def test_a_campaign_for_fewer_people_than_k_is_refused(client, world, login_as):
    login_as("owner_x")
    response = client.post("/o/riverside/surveys/new", data=_form(
        audience="teams", team_ids=str(world["team_a"].id), threshold_k="6"))
    assert response.status_code == 200 and _campaigns() == 0
    assert ("This audience has 5 people who can be asked now" in response.text
            and "smallest group of 6" in response.text)

def test_an_open_wave_shows_no_count_only_whether_k_have_answered(
    client, world, login_as, open_wave, fan_out
):
    # Counts seen while the wave is open stay seen after the close, whose one decision may
    # hide the organisation total: invited (frozen at opening) is that total, and so is the
    # last answered count. So an open wave shows neither, at any number of answers.
    fan_out(open_wave)
    answered = db.session.scalar(select(Invitation).filter_by(
        membership_id=world["staff_a"].memberships[0].id))
    answered.answered = True
    open_wave.responded_count = 1
    db.session.commit()
    login_as("owner_x")
    page = client.get(f"/o/riverside/surveys/{open_wave.campaign_id}").text
    assert _counts(_wave_row(page)) == ["when closed", "fewer than 5 so far", "—"]
    for persona in ("staff_a", "staff_b", "leader_a"):
        assert world[persona].name not in page and world[persona].email not in page
    open_wave.responded_count = 6
    db.session.commit()
    row = _wave_row(client.get(f"/o/riverside/surveys/{open_wave.campaign_id}").text)
    assert _counts(row) == ["when closed", "5 or more so far", "—"]


def test_the_wave_table_hides_an_audience_below_k(client, world, login_as, campaign):
    # The audience shrank below k after the campaign was made (people left or went on leave).
    wave = waves.open_wave(campaign, utcnow().date(), source="manual")
    wave.invited_count, wave.responded_count = 4, 4
    db.session.commit()
    login_as("owner_x")
    row = _wave_row(client.get(f"/o/riverside/surveys/{campaign.id}").text)
    assert _counts(row) == ["when closed", "fewer than 5 so far", "—"]


def _close_with_answers(wave, answers: dict) -> None:
    """Store answers per team (None: people without a team), then close the wave the way the
    close job does (the metrics hooks rebuild its rollups)."""
    instrument = db.session.get(Campaign, wave.campaign_id).instrument_version.instrument
    for team, count in answers.items():
        for _ in range(count):
            response = store_response(wave, getattr(team, "id", None),
                                      {item.key: 50 for item in instrument.items})
            db.session.flush()
            events.response_stored(response)
    wave.responded_count = sum(answers.values())
    db.session.commit()
    close_wave(wave)


def _org_cell(world, wave):
    return metrics_queries.wave_totals(world["org_x"], [wave])[wave.id]


def test_a_closed_wave_shows_the_results_organisation_total(
    client, world, login_as, open_wave
):
    # 5 of team_a and 3 of team_b (hidden on the results) answered: the organisation total of
    # the results pages is what the wave table shows, nothing per team.
    _close_with_answers(open_wave, {world["team_a"]: 5, world["team_b"]: 3})
    cell = _org_cell(world, open_wave)
    assert not cell.suppressed and (cell.invited, cell.responded) == (12, 8)
    login_as("owner_x")
    row = _wave_row(client.get(f"/o/riverside/surveys/{open_wave.campaign_id}").text)
    assert '<td class="text-end">12</td>' in row and '<td class="text-end">8</td>' in row
    assert "67%" in row and '<td class="text-end">3</td>' not in row


def test_a_closed_wave_hidden_on_the_results_is_hidden_here_with_the_same_reason(
    client, world, login_as, campaign
):
    # leader_a is on leave, so North clinic is just its team: 5 of North PT and 2 of South PT
    # answer (7 of 11). The results show North clinic and North PT; beside them the
    # organisation total would give South PT's 2 away (7 - 5), so the results hide it -- and
    # so does the wave table, though 7 answers are more than k.
    world["leader_a"].memberships[0].on_leave = True
    db.session.commit()
    wave = waves.open_wave(campaign, utcnow().date(), source="manual")
    db.session.commit()
    _close_with_answers(wave, {world["team_a"]: 5, world["team_b"]: 2})
    cell = _org_cell(world, wave)
    _, cells = metrics_queries.participation_series(
        world["org_x"], metrics_queries.Filters("cbi-work"), team_scope=None)
    assert [c for c in cells if c.group.key == "org"] == [cell]
    assert cell.suppressed and cell.reason.startswith("hidden so that")
    login_as("owner_x")
    row = _wave_row(client.get(f"/o/riverside/surveys/{campaign.id}").text)
    assert "hidden so that a smaller group cannot be worked out" in row
    assert '<td class="text-end">7</td>' not in row and '<td class="text-end">11</td>' not in row
    assert "%" not in row


def _wave_row(page: str) -> str:
    start = page.index("<tr data-wave=")
    return page[start:page.index("</tr>", start)]


def _counts(row: str) -> list[str]:
    """The text of a wave row's invited, answered and response rate cells."""
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in cells[-3:]]


def test_a_locked_campaign_keeps_mode_and_k_whatever_is_posted(
    client, world, login_as, campaign
):
    waves.open_wave(campaign, utcnow().date(), source="manual")
    db.session.commit()
    login_as("owner_x")
    page = client.get(f"/o/riverside/surveys/{campaign.id}/edit")
    assert 'name="mode"' not in page.text and "fixed since" in page.text.lower()
    response = client.post(f"/o/riverside/surveys/{campaign.id}/edit", data=_form(
        name="Renamed", mode="confidential", threshold_k="3"))
    assert response.status_code == 302
    db.session.refresh(campaign)
    assert (campaign.name, campaign.mode, campaign.threshold_k) == ("Renamed", "anonymous", 5)


def test_pause_and_resume(client, world, login_as, campaign):
    login_as("owner_x")
    client.post(f"/o/riverside/surveys/{campaign.id}/pause")
    db.session.refresh(campaign)
    assert campaign.status == "paused"
    assert "Resume" in client.get(f"/o/riverside/surveys/{campaign.id}").text
    client.post(f"/o/riverside/surveys/{campaign.id}/resume")
    db.session.refresh(campaign)
    assert campaign.status == "active"
