"""The builder: drafts, module rules, publishing, and history that editing never rewrites."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from orgwell.orgs.services import FieldError
from orgwell.programs import builder
from orgwell.programs.learning import mark_complete
from orgwell.programs.models import Module
from tests.programs.conftest import MONDAY, assignment_of, enroll_teams, member

READING = {"kind": "reading", "title": "Sleep and shift work", "body_markdown": "Rest **well**",
           "release_offset_days": 7, "due_offset_days": 14}


def test_editing_a_published_program_goes_into_a_new_draft(program, db):
    v1 = program.current_version
    reading = next(m for m in v1.modules if m.module_key == "compassion-reading")
    builder.update_module(program, reading, {**_fields(reading), "title": "Compassion 2"})
    db.session.commit()
    draft = program.draft_version
    assert draft.number == 2 and draft.published_at is None
    assert reading.title == "Compassion, not empathy overload"  # v1 untouched
    copy = next(m for m in draft.modules if m.module_key == "compassion-reading")
    assert copy.id != reading.id and copy.title == "Compassion 2"
    assert program.current_version is v1


def _fields(module: Module) -> dict:
    return {name: getattr(module, name) for name in builder.MODULE_FIELDS}


@pytest.mark.parametrize(("change", "field"), [
    ({"url": "javascript:alert(1)"}, "url"),
    ({"url": "ftp://files.example/x"}, "url"),
    ({"url": ""}, "url"),
    ({"release_offset_days": -1}, "release_offset_days"),
    ({"release_offset_days": 10, "due_offset_days": 3}, "due_offset_days"),
    ({"ce_hours": Decimal("101")}, "ce_hours"),
    ({"title": "  "}, "title"),
    ({"kind": "podcast"}, "kind"),
])
def test_module_rules_refuse_bad_values(program, change, field):
    course = {"kind": "course", "title": "A course", "url": "https://ce.example/1",
              "ce_hours": Decimal("1.5"), "release_offset_days": 0, "due_offset_days": 7}
    with pytest.raises(FieldError) as problem:
        builder.add_module(program, {**course, **change})
    assert problem.value.field == field


def test_reading_markdown_is_sanitised_on_save(program):
    module = builder.add_module(program, {
        **READING, "body_markdown": "Hello <script>steal()</script><b onmouseover=x()>hi</b>",
    })
    assert "script" not in module.body_html and "onmouseover" not in module.body_html
    assert module.body_markdown.startswith("Hello <script>")  # what the leader wrote is kept


def test_reorder_and_remove_work_on_the_draft(program, db):
    v1_keys = [m.module_key for m in program.current_version.modules]
    second = program.current_version.modules[1]
    builder.move_module(program, second, -1)
    builder.remove_module(program, program.current_version.modules[-1])
    db.session.commit()
    draft_keys = [m.module_key for m in program.draft_version.modules]
    assert draft_keys == [v1_keys[1], v1_keys[0], *v1_keys[2:-1]]
    assert [m.position for m in program.draft_version.modules] == list(range(7))
    assert [m.module_key for m in program.current_version.modules] == v1_keys


def test_publishing_needs_a_draft_with_modules(world, db):
    empty = builder.create_program(world["org_x"], name="Empty")
    with pytest.raises(FieldError):
        builder.publish(empty, apply_to_open=False)
    with pytest.raises(FieldError):
        builder.publish(empty, apply_to_open=False)  # still nothing
    builder.add_module(empty, READING)
    result = builder.publish(empty, apply_to_open=False)
    assert result.version.number == 1 and empty.current_version is result.version


def test_new_version_without_apply_leaves_enrolled_people_on_the_old_one(program, world, db, at):
    enroll_teams(program, [world["team_a"]])
    staff = member(world, "staff_a")
    builder.add_module(program, READING)
    builder.publish(program, apply_to_open=False)
    db.session.commit()
    first = assignment_of(program, staff, "course-5033")
    assert first.module.version.number == 1
    assert len(first.enrollment.assignments) == 8  # nothing added


def test_apply_to_open_moves_open_work_and_keeps_completed_work(program, world, db, at):
    enroll_teams(program, [world["team_a"]])
    staff = member(world, "staff_a")
    done = assignment_of(program, staff, "compassion-reading")
    done.reflection_text = "private"
    mark_complete(done)
    db.session.commit()
    old_reading_id = done.module_id
    v1 = program.current_version
    course = next(m for m in v1.modules if m.module_key == "course-5033")
    builder.update_module(program, course, {**_fields(course), "due_offset_days": 21})
    reading = next(m for m in v1.modules if m.module_key == "compassion-reading")
    builder.update_module(program, reading, {**_fields(reading), "title": "Reworded"})
    builder.remove_module(program, next(m for m in v1.modules
                                        if m.module_key == "closing-reflection"))
    builder.add_module(program, READING)
    result = builder.publish(program, apply_to_open=True)
    db.session.commit()
    assert (result.moved, result.added, result.closed) == (6, 1, 1)
    # Completed work stays on the v1 module row it was done for.
    assert done.module_id == old_reading_id and done.module.title.startswith("Compassion")
    moved = assignment_of(program, staff, "course-5033")
    assert moved.module.version.number == 2
    assert moved.due_on == MONDAY + timedelta(days=21)
    closed = assignment_of(program, staff, "closing-reflection")
    assert closed.status == "closed"
    new = [a for a in done.enrollment.assignments if a.module.title == "Sleep and shift work"]
    assert len(new) == 1 and new[0].release_on == MONDAY + timedelta(days=7)


def test_new_enrollments_get_the_newest_published_version(program, world, db, at):
    builder.add_module(program, READING)
    builder.publish(program, apply_to_open=False)
    db.session.commit()
    enroll_teams(program, [world["team_b"]])
    staff = member(world, "staff_b")
    assert {a.module.version.number for a in
            assignment_of(program, staff, "course-5033").enrollment.assignments} == {2}


def test_removing_the_last_open_module_completes_the_enrollment(program, world, db, at):
    enroll_teams(program, [world["team_a"]])
    staff = member(world, "staff_a")
    found = assignment_of(program, staff, "closing-reflection").enrollment
    for assignment in found.assignments:
        if assignment.module.module_key != "closing-reflection":
            assignment.status = "completed"
    db.session.commit()
    assert found.status == "active"
    builder.remove_module(program, next(m for m in program.current_version.modules
                                        if m.module_key == "closing-reflection"))
    result = builder.publish(program, apply_to_open=True)
    db.session.commit()
    assert result.closed == 1
    assert found.status == "completed" and found.completed_on == MONDAY
