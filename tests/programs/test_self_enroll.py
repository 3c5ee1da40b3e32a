"""Staff joining programs on their own, and the program suggestions for high CBI scales."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from orgwell.extensions import db
from orgwell.programs import learning, library, self_enroll
from orgwell.programs.models import Enrollment
from tests.programs.learning_fixtures import *  # noqa: F403
from tests.programs.learning_fixtures import START, membership_of


@pytest.fixture
def reset(world, clock):
    program = library.copy_template(world["org_x"], "stress-reset", created_by=world["owner_x"])
    db.session.commit()
    assert program.self_enroll
    return program


def _enrollments() -> int:
    return db.session.scalar(select(func.count(Enrollment.id)))


def test_join_page_lists_only_open_programs(client, auth, world, reset, prehab):
    auth.login(world["staff_a"].email)
    html = client.get("/o/riverside/learning/join").get_data(as_text=True)
    assert "Two-week stress reset" in html
    assert "Burnout prehab" not in html  # leaders enroll people in that one


def test_staff_member_joins_and_gets_released_modules(client, auth, world, reset):
    auth.login(world["staff_a"].email)
    response = client.post("/o/riverside/learning/join", data={"program_id": reset.id},
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "You joined “Two-week stress reset”" in html
    [enrollment] = db.session.scalars(select(Enrollment)).all()
    assert enrollment.membership_id == membership_of(world, "staff_a").id
    assert enrollment.source == "self" and enrollment.start_on == START
    assert enrollment.cohort.self_enrolled
    released = sorted(a.module.module_key for a in enrollment.assignments
                      if a.status == "available")
    assert released == ["breathing-practice", "micro-breaks"]  # day 0; the course opens day 3
    # Joined: no longer offered, and a second join changes nothing.
    assert "Two-week stress reset" not in client.get("/o/riverside/learning/join").get_data(
        as_text=True)
    again = client.post("/o/riverside/learning/join", data={"program_id": reset.id})
    assert again.status_code == 200 and _enrollments() == 1


@pytest.mark.parametrize("value", ["abc", "", "999999", "-1"])
def test_bad_join_input_changes_nothing(client, auth, world, reset, value):
    auth.login(world["staff_a"].email)
    response = client.post("/o/riverside/learning/join", data={"program_id": value})
    assert response.status_code == 200
    assert "alert-danger" in response.get_data(as_text=True)
    assert _enrollments() == 0


def test_a_program_not_open_for_joining_cannot_be_joined(client, auth, world, prehab, reset):
    auth.login(world["staff_a"].email)
    client.post("/o/riverside/learning/join", data={"program_id": prehab.id})
    assert _enrollments() == 0
    with pytest.raises(learning.LearningError):
        self_enroll.enroll_self(membership_of(world, "staff_a"), prehab)


def test_archived_program_is_not_offered(world, reset):
    reset.archived = True
    assert self_enroll.self_enroll_choices(membership_of(world, "staff_a")) == []


def test_suggestions_follow_the_high_scales(world, prehab, reset):
    leaders = library.copy_template(world["org_x"], "leaders-track")
    db.session.commit()
    membership = membership_of(world, "staff_a")

    client_related = learning.suggested_programs(membership, {"client"})
    names = [s.program.name for s in client_related]
    assert set(names) == {"Burnout prehab", "Leading a resilient clinic", "Two-week stress reset"}
    prehab_hit = next(s for s in client_related if s.program == prehab)
    assert "patient-related burnout" in prehab_hit.reason
    assert "Compassion" in prehab_hit.reason or "compassion" in prehab_hit.reason

    work = learning.suggested_programs(membership, {"work"})
    assert leaders in [s.program for s in work]
    both = learning.suggested_programs(membership, {"work", "personal"})
    assert both[0].scales == ("personal", "work")
    assert learning.suggested_programs(membership, {"nonsense"}) == []
    assert learning.suggested_programs(membership, set()) == []


def test_suggestions_leave_out_programs_the_person_follows(world, reset):
    membership = membership_of(world, "staff_a")
    assert [s.program for s in learning.suggested_programs(membership, {"personal"})] == [reset]
    self_enroll.enroll_self(membership, reset)
    assert learning.suggested_programs(membership, {"personal"}) == []
