"""The respondent services: opening a link, reading answers, storing exactly one response."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.surveys import events, responding
from orgwell.surveys.models import Invitation, Response, Wave
from tests.surveys.respond_fixtures import (
    all_work,
    form_data,
    invitation_of,
    linked_wave,
    membership_of,
    response_count,
    riverside_wave,
)


@pytest.fixture
def wave_links(world, make_campaign, fan_out):
    return riverside_wave(world, make_campaign, fan_out)


def staff_a_token(world, wave_links):
    _, tokens = wave_links
    return tokens[membership_of(world["staff_a"]).id]


def test_a_good_link_opens_the_survey(world, wave_links):
    survey = responding.open_by_token(staff_a_token(world, wave_links))
    assert survey.membership_id == membership_of(world["staff_a"]).id
    assert survey.instrument.key == "cbi-work"
    assert [item.key for item in survey.items] == list(all_work())


@pytest.mark.parametrize("token", ["", "nope", "x" * 43, "y" * 5000, "../../etc", "é☃"])
def test_an_unknown_token_is_unknown(world, wave_links, token):
    with pytest.raises(responding.LinkProblem) as problem:
        responding.open_by_token(token)
    assert (problem.value.reason, problem.value.status) == ("unknown", 404)


def test_a_used_link_is_used(world, wave_links):
    token = staff_a_token(world, wave_links)
    responding.submit(responding.open_by_token(token), all_work())
    db.session.commit()
    with pytest.raises(responding.LinkProblem) as problem:
        responding.open_by_token(token)
    assert (problem.value.reason, problem.value.status) == ("used", 410)


def test_a_link_expires_when_the_wave_closes(world, wave_links):
    wave, _ = wave_links
    token = staff_a_token(world, wave_links)
    # Past the closing time, even before the close job has run...
    with (
        time_machine.travel(wave.closes_at + timedelta(seconds=1)),
        pytest.raises(responding.LinkProblem) as problem,
    ):
        responding.open_by_token(token)
    assert (problem.value.reason, problem.value.status) == ("expired", 410)
    # ...and once the wave is closed, whatever the clock says.
    wave.status = "closed"
    db.session.commit()
    with pytest.raises(responding.LinkProblem) as problem:
        responding.open_by_token(token)
    assert problem.value.reason == "expired"


def test_a_link_opened_by_someone_else_logged_in_is_foreign(world, wave_links):
    token = staff_a_token(world, wave_links)
    with pytest.raises(responding.LinkProblem) as problem:
        responding.open_by_token(token, viewer_id=world["staff_b"].id)
    assert (problem.value.reason, problem.value.status) == ("foreign", 403)
    assert responding.open_by_token(token, viewer_id=world["staff_a"].id)
    assert responding.open_by_token(token, viewer_id=None)


def test_someone_else_logged_in_never_learns_whether_the_link_was_used(world, wave_links):
    """"foreign" comes before "used" and "expired": the page must not tell another person
    that the link's owner has answered (or that the wave is over)."""
    wave, _ = wave_links
    token = staff_a_token(world, wave_links)
    responding.submit(responding.open_by_token(token), all_work())
    db.session.commit()
    with pytest.raises(responding.LinkProblem) as problem:
        responding.open_by_token(token, viewer_id=world["staff_b"].id)
    assert problem.value.reason == "foreign"
    with pytest.raises(responding.LinkProblem) as problem:
        responding.open_by_token(token, viewer_id=world["staff_a"].id)
    assert problem.value.reason == "used"
    later = wave.closes_at + timedelta(minutes=1)
    other = next(t for m, t in wave_links[1].items()
                 if m != membership_of(world["staff_a"]).id)
    with pytest.raises(responding.LinkProblem) as problem:
        responding.open_by_token(other, viewer_id=world["staff_b"].id, now=later)
    assert problem.value.reason in ("foreign", "expired")
    assert problem.value.reason == (
        "expired" if invitation_owner(other) == world["staff_b"].id else "foreign")


def invitation_owner(token: str) -> int | None:
    invitation = responding.find_invitation(token)
    return invitation.membership.user_id if invitation.membership else None


