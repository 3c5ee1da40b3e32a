"""Enrolling and progress pages of a program, on the programs blueprint (views.py).

Owners and leaders enroll (leaders only their teams and people) and see progress; consultants
see team totals only. Individual people -- the progress rows, the person page and excusing --
are shown only to those the organisation lets see people (owners always; leaders by the
setting), and leaders only for people of their teams: otherwise the enrollment id is a 404.
The access hook resolves <cohort_id> and <enrollment_id> (below). No reflection is shown.
"""
from __future__ import annotations

from flask import Response, abort, flash, g, redirect, render_template, url_for
from sqlalchemy import select

from orgwell.access import LEADER, LEADER_OR_CONSULTANT, allow, resolves
from orgwell.extensions import db
from orgwell.orgs import services as org_services
from orgwell.orgs.models import Membership, TeamAssignment
from orgwell.orgs.services import FieldError
from orgwell.programs import enrollment, progress
from orgwell.programs.forms import EnrollForm, ExcuseForm, default_start
from orgwell.programs.models import OPEN_STATUSES, Cohort, Enrollment, today
from orgwell.programs.progress_csv import csv_filename, progress_csv
from orgwell.programs.views import bp, manages, me, show_error


@resolves("cohort_id", "cohort")
def _load_cohort(cohort_id: int) -> Cohort | None:
    return db.session.get(Cohort, cohort_id)


def _person_visible(found: Enrollment) -> bool:
    """Only callers allowed to see people, and leaders only for people of their teams."""
    if not progress.may_see_people(g.org.id, g.acting_as):
        return False
    return enrollment.in_scope(found.membership, g.team_scope)


@resolves("enrollment_id", "enrollment", visible=_person_visible)
def _load_enrollment(enrollment_id: int) -> Enrollment | None:
    return db.session.get(Enrollment, enrollment_id)


# --- enrolling -----------------------------------------------------------------------------


def _enroll_form() -> EnrollForm:
    teams = org_services.team_choices(g.org, g.team_scope)
    people = _people_choices()
    return EnrollForm(teams=teams, people=people,
                      data={"start_on": default_start(), "auto_enroll_joiners": True})


def _people_choices() -> list[tuple[int, str]]:
    stmt = (
        select(Membership).where(Membership.organisation_id == g.org.id,
                                 Membership.status == "active")
    )
    if g.team_scope is not None:
        stmt = stmt.where(Membership.id.in_(
            select(TeamAssignment.membership_id).where(
                TeamAssignment.team_id.in_(g.team_scope), TeamAssignment.ended_on.is_(None))
        ))
    people = db.session.scalars(stmt).all()
    return sorted(((m.id, m.user.name) for m in people), key=lambda p: p[1].lower())


@bp.route("/<int:program_id>/enroll", methods=["GET", "POST"])
@allow(LEADER)
def enroll(slug, program_id):
    program = g.program
    form = _enroll_form()
    if program.current_version is None:
        flash("Publish the program before enrolling anyone.", "error")
        return redirect(url_for(".program", slug=slug, program_id=program_id))
    if form.validate_on_submit():
        try:
            result = enrollment.enroll(
                program, start_on=form.start_on.data, team_ids=form.team_ids.data,
                membership_ids=form.membership_ids.data,
                auto_enroll_joiners=form.auto_enroll_joiners.data,
                team_scope=g.team_scope, created_by=me(),
            )
        except FieldError as problem:
            show_error(form, problem)
        else:
            db.session.commit()
            skipped = (f" {len(result.skipped)} already enrolled were left as they are."
                       if result.skipped else "")
            flash(f"{len(result.enrolled)} people enrolled.{skipped}", "success")
            return redirect(url_for(".cohort", slug=slug, program_id=program_id,
                                    cohort_id=result.cohort.id))
    return render_template("programs/enroll.html", form=form, program=program)


# --- progress ------------------------------------------------------------------------------


def _program_cohort() -> Cohort:
    if g.cohort.program_id != g.program.id:
        abort(404)
    return g.cohort


def _cohort_progress() -> progress.CohortProgress:
    return progress.cohort_progress(
        _program_cohort(), team_scope=g.team_scope,
        show_people=progress.may_see_people(g.org.id, g.acting_as), day=today(),
    )


@bp.get("/<int:program_id>/cohorts/<int:cohort_id>")
@allow(LEADER_OR_CONSULTANT)
def cohort(slug, program_id, cohort_id):
    return render_template("programs/cohort.html", program=g.program, p=_cohort_progress(),
                           today=today())


@bp.get("/<int:program_id>/cohorts/<int:cohort_id>/progress.csv")
@allow(LEADER_OR_CONSULTANT)
def cohort_csv(slug, program_id, cohort_id):
    data = _cohort_progress()
    found = data.cohort
    name = csv_filename(g.program.name, found.id)
    return Response(progress_csv(data), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _person_page(form: ExcuseForm | None = None):
    found = g.enrollment
    if found.cohort_id != _program_cohort().id:
        abort(404)
    assignments = sorted(found.assignments, key=lambda a: (a.module.position, a.id))
    open_ones = [(a.id, a.module.title) for a in assignments if a.status in OPEN_STATUSES]
    form = form or ExcuseForm(open_modules=open_ones)
    return render_template("programs/person.html", program=g.program, cohort=g.cohort,
                           e=found, assignments=assignments, form=form, today=today(),
                           manages=manages())


@bp.get("/<int:program_id>/cohorts/<int:cohort_id>/people/<int:enrollment_id>")
@allow(LEADER)
def person(slug, program_id, cohort_id, enrollment_id):
    return _person_page()


@bp.post("/<int:program_id>/cohorts/<int:cohort_id>/people/<int:enrollment_id>/excuse")
@allow(LEADER)
def excuse(slug, program_id, cohort_id, enrollment_id):
    found = g.enrollment
    if found.cohort_id != _program_cohort().id:
        abort(404)
    open_ones = [(a.id, a.module.title) for a in found.assignments if a.status in OPEN_STATUSES]
    form = ExcuseForm(open_modules=open_ones)
    if form.validate_on_submit():
        target = next(a for a in found.assignments if a.id == form.assignment_id.data)
        try:
            enrollment.excuse(target, form.reason.data, excused_by=me())
        except FieldError as problem:
            show_error(form, problem)
        else:
            db.session.commit()
            flash(f"“{target.module.title}” excused for {found.membership.user.name}.",
                  "success")
            return redirect(url_for(".person", slug=slug, program_id=program_id,
                                    cohort_id=cohort_id, enrollment_id=enrollment_id))
    return _person_page(form)
