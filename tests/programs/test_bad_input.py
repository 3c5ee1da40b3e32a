"""Bad input to the leader pages: a clear message and no 500, nothing changed."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from orgwell.programs import builder
from orgwell.programs.models import Module
from tests.programs.conftest import enroll_teams, login

BASE = "/o/riverside/programs"
COURSE = {"kind": "course", "title": "A course", "url": "https://ce.example/1",
          "ce_hours": "1.5", "release_offset_days": "0", "due_offset_days": "7",
          "estimated_minutes": "60", "required": "y"}


def _module_count(db) -> int:
    return db.session.scalar(select(func.count(Module.id)))


@pytest.mark.parametrize("hours", ["sNaN", "NaN", "Infinity", "-Infinity", "inf"])
def test_ce_hours_that_are_not_finite_numbers_are_refused(client, world, db, program, hours):
    login(client, world["owner_x"])
    before = _module_count(db)
    response = client.post(f"{BASE}/{program.id}/modules/new/course",
                           data={**COURSE, "ce_hours": hours})
    assert response.status_code == 200
    assert "Not a valid number" in response.text
    assert _module_count(db) == before


@pytest.mark.parametrize("days", ["²", "3, ٣", "1²"])
def test_reminder_days_with_non_ascii_digits_are_refused(client, world, db, program, days):
    login(client, world["owner_x"])
    response = client.post(f"{BASE}/{program.id}/edit", data={
        "name": "Renamed", "reminder_days": days, "overdue_reminder_max": "2",
        "overdue_reminder_gap_days": "7"})
    assert response.status_code == 200 and "Use whole numbers of days" in response.text
    db.session.expire_all()
    assert program.name == "Burnout prehab"


@pytest.mark.parametrize("address", ["javascript:alert(1)", "ftp://video.example/1",
                                     "//video.example/1", "video.example/1"])
def test_video_address_must_be_http_or_https(client, world, db, program, address):
    login(client, world["owner_x"])
    before = _module_count(db)
    response = client.post(f"{BASE}/{program.id}/modules/new/video", data={
        "kind": "video", "title": "Huddle", "video_url": address,
        "release_offset_days": "0", "due_offset_days": "7", "estimated_minutes": "8"})
    assert response.status_code == 200
    assert "http:// or https://" in response.text
    assert _module_count(db) == before


def test_markdown_links_and_images_cannot_run_script(client, world, db, program):
    login(client, world["owner_x"])
    response = client.post(f"{BASE}/{program.id}/modules/new/reading", data={
        "kind": "reading", "title": "Careful", "release_offset_days": "0",
        "due_offset_days": "3", "estimated_minutes": "5",
        "body_markdown": "[x](javascript:alert(1)) and <img src=x onerror=alert(1)> and "
                         "[ok](https://example.org/)",
    })
    assert response.status_code == 302
    html = db.session.scalar(select(Module).filter_by(title="Careful")).body_html
    assert "href=\"javascript" not in html.lower() and "onerror" not in html.lower()
    assert "<img" not in html or "src=\"x\"" not in html
    assert 'href="https://example.org/"' in html  # a normal link survives


def test_moving_a_module_removed_from_the_draft_is_a_message_not_a_500(
    client, world, db, program
):
    login(client, world["owner_x"])
    removed = program.current_version.modules[-1]
    base = f"{BASE}/{program.id}/modules/{removed.id}"
    assert client.post(f"{base}/remove").status_code == 302
    response = client.post(f"{base}/move/up", follow_redirects=True)
    assert response.status_code == 200
    assert "no longer in the draft" in response.text
    keys = [m.module_key for m in program.draft_version.modules]
    assert removed.module_key not in keys and len(keys) == 7


def test_progress_csv_of_a_program_with_a_non_latin_name_downloads(
    client, world, db, program, at
):
    builder.update_details(program, name="Prévention – 燃え尽き “calm”")
    result = enroll_teams(program, [world["team_a"]])
    login(client, world["owner_x"])
    response = client.get(f"{BASE}/{program.id}/cohorts/{result.cohort.id}/progress.csv")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition == (f'attachment; filename="prevention-calm-cohort-{result.cohort.id}'
                           '-progress.csv"')
    builder.update_details(program, name="燃え尽き")
    db.session.commit()
    response = client.get(f"{BASE}/{program.id}/cohorts/{result.cohort.id}/progress.csv")
    assert response.status_code == 200
    assert f'filename="cohort-{result.cohort.id}-progress.csv"' in \
        response.headers["Content-Disposition"]


def test_progress_csv_cells_never_start_a_formula(client, world, db, program, at):
    world["staff_a"].name = "=HYPERLINK(\"http://evil.example\",\"click\")"
    world["team_b"].name = "+SUM(1,1)"
    result = enroll_teams(program, [world["team_a"], world["team_b"]])
    login(client, world["owner_x"])
    response = client.get(f"{BASE}/{program.id}/cohorts/{result.cohort.id}/progress.csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    cells = [cell for row in rows[1:] for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]
    assert "'=HYPERLINK(\"http://evil.example\",\"click\")" in cells
    assert "'+SUM(1,1)" in cells
