"""The CE transcript (page and CSV) and certificates of completed programs."""
from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

from orgwell.programs import transcript
from tests.programs.learning_fixtures import *  # noqa: F403
from tests.programs.learning_fixtures import (
    START,
    assignment_of,
    finish,
    membership_of,
    move_to,
)


def _complete_two_courses(world, clock):
    """staff_a completes course #5033 on day 3 and the optional #3902 on day 22."""
    move_to(clock, START + timedelta(days=3))
    finish(assignment_of(world, "staff_a", "course-5033"))
    finish(assignment_of(world, "staff_a", "compassion-reading"))  # not a CE course
    move_to(clock, START + timedelta(days=22))
    finish(assignment_of(world, "staff_a", "course-3902"))
    finish(assignment_of(world, "staff_b", "course-5033"))  # someone else's


def test_transcript_lists_completed_courses_with_hours(world, enrolled, clock):
    _complete_two_courses(world, clock)
    result = transcript.transcript_for(membership_of(world, "staff_a"))
    assert [(line.course_number, line.completed_on.isoformat(), line.hours)
            for line in result.lines] == [
        ("5033", "2026-03-05", Decimal("2")),
        ("3902", "2026-03-24", Decimal("2")),
    ]
    assert result.lines[0].provider == "PhysicalTherapy.com"
    assert result.total_hours == Decimal("4")
    assert transcript.hours_text(result.total_hours) == "4"
    assert transcript.hours_text(Decimal("1.50")) == "1.5"


def test_transcript_page_and_csv(client, auth, world, enrolled, clock):
    _complete_two_courses(world, clock)
    auth.login(world["staff_a"].email)
    html = client.get("/o/riverside/learning/transcript").get_data(as_text=True)
    assert "Burnout Prehab and Rehab: Strategies for Resilience" in html
    assert "#3902" in html
    assert "2 courses, 4 CE hours in total" in html
    reading = assignment_of(world, "staff_a", "compassion-reading")
    assert reading.status == "completed"
    assert reading.module.title not in html  # OrgWell's own modules carry no CE credit

    response = client.get("/o/riverside/learning/transcript.csv")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == list(transcript.CSV_COLUMNS)
    assert [r[0] for r in rows[1:]] == ["2026-03-05", "2026-03-24", "total"]
    assert rows[1][2:4] == ["PhysicalTherapy.com", "5033"]
    assert rows[1][6] == "2" and rows[-1][6] == "4"
    assert rows[1][7] == "Burnout prehab"


def test_csv_cells_cannot_run_as_formulas(world):
    line = transcript.CourseLine(
        completed_on=START, title="=HYPERLINK(\"x\")", provider="+evil", course_number="-1",
        presenter="@me", level="", hours=Decimal("1"), program="P",
    )
    text = transcript.transcript_csv(transcript.Transcript("A", "B", [line]))
    row = list(csv.reader(io.StringIO(text)))[1]
    assert row[1].startswith("'=") and row[2] == "'+evil" and row[3] == "'-1" and row[4] == "'@me"


def test_transcript_is_empty_without_courses(client, auth, world, enrolled):
    auth.login(world["staff_b"].email)
    html = client.get("/o/riverside/learning/transcript").get_data(as_text=True)
    assert "No CE courses completed yet" in html
    rows = list(csv.reader(io.StringIO(
        client.get("/o/riverside/learning/transcript.csv").get_data(as_text=True)
    )))
    assert rows[1:] == [["total", "", "", "", "", "", "0", ""]]


def test_certificate_only_for_a_completed_program(client, auth, world, enrolled, clock):
    enrollment_ = enrolled.enrolled[0]
    owner = enrollment_.membership.user
    auth.login(owner.email)
    url = f"/o/riverside/learning/certificates/{enrollment_.id}"
    not_yet = client.get(url)
    assert not_yet.status_code == 404
    assert "No certificate yet" in not_yet.get_data(as_text=True)
    assert transcript.certificate_for(enrollment_) is None

    move_to(clock, START + timedelta(days=36))
    for assignment in enrollment_.assignments:
        if assignment.module.required:
            finish(assignment)
    assert enrollment_.status == "completed"
    auth.login(owner.email)  # the clock moved past the login's idle limit
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Certificate of completion" in html
    assert owner.name in html
    assert "07 April 2026" in html  # START + 36 days
    assert "js/learning-print.js" in html
    listed = client.get("/o/riverside/learning/transcript").get_data(as_text=True)
    assert url in listed


def test_certificate_of_someone_else_is_not_found(client, auth, world, enrolled, clock):
    move_to(clock, START + timedelta(days=36))
    mine, theirs = sorted(enrolled.enrolled, key=lambda e: e.membership.user.email != world[
        "staff_a"].email)
    for assignment in theirs.assignments:
        if assignment.module.required:
            finish(assignment)
    assert theirs.status == "completed"
    for person in ("staff_a", "leader_a", "owner_x"):
        auth.login(world[person].email)
        assert client.get(f"/o/riverside/learning/certificates/{theirs.id}").status_code == 404
