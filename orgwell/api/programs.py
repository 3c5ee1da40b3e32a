"""Read-only program data in the JSON API: programs, enrollments and assignments.

Routes join the `api` blueprint (orgwell/api/views.py) so that they share its token login,
its 401 answers and its JSON errors. What a caller sees follows their role in the
organisation:

* owners: everything in the organisation;
* leaders: the people currently in the teams they lead (g.team_scope); when the
  organisation shows leaders team aggregates only (ProgramSettings.leaders_see_people is
  off), the per-person lists answer 403;
* staff: their own enrollments and assignments only;
* consultants: the program list; the per-person lists are MEMBER routes, so the access hook
  answers 403 (consultants work with aggregates, which the metrics pages give them).

A person's reflection text is never part of any answer, whoever asks.
"""
from __future__ import annotations

from flask import abort, g, jsonify, request
from sqlalchemy import func, select

from orgwell.access import MEMBER, MEMBER_OR_CONSULTANT, allow
from orgwell.api import params
from orgwell.api.params import BadParameter
from orgwell.api.views import bp
from orgwell.extensions import db
from orgwell.orgs.models import Team, TeamAssignment
from orgwell.programs.learning import progress_of
from orgwell.programs.models import (
    ASSIGNMENT_STATUSES,
    ENROLLMENT_STATUSES,
    Assignment,
    Enrollment,
    Module,
    Program,
    ProgramSettings,
    today,
)

# The statuses a client can filter by: the stored ones plus the derived "overdue".
ASSIGNMENT_FILTERS = (*ASSIGNMENT_STATUSES, "overdue")
AGGREGATES_ONLY_REFUSAL = (
    "This organisation shows leaders team aggregates only; per-person program data is "
    "not available to leaders."
)


@bp.errorhandler(BadParameter)
def bad_parameter(error: BadParameter):
    return error.as_json(), 400


@bp.get("/orgs/<slug>/programs")
@allow(MEMBER_OR_CONSULTANT)
def programs(slug):
    """The organisation's programs with the modules of their current published version."""
    params.refuse_unknown(request.args, ())
    page = params.page(request.args)
    query = select(Program).where(Program.organisation_id == g.org.id)
    if g.acting_as == "staff":
        # Staff see what they could be enrolled in, not drafts or retired programs.
        query = query.where(Program.archived.is_(False))
    rows = [p for p in db.session.scalars(query.order_by(Program.id))]
    if g.acting_as == "staff":
        rows = [p for p in rows if p.current_version is not None]
    items = [program_json(p) for p in rows[page.offset:page.offset + page.limit]]
    return page.envelope(items, len(rows))


@bp.get("/orgs/<slug>/enrollments")
@allow(MEMBER)
def enrollments(slug):
    """Enrollments the caller may see; filters: team, status, program."""
    _refuse_people_lists()
    params.refuse_unknown(request.args, ("team", "status", "program"))
    page = params.page(request.args)
    query = select(Enrollment).where(Enrollment.organisation_id == g.org.id)
    query = _scoped(query, Enrollment.membership_id)
    if (status := params.choice(request.args, "status", ENROLLMENT_STATUSES)) is not None:
        query = query.where(Enrollment.status == status)
    if (program_id := params.integer(request.args, "program", minimum=1)) is not None:
        query = query.where(Enrollment.program_id == program_id)
    total, rows = _paged(query, Enrollment.id, page)
    return page.envelope([enrollment_json(e) for e in rows], total)


@bp.get("/orgs/<slug>/assignments")
@allow(MEMBER)
def assignments(slug):
    """Assignments the caller may see; filters: team, status (incl. overdue), program."""
    _refuse_people_lists()
    params.refuse_unknown(request.args, ("team", "status", "program"))
    page = params.page(request.args)
    query = select(Assignment).where(Assignment.organisation_id == g.org.id)
    query = _scoped(query, Assignment.membership_id)
    status = params.choice(request.args, "status", ASSIGNMENT_FILTERS)
    day = today()
    if status == "overdue":
        query = query.where(Assignment.is_overdue_on(day))
    elif status == "available":
        query = query.where(Assignment.status == "available", ~Assignment.is_overdue_on(day))
    elif status is not None:
        query = query.where(Assignment.status == status)
    if (program_id := params.integer(request.args, "program", minimum=1)) is not None:
        query = query.join(Enrollment, Assignment.enrollment_id == Enrollment.id).where(
            Enrollment.program_id == program_id
        )
    total, rows = _paged(query, Assignment.id, page)
    return page.envelope([assignment_json(a, day) for a in rows], total)


