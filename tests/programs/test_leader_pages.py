"""Leader pages: library, builder forms, enrolling, progress, excusing, the setting, privacy."""
from __future__ import annotations

from sqlalchemy import func, select

from orgwell.programs.learning import mark_complete, save_reflection
from orgwell.programs.models import Enrollment, Module, Program, ProgramSettings
from tests.programs.conftest import assignment_of, enroll_teams, login, member

SECRET = "MY-PRIVATE-REFLECTION-TEXT"
BASE = "/o/riverside/programs"


def _module_count(db) -> int:
    return db.session.scalar(select(func.count(Module.id)))


def test_a_leader_copies_a_template_from_the_library(client, world, db):
    login(client, world["leader_a"])
    page = client.get(f"{BASE}/")
    assert "Burnout prehab" in page.text and "Copy to my organisation" in page.text
    preview = client.get(f"{BASE}/library/burnout-prehab")
    assert "course #5033" in preview.text and "Lisa Flexner" in preview.text
    assert client.get(f"{BASE}/library/nope").status_code == 404
    copied = client.post(f"{BASE}/library/leaders-track/copy")
    assert copied.status_code == 302
    program = db.session.scalar(select(Program))
    assert program.copied_from == "leaders-track" and program.organisation_id == world["org_x"].id
    assert client.get(copied.headers["Location"]).status_code == 200


def test_bad_module_input_re_renders_with_errors_and_changes_nothing(client, world, db, program):
    login(client, world["owner_x"])
    before = _module_count(db)
    url = f"{BASE}/{program.id}/modules/new/course"
    bad = [
        ({"url": "javascript:alert(1)"}, "http:// or https://"),
        ({"url": "ftp://x.example/c"}, "http:// or https://"),
        ({"ce_hours": "250"}, "CE hours go from 0 to 100"),
        ({"ce_hours": "lots"}, "Not a valid decimal"),
        ({"release_offset_days": "-2"}, "Number must be between"),
        ({"release_offset_days": "10", "due_offset_days": "3"}, "cannot come before"),
        ({"title": ""}, "This field is required"),
    ]
    good = {"kind": "course", "title": "A course", "url": "https://ce.example/1",
            "ce_hours": "1.5", "release_offset_days": "0", "due_offset_days": "7",
            "estimated_minutes": "60", "required": "y"}
    for change, message in bad:
        response = client.post(url, data={**good, **change})
        assert response.status_code == 200, change
        assert message in response.text, change
    assert _module_count(db) == before
    assert program.draft_version is None
    assert client.post(url, data=good).status_code == 302
    assert _module_count(db) == before + 9  # a draft copy of the 8 plus the new one


def test_reading_markdown_is_stripped_of_scripts_through_the_form(client, world, db, program):
    login(client, world["owner_x"])
    response = client.post(f"{BASE}/{program.id}/modules/new/reading", data={
        "kind": "reading", "title": "Careful", "release_offset_days": "0",
        "due_offset_days": "3", "estimated_minutes": "5",
        "body_markdown": "Hi <script>alert(1)</script> <a href='https://x.example' "
                         "onclick='steal()'>x</a>",
    })
    assert response.status_code == 302
    module = db.session.scalar(select(Module).filter_by(title="Careful"))
    assert "<script" not in module.body_html and "onclick" not in module.body_html


def test_publishing_from_the_builder_with_and_without_applying(client, world, db, program, at):
    enroll_teams(program, [world["team_a"]])
    login(client, world["owner_x"])
    client.post(f"{BASE}/{program.id}/modules/new/video", data={
        "kind": "video", "title": "Huddle", "video_url": "https://video.example/1",
        "release_offset_days": "0", "due_offset_days": "7", "estimated_minutes": "8",
    })
    page = client.get(f"{BASE}/{program.id}/")
    assert "draft v2" in page.text
    assert client.post(f"{BASE}/{program.id}/publish", data={"apply_to_open": "y"}).status_code \
        == 302
    db.session.expire_all()
    assert program.current_version.number == 2
    titles = {a.module.title for a in
              assignment_of(program, member(world, "staff_a"), "course-5033")
              .enrollment.assignments}
    assert "Huddle" in titles
    versions = client.get(f"{BASE}/{program.id}/versions")
    assert "Version 2" in versions.text and "applied to open modules" in versions.text


def test_enroll_screen_validates_and_enrolls(client, world, db, program, at):
    login(client, world["leader_a"])
    url = f"{BASE}/{program.id}/enroll"
    page = client.get(url)
    assert "North PT" in page.text and "South PT" not in page.text  # the leader's teams only
    nothing = client.post(url, data={"start_on": "2026-03-02"})
    assert nothing.status_code == 200 and "Choose at least one team or person" in nothing.text
    foreign = client.post(url, data={"start_on": "2026-03-02", "team_ids": world["team_b"].id})
    assert foreign.status_code == 200 and "not a valid choice" in foreign.text
    bad_date = client.post(url, data={"start_on": "2031-01-01",
                                      "team_ids": world["team_a"].id})
    assert "within a year" in bad_date.text
    assert db.session.scalar(select(func.count(Enrollment.id))) == 0
    done = client.post(url, data={"start_on": "2026-03-02", "team_ids": world["team_a"].id,
                                  "auto_enroll_joiners": "y"})
    assert done.status_code == 302 and "/cohorts/" in done.headers["Location"]
    assert db.session.scalar(select(func.count(Enrollment.id))) == 1


