"""Erasing a person: every aggregate stays exactly the same and the person is gone."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from orgwell.audit.models import AuditEvent
from orgwell.auth.models import ApiToken, User, UserSession, UserToken
from orgwell.extensions import db
from orgwell.notifications.models import OutboxMessage
from orgwell.orgs.models import Membership
from orgwell.privacy import erasure
from orgwell.privacy.models import Erasure
from orgwell.programs.leave_models import LeavePeriod
from orgwell.programs.models import Assignment
from orgwell.surveys.models import Invitation, Response, WaveMember
from tests import factories
from tests.privacy.conftest import EMAIL, NAME, text_hits

# Plain SQL, written independently of the code under test.
AGGREGATES = {
    "survey means per wave, team and scale": """
        SELECT r.wave_id, r.team_id, s.scale_key, COUNT(*), AVG(s.score)
        FROM survey_responses r JOIN survey_response_scores s ON s.response_id = r.id
        GROUP BY r.wave_id, r.team_id, s.scale_key ORDER BY 1, 2, 3""",
    "answers per wave and team": """
        SELECT wave_id, team_id, COUNT(*) FROM survey_responses
        GROUP BY wave_id, team_id ORDER BY 1, 2""",
    "invited and responded per wave and team": """
        SELECT wm.wave_id, wm.team_id, COUNT(i.id), SUM(CASE WHEN i.answered THEN 1 ELSE 0 END)
        FROM survey_wave_members wm JOIN survey_invitations i ON i.wave_member_id = wm.id
        GROUP BY wm.wave_id, wm.team_id ORDER BY 1, 2""",
    "wave totals": "SELECT id, invited_count, responded_count FROM survey_waves ORDER BY id",
    "program completions per team and week": """
        SELECT ta.team_id, strftime('%Y-%W', a.completed_at), COUNT(*)
        FROM program_assignments a JOIN team_assignments ta ON ta.membership_id = a.membership_id
        WHERE a.status = 'completed' GROUP BY 1, 2 ORDER BY 1, 2""",
    "assignments per team and status": """
        SELECT ta.team_id, a.status, COUNT(*)
        FROM program_assignments a JOIN team_assignments ta ON ta.membership_id = a.membership_id
        GROUP BY 1, 2 ORDER BY 1, 2""",
    "enrollments per cohort": """
        SELECT cohort_id, status, COUNT(*) FROM program_enrollments GROUP BY 1, 2 ORDER BY 1, 2""",
    "headcount per team": """
        SELECT ta.team_id, m.status, COUNT(*) FROM team_assignments ta
        JOIN memberships m ON m.id = ta.membership_id GROUP BY 1, 2 ORDER BY 1, 2""",
}


def aggregates() -> dict[str, list[tuple]]:
    return {name: db.session.execute(text(sql)).all() for name, sql in AGGREGATES.items()}


def test_erasing_keeps_every_aggregate_exactly(filled):
    before = aggregates()
    assert all(before.values())
    erasure.erase_member(filled["zebedee"], actor_id=filled["owner_x"].id)
    db.session.commit()
    assert aggregates() == before


def test_the_name_and_email_appear_nowhere_afterwards(filled):
    assert text_hits([NAME, EMAIL])  # the check finds them before
    erasure.erase_member(filled["zebedee"])
    db.session.commit()
    assert text_hits([NAME, EMAIL]) == []
    assert text_hits(["Zebedee", "zebedee.quixote"]) == []


def test_confidential_answers_become_anonymous(filled):
    member = filled["zebedee"]
    answers = db.session.scalars(select(Response.id).filter_by(membership_id=member.id)).all()
    assert len(answers) == 2
    erasure.erase_member(member)
    db.session.commit()
    for response_id in answers:
        response = db.session.get(Response, response_id)
        assert response.membership_id is None and response.team_id == filled["team_a"].id
    for model in (Response, Invitation, WaveMember):
        assert db.session.scalar(
            select(func.count()).select_from(model).filter_by(membership_id=member.id)
        ) == 0
    assert db.session.scalar(select(func.count()).where(
        Invitation.token_hash.is_(None))) == 2


def test_private_writing_and_logins_are_deleted(filled):
    member = filled["zebedee"]
    user_id = member.user_id
    erasure.erase_member(member)
    db.session.commit()
    assignments = db.session.scalars(select(Assignment).filter_by(membership_id=member.id)).all()
    assert len(assignments) == 3
    assert {a.reflection_text for a in assignments} == {None}
    assert {a.excuse_reason for a in assignments} == {None}
    assert [e.note for a in assignments for e in a.practice_entries] == [""]
    assert db.session.scalar(select(func.count()).select_from(LeavePeriod)
                             .filter_by(membership_id=member.id)) == 0
    for model in (UserSession, UserToken, ApiToken):
        assert db.session.scalar(select(func.count()).select_from(model)
                                 .filter_by(user_id=user_id)) == 0
    user = db.session.get(User, user_id)
    assert user.name == erasure.ERASED_NAME and user.email.endswith("@erased.invalid")
    assert not user.active and user.password_hash is None
    assert db.session.scalar(select(func.count()).where(
        AuditEvent.actor_id == user_id, AuditEvent.ip.is_not(None))) == 0


def test_the_audit_log_records_the_erasure_without_personal_data(filled):
    member = filled["zebedee"]
    erasure.erase_member(member, actor_id=filled["owner_x"].id)
    db.session.commit()
    event = db.session.scalar(select(AuditEvent).filter_by(action="person_erased"))
    assert event.target_id == member.id and event.details == {"reason": "request"}
    assert event.actor_id == filled["owner_x"].id


def test_a_person_with_another_organisation_keeps_their_account(filled):
    member = filled["zebedee"]
    user = member.user
    elsewhere = factories.MembershipFactory(user=user, organisation=filled["org_y"])
    db.session.commit()
    erasure.erase_member(member)
    db.session.commit()
    db.session.expire_all()
    assert (user.name, user.email) == (NAME, EMAIL)
    assert db.session.get(Membership, elsewhere.id).user_id == user.id
    shell = db.session.get(Membership, member.id)
    assert shell.user_id != user.id and shell.user.name == erasure.ERASED_NAME
    # Organisation X's rows no longer lead to the person; Y's mail to them is untouched.
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.organisation_id == filled["org_x"].id, AuditEvent.actor_id == user.id)) == 0
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.organisation_id == filled["org_x"].id,
        OutboxMessage.to_addr == EMAIL)) == 0
    assert db.session.scalar(select(func.count()).select_from(UserSession)
                             .filter_by(user_id=user.id)) == 1


@pytest.mark.parametrize("who", ["staff_a", "zebedee_twice"])
def test_current_staff_and_erased_people_are_refused(filled, who):
    if who == "staff_a":
        member = filled["staff_a"].memberships[0]
    else:
        member = filled["zebedee"]
        erasure.erase_member(member)
        db.session.commit()
    before = aggregates(), text_hits([filled["staff_a"].email])
    with pytest.raises(erasure.ErasureRefused):
        erasure.erase_member(member)
    db.session.rollback()
    assert (aggregates(), text_hits([filled["staff_a"].email])) == before
    assert db.session.scalar(select(func.count()).select_from(Erasure)) == (
        0 if who == "staff_a" else 1
    )