def test_read_answers_accepts_only_the_items_options(world, wave_links):
    survey = responding.open_by_token(staff_a_token(world, wave_links))
    good = responding.read_answers(survey, form_data({"q7": 100, "q8": 0, "q9": ""}))
    assert good.ok and good.values == {"q7": 100.0, "q8": 0.0}

    bad = responding.read_answers(survey, form_data({"q7": 60, "q8": "Often", "q9": 50}))
    assert bad.errors == {"q7": "Please choose one of the answers shown.",
                          "q8": "Please choose one of the answers shown."}
    assert bad.values == {"q9": 50.0}

    unknown = responding.read_answers(survey, form_data({"q1": 50, "q7": 50}))
    assert not unknown.ok and "not part of this survey" in unknown.form_errors[0]

    empty = responding.read_answers(survey, {})
    assert not empty.ok and "at least one question" in empty.form_errors[0]


def test_scales_short_of_answers_names_the_scales(world, wave_links):
    survey = responding.open_by_token(staff_a_token(world, wave_links))
    assert [s.key for s in responding.scales_short_of_answers(survey, {"q7": 50})] == ["work"]
    four = dict.fromkeys(["q7", "q8", "q9", "q10"], 50.0)
    assert responding.scales_short_of_answers(survey, four) == []


def test_submit_stores_one_scored_anonymous_response(world, wave_links):
    wave, _ = wave_links
    seen = []
    events.RESPONSE_STORED_HOOKS.append(seen.append)
    try:
        survey = responding.open_by_token(staff_a_token(world, wave_links))
        scores = responding.submit(survey, {**all_work(75), "q13": 0})
        db.session.commit()
    finally:
        events.RESPONSE_STORED_HOOKS.remove(seen.append)
    # Six items at 75 and the reversed item 13 answered "Never" (0 -> 100 points).
    assert scores["work"].score == pytest.approx((6 * 75 + 100) / 7)
    assert scores["work"].band == "high"
    response = db.session.scalars(select(Response)).one()
    assert [stored.response_id for stored in seen] == [response.id]
    assert response.membership_id is None
    assert response.team_id == world["team_a"].id
    assert response.answers == {**all_work(75), "q13": 0}
    assert {s.scale_key: s.band for s in response.scores} == {"work": "high"}
    invitation = invitation_of(wave, membership_of(world["staff_a"]))
    # Anonymous: no day of answering on the invitation, the wave's date on the response.
    assert invitation.answered and invitation.answered_on is None
    assert response.submitted_on == wave.opens_on
    wave = db.session.get(Wave, wave.id)
    assert (wave.responded_count, wave.unshuffled) == (1, 1)


def test_confidential_mode_keeps_the_membership(world, make_campaign, fan_out):
    wave, tokens = linked_wave(make_campaign, fan_out, world["org_x"], mode="confidential")
    member = membership_of(world["staff_a"])
    responding.submit(responding.open_by_token(tokens[member.id]), all_work())
    db.session.commit()
    response = db.session.scalars(select(Response)).one()
    assert response.membership_id == member.id and response.submitted_on == utcnow().date()
    assert invitation_of(wave, member).answered_on == utcnow().date()
    assert db.session.get(Wave, wave.id).unshuffled == 0  # nothing to hide: it has a name


def test_the_team_is_the_one_frozen_when_the_wave_opened(world, wave_links):
    """A team move after the wave opened does not move the answer."""
    from orgwell.orgs.models import TeamAssignment

    member = membership_of(world["staff_a"])
    for assignment in member.team_assignments:
        assignment.ended_on = assignment.started_on
    db.session.add(TeamAssignment(membership=member, team=world["team_b"],
                                  started_on=member.start_date))
    db.session.commit()
    responding.submit(responding.open_by_token(staff_a_token(world, wave_links)), all_work())
    db.session.commit()
    assert db.session.scalars(select(Response)).one().team_id == world["team_a"].id