# --- scoping -------------------------------------------------------------------------------


def _refuse_people_lists() -> None:
    if g.acting_as == "leader" and not _leaders_see_people(g.org.id):
        response = jsonify({"error": AGGREGATES_ONLY_REFUSAL, "status": 403})
        response.status_code = 403
        abort(response)


def _leaders_see_people(organisation_id: int) -> bool:
    settings = db.session.scalar(select(ProgramSettings).filter_by(organisation_id=organisation_id))
    return settings is None or settings.leaders_see_people


def _scoped(query, membership_column):
    """Narrow `query` to the people the caller may see, then to `?team=` if given."""
    if g.acting_as == "staff":
        query = query.where(membership_column == g.membership.id)
    elif g.acting_as == "leader":
        query = query.where(membership_column.in_(_members_of(g.team_scope)))
    team_id = params.integer(request.args, "team", minimum=1)
    if team_id is not None:
        team = db.session.get(Team, team_id)
        visible = team is not None and team.organisation_id == g.org.id and (
            g.team_scope is None or team.id in g.team_scope
        )
        if not visible:
            # The same answer for another organisation's team and for no team at all.
            raise BadParameter("team", f"'team' {team_id} is not a team you can see.")
        ids = {team.id} | {child.id for child in team.children}
        query = query.where(membership_column.in_(_members_of(ids)))
    return query


def _members_of(team_ids):
    """Memberships currently in any of `team_ids`, as a subquery."""
    return select(TeamAssignment.membership_id).where(
        TeamAssignment.team_id.in_(team_ids or [-1]), TeamAssignment.ended_on.is_(None)
    )


def _paged(query, order_column, page: params.Page):
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = list(
        db.session.scalars(query.order_by(order_column).limit(page.limit).offset(page.offset))
    )
    return total, rows


# --- serialisers: what each object looks like in the API -----------------------------------


def _number(value):
    return float(value) if value is not None else None


def _iso(value):
    return value.isoformat() if value is not None else None


def module_json(module: Module) -> dict:
    return {
        "key": module.module_key,
        "position": module.position,
        "kind": module.kind,
        "title": module.title,
        "required": module.required,
        "estimated_minutes": module.estimated_minutes,
        "release_offset_days": module.release_offset_days,
        "due_offset_days": module.due_offset_days,
        "provider": module.provider,
        "course_number": module.course_number,
        "ce_hours": _number(module.ce_hours),
        "level": module.level,
        "url": module.url or module.video_url,
    }


def program_json(program: Program) -> dict:
    version = program.current_version
    return {
        "id": program.id,
        "name": program.name,
        "description": program.description,
        "audience": program.audience,
        "self_enroll": program.self_enroll,
        "archived": program.archived,
        "version": version.number if version else None,
        "published_at": _iso(version.published_at) if version else None,
        "modules": [module_json(m) for m in version.modules] if version else [],
    }


def enrollment_json(enrollment: Enrollment) -> dict:
    progress = progress_of(enrollment.assignments)
    return {
        "id": enrollment.id,
        "program_id": enrollment.program_id,
        "program_name": enrollment.program.name,
        "cohort_id": enrollment.cohort_id,
        "membership_id": enrollment.membership_id,
        "person": enrollment.membership.user.name,
        "start_on": _iso(enrollment.start_on),
        "status": enrollment.status,
        "completed_on": _iso(enrollment.completed_on),
        "closed_on": _iso(enrollment.closed_on),
        "source": enrollment.source,
        "progress": {
            "required": progress.total,
            "done": progress.done,
            "percent": progress.percent,
        },
    }


def assignment_json(assignment: Assignment, day) -> dict:
    """An assignment without the person's own work: no reflection text, no practice notes."""
    module = assignment.module
    return {
        "id": assignment.id,
        "enrollment_id": assignment.enrollment_id,
        "program_id": assignment.enrollment.program_id,
        "membership_id": assignment.membership_id,
        "person": assignment.membership.user.name,
        "module": {
            "key": module.module_key,
            "title": module.title,
            "kind": module.kind,
            "required": module.required,
        },
        "status": assignment.display_status(day),
        "release_on": _iso(assignment.release_on),
        "due_on": _iso(assignment.due_on),
        "released_at": _iso(assignment.released_at),
        "completed_at": _iso(assignment.completed_at),
        "excused_at": _iso(assignment.excused_at),
        "closed_at": _iso(assignment.closed_at),
    }

