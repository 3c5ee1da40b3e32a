"""The built-in library: exact course facts, own wording, templates that copy cleanly."""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from orgwell.programs import library
from orgwell.programs.catalogue import MODULES, TEMPLATES
from orgwell.programs.content import is_http_url, render_markdown

# The course catalogue page the facts below were taken from. Only the "own words" check
# needs it; the facts themselves are kept here, so the tests run from any clone.
REFERENCE = Path("/work/shared/reference/000_4259dc9c5e99646e.txt")

# course number -> (title, presenter, level), as the catalogue lists them; each is 2 CE
# hours at PhysicalTherapy.com.
COURSES = {
    "5033": ("Burnout Prehab and Rehab: Strategies for Resilience", "Lisa Flexner",
             "Intermediate"),
    "3902": ("Mindfulness: Beyond Guided Meditation", "Jennifer Stone", "Intermediate"),
    "3652": ("From Survive to Thrive at Work: An Evidence-Based Approach to Healthcare "
             "Burnout", "Erika del Pozo", "Introductory"),
    "4695": ("Managing Pain and Stress for Clinicians as Well as Their Patients",
             "Ann Marie Amber Asselin", "Introductory"),
    "3939": ("Beating Burnout and Building Resilience: Strategies to Succeed",
             "Amy M. Schlessman", "Introductory"),
}


def test_the_five_burnout_courses_have_their_exact_facts():
    courses = {m["course_number"]: m for m in MODULES.values() if m["kind"] == "course"}
    assert set(courses) == set(COURSES)
    for number, (title, presenter, level) in COURSES.items():
        course = courses[number]
        assert course["title"] == title
        assert course["presenter"].startswith(presenter)
        assert course["level"] == level
        assert course["ce_hours"] == Decimal("2")
        assert course["provider"] == "PhysicalTherapy.com"
        assert is_http_url(course["url"])


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


@pytest.mark.skipif(not REFERENCE.exists(),
                    reason=f"the reference catalogue page {REFERENCE} is not in this checkout")
def test_descriptions_are_written_in_our_own_words():
    """No eight-word run of any description appears in the catalogue page."""
    source = " ".join(_words(REFERENCE.read_text()))
    for key, module in MODULES.items():
        words = _words(module.get("summary", "") + " " + module.get("body_markdown", ""))
        for i in range(len(words) - 7):
            run = " ".join(words[i:i + 8])
            assert run not in source, f"{key} copies “{run}”"


def test_own_modules_cover_compassion_and_daily_practice():
    reading = MODULES["compassion-reading"]
    text = reading["body_markdown"].lower()
    for idea in ("feeling with", "empathic distress", "understanding plus action", "boundary"):
        assert idea in text
    assert reading["prompt"]
    practice = MODULES["breathing-practice"]
    assert practice["kind"] == "practice" and practice["practice_days_per_week"] == 5


def test_templates_have_valid_offsets_and_a_self_enroll_one():
    keys = {t.key for t in TEMPLATES}
    assert {"burnout-prehab", "leaders-track"} <= keys
    prehab = library.get_template("burnout-prehab")
    assert prehab.weeks == 6 and max(s.due for s in prehab.steps) == 42
    for template in TEMPLATES:
        for step in template.steps:
            assert 0 <= step.release <= step.due, (template.key, step)
    assert any(t.self_enroll for t in TEMPLATES)


def test_copying_a_template_makes_an_organisation_owned_published_program(world, db):
    first = library.copy_template(world["org_x"], "burnout-prehab", created_by=world["owner_x"])
    second = library.copy_template(world["org_y"], "burnout-prehab")
    db.session.commit()
    assert first.id != second.id and first.organisation_id == world["org_x"].id
    version = first.current_version
    assert version.number == 1 and version.published_at is not None
    assert first.draft_version is None
    keys = [m.module_key for m in version.modules]
    assert keys[0] == "course-5033" and len(keys) == len(set(keys)) == 8
    reading = next(m for m in version.modules if m.module_key == "compassion-reading")
    assert "<h2>Two ways of caring</h2>" in reading.body_html
    assert (reading.release_offset_days, reading.due_offset_days) == (0, 7)


def test_markdown_loses_scripts_event_handlers_and_javascript_links():
    html = render_markdown(
        "Hi <script>alert(1)</script>\n\n<a href=\"https://ok.example\" onclick=\"x()\">ok</a> "
        "[bad](javascript:alert(1)) <img src=x onerror=alert(2)>\n\n**kept**"
    )
    assert "<script" not in html and "<p>Hi </p>" in html  # the script's body goes too
    assert "onclick" not in html and "onerror" not in html and "<img" not in html
    assert 'href="javascript' not in html  # left as plain text, never a link
    assert '<a href="https://ok.example"' in html and "<strong>kept</strong>" in html


def test_only_http_and_https_addresses_count_as_links():
    assert is_http_url("https://www.physicaltherapy.com/")
    assert is_http_url("http://example.org/x?y=1")
    for bad in ("javascript:alert(1)", "ftp://example.org", "www.example.org", "https://",
                "", None, "https://exa mple.org"):
        assert not is_http_url(bad)
