"""A staff member's own learning pages: progress, opening only one's own modules, completing
only what is released, and the privacy of reflections."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from orgwell.programs import learning
from tests.programs.learning_fixtures import *  # noqa: F403
from tests.programs.learning_fixtures import (
    PREHAB_REQUIRED,
    START,
    assignment_of,
    finish,
    membership_of,
    move_to,
)

SECRET = "My manager must never read: I cried in the car park on Tuesday."


def _module_url(world, assignment) -> str:
    return f"/o/{world['org_x'].slug}/learning/modules/{assignment.id}"


def _percent(html: str) -> list[int]:
    return [int(p) for p in re.findall(r'data-progress="(\d+)"', html)]


def test_my_learning_shows_the_program_and_progress_moves(client, auth, world, enrolled):
    auth.login(world["staff_a"].email)
    page = client.get("/o/riverside/learning/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Burnout prehab" in html
    assert _percent(html) == [0]
    assert f"0 of {PREHAB_REQUIRED} required modules done" in html

    course = assignment_of(world, "staff_a", "course-5033")
    response = client.post(_module_url(world, course) + "/complete")
    assert response.status_code == 302

    html = client.get("/o/riverside/learning/").get_data(as_text=True)
    assert _percent(html) == [round(100 / PREHAB_REQUIRED)]
    assert f"1 of {PREHAB_REQUIRED} required modules done" in html
    assert course.status == "completed" and course.completed_at is not None


def test_nav_has_my_learning_for_members(client, auth, world, enrolled):
    auth.login(world["leader_a"].email)
    html = client.get("/o/riverside/").get_data(as_text=True)
    assert 'href="/o/riverside/learning/"' in html


@pytest.mark.parametrize("other", ["staff_b", "leader_a", "owner_x", "consultant_x", "owner_y"])
def test_only_the_owner_of_an_assignment_opens_it(client, auth, world, enrolled, other):
    reading = assignment_of(world, "staff_a", "compassion-reading")
    auth.login(world[other].email)
    url = _module_url(world, reading)
    expected = 403 if other == "consultant_x" else 404  # consultants have no learning pages
    assert client.get(url).status_code == expected
    assert client.post(url + "/complete").status_code == expected
    assert client.post(url + "/reflection", data={"text": "not mine"}).status_code == expected
    assert reading.status == "available" and reading.reflection_text is None


def test_the_owner_opens_their_own_module(client, auth, world, enrolled):
    reading = assignment_of(world, "staff_a", "compassion-reading")
    auth.login(world["staff_a"].email)
    page = client.get(_module_url(world, reading))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert reading.module.title in html
    assert "<script" not in reading.module.body_html.lower()
    assert "Mark as complete" in html


def test_a_module_of_another_organisation_is_not_found(client, auth, world, enrolled):
    reading = assignment_of(world, "staff_a", "compassion-reading")
    auth.login(world["owner_y"].email)
    assert client.get(f"/o/harbor/learning/modules/{reading.id}").status_code == 404


def test_course_page_links_out_safely(client, auth, world, enrolled):
    course = assignment_of(world, "staff_a", "course-5033")
    auth.login(world["staff_a"].email)
    html = client.get(_module_url(world, course)).get_data(as_text=True)
    link = re.search(r'<a[^>]*>Open the course', html).group(0)
    assert 'target="_blank"' in link and "noopener" in link
    assert "#5033" in html


def test_complete_only_when_released(client, auth, world, enrolled):
    reflection = assignment_of(world, "staff_a", "compassion-reflection")
    assert reflection.status == "upcoming"  # released on day 7
    auth.login(world["staff_a"].email)
    response = client.post(_module_url(world, reflection) + "/complete", follow_redirects=True)
    assert "This module opens on 09 Mar 2026" in response.get_data(as_text=True)
    assert reflection.status == "upcoming" and reflection.completed_at is None
    # Nor can anything be written on it yet.
    client.post(_module_url(world, reflection) + "/reflection", data={"text": "early words"})
    assert reflection.reflection_text is None
    with pytest.raises(learning.LearningError):
        learning.mark_complete(reflection)


def test_reflection_module_needs_a_saved_reflection(client, auth, world, enrolled, clock):
    move_to(clock, START + timedelta(days=7))
    reflection = assignment_of(world, "staff_a", "compassion-reflection")
    assert reflection.status == "available"
    auth.login(world["staff_a"].email)
    url = _module_url(world, reflection)

    html = client.get(url).get_data(as_text=True)
    assert "Write and save your reflection first" in html
    client.post(url + "/complete")
    assert reflection.status == "available"

    too_long = client.post(url + "/reflection", data={"text": "x" * 10_001})
    assert "10000" in too_long.get_data(as_text=True).replace(",", "")
    assert reflection.reflection_text is None

    saved = client.post(url + "/reflection", data={"text": SECRET}, follow_redirects=True)
    assert "Only you can read it" in saved.get_data(as_text=True)
    assert reflection.reflection_text == SECRET
    assert SECRET.replace("'", "&#39;") in client.get(url).get_data(as_text=True)

    client.post(url + "/complete")
    assert reflection.status == "completed"


def test_completing_twice_changes_nothing(world, enrolled):
    course = assignment_of(world, "staff_a", "course-5033")
    assert learning.mark_complete(course) is True
    first = course.completed_at
    assert learning.mark_complete(course) is False
    assert course.completed_at == first


def test_excused_module_cannot_be_completed(world, enrolled):
    course = assignment_of(world, "staff_a", "course-5033")
    course.status = "excused"
    with pytest.raises(learning.LearningError, match="no longer expected"):
        learning.mark_complete(course)


def test_finishing_every_required_module_completes_the_program(world, enrolled, clock):
    move_to(clock, START + timedelta(days=35))
    membership = membership_of(world, "staff_a")
    [card] = learning.my_programs(membership)
    required = [a for a in card.assignments if a.module.required]
    assert len(required) == PREHAB_REQUIRED
    for assignment in required[:-1]:
        finish(assignment)
    assert card.enrollment.status == "active"
    finish(required[-1])
    assert card.enrollment.status == "completed"
    assert card.enrollment.completed_on == START + timedelta(days=35)
    [card] = learning.my_programs(membership)
    assert card.progress.percent == 100
    assert card.next_due is not None  # optional modules are still open to do


# Blueprints whose pages show program or people data (other domains' pages cannot hold it).
CRAWLED = ("programs", "learning", "orgs", "home")


def _get_routes(app):
    for rule in app.url_map.iter_rules():
        if ("GET" in rule.methods and rule.rule.startswith(("/o/<slug>", "/my/<slug>"))
                and rule.endpoint.split(".")[0] in CRAWLED):
            yield rule


def test_reflections_never_reach_leaders_or_owners(app, client, auth, world, enrolled, clock):
    """Every page of the organisation a leader or owner can open (programs, cohorts,
    progress, CSV exports, API) is free of the reflection text; the writer sees it."""
    move_to(clock, START + timedelta(days=7))
    reflection = assignment_of(world, "staff_a", "compassion-reflection")
    learning.save_reflection(reflection, SECRET)
    learning.mark_complete(reflection)
    enrollment_ = reflection.enrollment
    values = {
        "slug": "riverside",
        "program_id": enrollment_.program_id,
        "cohort_id": enrollment_.cohort_id,
        "enrollment_id": enrollment_.id,
        "my_enrollment_id": enrollment_.id,
        "assignment_id": reflection.id,
        "team_id": world["team_a"].id,
        "membership_id": enrollment_.membership_id,
        "module_id": reflection.module_id,
        "version_id": reflection.module.version_id,
    }
    needle = SECRET[:30]
    checked = []
    for person in ("leader_a", "owner_x"):
        auth.login(world[person].email)
        for rule in _get_routes(app):
            if not set(rule.arguments) <= set(values):
                continue
            url = rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)[1]
            body = client.get(url).get_data(as_text=True)
            assert needle not in body, f"{person} read the reflection at {url}"
            checked.append(url)
        for api in ("programs", "enrollments", "assignments"):
            body = client.get(f"/api/v1/orgs/riverside/{api}").get_data(as_text=True)
            assert needle not in body
        auth.logout()
    assert any("/learning/modules/" in url for url in checked)
    # Positive control: the writer's own page shows it.
    auth.login(world["staff_a"].email)
    own = client.get(_module_url(world, reflection)).get_data(as_text=True)
    assert needle.replace("'", "&#39;") in own


def test_home_card_shows_progress_and_next_module(app, world, enrolled):
    from orgwell.programs.home import home_card

    membership = membership_of(world, "staff_a")
    finish(assignment_of(world, "staff_a", "compassion-reading"))
    with app.test_request_context():
        card = home_card(membership)
    [program] = card["programs"]
    assert program["name"] == "Burnout prehab"
    assert program["progress"].percent == round(100 / PREHAB_REQUIRED)
    # The course (due day 14) is the only released module left.
    course = assignment_of(world, "staff_a", "course-5033")
    assert card["next"]["title"] == course.module.title
    assert card["next"]["url"] == f"/o/riverside/learning/modules/{course.id}"
    assert card["next"]["when"] == "due 16 Mar"
    assert card["url"] == "/o/riverside/learning/"