def test_a_second_submit_stores_nothing(world, wave_links):
    token = staff_a_token(world, wave_links)
    first = responding.open_by_token(token)
    second = responding.open_by_token(token)  # a second tab, opened before the first sent
    responding.submit(first, all_work())
    db.session.commit()
    with pytest.raises(responding.LinkProblem) as problem:
        responding.submit(second, all_work(0))
    db.session.rollback()
    assert problem.value.reason == "used"
    assert response_count() == 1


def test_two_concurrent_submits_store_one_response(app, world, wave_links):
    token = staff_a_token(world, wave_links)
    barrier = threading.Barrier(2)
    outcomes = []

    def send(value):
        with app.app_context():
            survey = responding.open_by_token(token)
            barrier.wait()
            try:
                responding.submit(survey, all_work(value))
                db.session.commit()
                outcomes.append("stored")
            except responding.LinkProblem as problem:
                db.session.rollback()
                outcomes.append(problem.reason)

    threads = [threading.Thread(target=send, args=(v,)) for v in (25, 75)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["stored", "used"]
    assert response_count() == 1
    wave, _ = wave_links
    db.session.expire_all()
    assert db.session.get(Wave, wave.id).responded_count == 1


def test_the_client_scale_is_asked_only_of_patient_facing_people(world, make_campaign, fan_out):
    member = membership_of(world["staff_b"])
    member.patient_facing = False
    db.session.commit()
    wave, tokens = linked_wave(make_campaign, fan_out, world["org_x"], instrument_key="cbi",
                               wording="patients")
    not_facing = responding.open_by_token(tokens[member.id])
    assert [s.key for s in not_facing.scales] == ["personal", "work"]
    assert [s.key for s in not_facing.skipped_scales()] == ["client"]
    refused = responding.read_answers(not_facing, form_data({"q1": 50, "q14": 50}))
    assert not refused.ok

    facing = responding.open_by_token(tokens[membership_of(world["staff_a"]).id])
    assert [s.key for s in facing.scales] == ["personal", "work", "client"]
    q14 = facing.instrument.item("q14")
    assert facing.item_text(q14) == "Do you find it hard to work with patients?"
    assert facing.scale_name(facing.instrument.scale("client")) == "Patient-related burnout"

    scores = responding.submit(not_facing, dict.fromkeys(
        ["q1", "q2", "q3", "q7", "q8", "q9", "q10"], 50.0))
    db.session.commit()
    assert scores["client"].band == "not_applicable"
    stored = db.session.scalars(select(Response)).one()
    assert stored.patient_facing is False
    assert {s.scale_key: s.band for s in stored.scores}["client"] == "not_applicable"


def test_invitations_are_claimed_by_id_only(world, wave_links):
    """The claim touches the one invitation: nobody else's link is used up."""
    wave, tokens = wave_links
    responding.submit(responding.open_by_token(staff_a_token(world, wave_links)), all_work())
    db.session.commit()
    answered = db.session.scalars(
        select(Invitation.membership_id).filter_by(wave_id=wave.id, answered=True)
    ).all()
    assert answered == [membership_of(world["staff_a"]).id]
    assert len(tokens) == 5  # owner, leader, staff_a, staff_b and one more to reach k


def test_an_answer_stored_after_its_wave_closed_changes_the_rollups_token(world, wave_links):
    """An answer begun before the close and stored after it (it waited for the close's locks)
    changes a closed wave's rollups: results pages, which key what they keep by the token
    (metrics/wave_families.py), must see a new one. Answers to an open wave leave it alone."""
    from orgwell.surveys import waves

    wave, tokens = wave_links
    first, late = list(tokens.values())[:2]
    before = wave.rollups_token
    responding.submit(responding.open_by_token(first), all_work())
    db.session.commit()
    db.session.refresh(wave)
    assert wave.rollups_token == before  # open: no results page shows it

    survey = responding.open_by_token(late)
    db.session.rollback()
    assert waves.close_due_waves(wave.closes_at + timedelta(seconds=1)) == [wave.id]
    db.session.commit()
    db.session.refresh(wave)
    closed_with = wave.rollups_token
    assert closed_with != before  # closing gives the wave its token

    responding.submit(survey, all_work())
    db.session.commit()
    db.session.refresh(wave)
    assert wave.responded_count == 2
    assert wave.rollups_token not in (before, closed_with)
