"""The programs domain's part: export without reflections, erasure that keeps completion counts.

Reflections (`program_assignments.reflection_text`) are private to the staff member: the
organisation export leaves them out (scope.SECRET_COLUMNS, and practice-log notes here), the
person's own download includes them. Erasing a person keeps their enrollments and
assignments, so completion counts per team and week stay exactly as they were, and deletes
what they wrote or what was written about them: reflections, practice notes, excuse reasons
and leave periods.
"""
from __future__ import annotations

from sqlalchemy import delete, select, update

from orgwell.extensions import db
from orgwell.orgs.models import Membership, Organisation
from orgwell.privacy.registry import register
from orgwell.privacy.scope import jsonable, org_rows, rows_of
from orgwell.programs.leave_models import LeavePeriod
from orgwell.programs.models import (
    Assignment,
    Cohort,
    CohortTeam,
    Enrollment,
    Module,
    PracticeLogEntry,
    Program,
    ProgramSettings,
    ProgramVersion,
)

MODELS = (
    ProgramSettings, Program, ProgramVersion, Module, Cohort, CohortTeam, Enrollment,
    Assignment, PracticeLogEntry, LeavePeriod,
)
# Written by the staff member for themselves: never in the organisation's export.
PRIVATE_COLUMNS = {
    Assignment.__tablename__: ("reflection_text",),
    PracticeLogEntry.__tablename__: ("note",),
}


def export_programs(org: Organisation):
    return {
        model.__tablename__: org_rows(
            org.id, model.__tablename__, exclude=PRIVATE_COLUMNS.get(model.__tablename__, ())
        )
        for model in MODELS
    }


def export_my_programs(membership: Membership):
    """The person's enrollments, assignments with their reflections, practice log, leave."""
    enrollments = db.session.scalars(
        select(Enrollment).where(Enrollment.membership_id == membership.id)
        .order_by(Enrollment.id)
    ).all()
    assignments = db.session.scalars(
        select(Assignment).where(Assignment.membership_id == membership.id)
        .order_by(Assignment.release_on, Assignment.id)
    ).all()
    return {
        "program_enrollments": [
            {"id": e.id, "program": e.program.name, "start_on": jsonable(e.start_on),
             "status": e.status, "completed_on": jsonable(e.completed_on),
             "closed_on": jsonable(e.closed_on)}
            for e in enrollments
        ],
        "program_assignments": [
            {"id": a.id, "enrollment_id": a.enrollment_id, "module": a.module.title,
             "kind": a.module.kind, "release_on": jsonable(a.release_on),
             "due_on": jsonable(a.due_on), "status": a.status,
             "completed_at": jsonable(a.completed_at), "excused_at": jsonable(a.excused_at),
             "excuse_reason": a.excuse_reason, "reflection_text": a.reflection_text}
            for a in assignments
        ],
        "program_practice_log": [
            {"assignment_id": entry.assignment_id, "day": jsonable(entry.day),
             "minutes": entry.minutes, "note": entry.note}
            for a in assignments for entry in a.practice_entries
        ],
        "program_leave_periods": rows_of(
            LeavePeriod.__table__, LeavePeriod.membership_id == membership.id,
            exclude=("organisation_id", "membership_id"),
        ),
    }


def erase_programs(ctx) -> None:
    mine = select(Assignment.id).where(Assignment.membership_id == ctx.membership.id)
    db.session.execute(
        update(Assignment).where(Assignment.membership_id == ctx.membership.id)
        .values(reflection_text=None, excuse_reason=None)
    )
    db.session.execute(
        update(PracticeLogEntry).where(PracticeLogEntry.assignment_id.in_(mine)).values(note="")
    )
    db.session.execute(delete(LeavePeriod).where(LeavePeriod.membership_id == ctx.membership.id))


register(
    "programs",
    order=10,
    tables=[model.__tablename__ for model in MODELS],
    export=export_programs,
    export_member=export_my_programs,
    erase_member=erase_programs,
)