def _enrolled_with_reflection(program, world, db):
    result = enroll_teams(program, [world["clinic_a"], world["team_b"]])
    reading = assignment_of(program, member(world, "staff_a"), "compassion-reading")
    save_reflection(reading, SECRET)
    mark_complete(reading)
    db.session.commit()
    return result.cohort


def test_leaders_see_completion_but_never_the_reflection(client, world, db, program, at):
    cohort = _enrolled_with_reflection(program, world, db)
    person = db.session.scalar(select(Enrollment).filter_by(
        membership_id=member(world, "staff_a").id))
    base = f"{BASE}/{program.id}/cohorts/{cohort.id}"
    for who in ("owner_x", "leader_a"):
        client.post("/logout")
        login(client, world[who])
        for url in (f"{BASE}/", f"{BASE}/{program.id}/", base, f"{base}/progress.csv",
                    f"{base}/people/{person.id}", f"{BASE}/{program.id}/versions"):
            response = client.get(url)
            assert response.status_code == 200, (who, url)
            assert SECRET not in response.text, (who, url)
        page = client.get(base)
        assert world["staff_a"].name in page.text and "1 / 2" in page.text
    # The leader of clinic A sees only clinic A's people.
    assert world["staff_b"].name not in client.get(base).text
    assert world["staff_b"].name not in client.get(f"{base}/progress.csv").text


def test_team_totals_only_setting_hides_people_from_leaders(client, world, db, program, at):
    cohort = _enrolled_with_reflection(program, world, db)
    login(client, world["leader_a"])
    assert client.get(f"{BASE}/settings").status_code == 403
    client.post("/logout")
    login(client, world["owner_x"])
    bad = client.post(f"{BASE}/settings", data={"visibility": "everything"})
    assert bad.status_code == 200 and "Not a valid choice" in bad.text
    assert db.session.scalar(select(ProgramSettings)) is None
    assert client.post(f"{BASE}/settings", data={"visibility": "teams"}).status_code == 302
    client.post("/logout")
    login(client, world["leader_a"])
    base = f"{BASE}/{program.id}/cohorts/{cohort.id}"
    page = client.get(base)
    assert "North clinic › North PT" in page.text and world["staff_a"].name not in page.text
    assert world["staff_a"].name not in client.get(f"{base}/progress.csv").text
    person = db.session.scalar(select(Enrollment).filter_by(
        membership_id=member(world, "staff_a").id))
    assert client.get(f"{base}/people/{person.id}").status_code == 404


def test_consultants_see_team_totals_only(client, world, db, program, at):
    cohort = _enrolled_with_reflection(program, world, db)
    login(client, world["consultant_x"])
    page = client.get(f"{BASE}/{program.id}/cohorts/{cohort.id}")
    assert page.status_code == 200 and "South PT" in page.text
    assert world["staff_a"].name not in page.text and SECRET not in page.text
    assert client.get(f"{BASE}/{program.id}/enroll").status_code == 403


def test_excusing_from_the_person_page(client, world, db, program, at):
    cohort = _enrolled_with_reflection(program, world, db)
    person = db.session.scalar(select(Enrollment).filter_by(
        membership_id=member(world, "staff_a").id))
    course = assignment_of(program, member(world, "staff_a"), "course-5033")
    url = f"{BASE}/{program.id}/cohorts/{cohort.id}/people/{person.id}/excuse"
    login(client, world["leader_a"])
    empty = client.post(url, data={"assignment_id": course.id, "reason": ""})
    assert empty.status_code == 200 and "This field is required" in empty.text
    done = assignment_of(program, member(world, "staff_a"), "compassion-reading")
    closed = client.post(url, data={"assignment_id": done.id, "reason": "Because"})
    assert closed.status_code == 200 and "Not a valid choice" in closed.text
    db.session.expire_all()
    assert course.status == "available"
    ok = client.post(url, data={"assignment_id": course.id, "reason": "On a course abroad"})
    assert ok.status_code == 302
    db.session.expire_all()
    assert course.status == "excused" and course.excuse_reason == "On a course abroad"


def test_foreign_and_mismatched_ids_are_404(client, world, db, program, at):
    from orgwell.programs import library

    other = library.copy_template(world["org_y"], "burnout-prehab")
    db.session.commit()
    cohort = _enrolled_with_reflection(program, world, db)
    second = library.copy_template(world["org_x"], "leaders-track")
    db.session.commit()
    login(client, world["owner_x"])
    foreign_module = other.current_version.modules[0].id
    assert client.get(f"{BASE}/{other.id}/").status_code == 404
    assert client.get(f"{BASE}/{program.id}/modules/{foreign_module}/edit").status_code == 404
    mine = second.current_version.modules[0].id  # a module of another program of ours
    assert client.get(f"{BASE}/{program.id}/modules/{mine}/edit").status_code == 404
    assert client.get(f"{BASE}/{second.id}/cohorts/{cohort.id}").status_code == 404
    assert client.get(f"{BASE}/{program.id}/cohorts/999").status_code == 404
    assert client.post(f"{BASE}/{program.id}/modules/{mine}/move/sideways").status_code == 404
