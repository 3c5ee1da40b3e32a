"""Leader pages for programs, under /o/<slug>/programs: library, builder, enrolling, progress.

Owners and leaders manage programs and enroll (leaders only their teams and people);
consultants see programs and team totals only; owners choose whether leaders see people.
The access hook resolves <program_id>, <module_id>, <cohort_id> and <enrollment_id> (below);
views check that nested ids belong together. No page here ever shows a reflection.
"""
from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from orgwell.access import LEADER, LEADER_OR_CONSULTANT, OWNER, allow, resolves
from orgwell.extensions import db
from orgwell.orgs import services as org_services
from orgwell.orgs.models import Membership, TeamAssignment
from orgwell.orgs.services import FieldError
from orgwell.programs import (
    builder,
    enrollment,
    hooks,  # noqa: F401 - registers the membership hooks and checklist
    library,
    progress,
)
from orgwell.programs.forms import (
    ActionForm,
    EnrollForm,
    ExcuseForm,
    ModuleForm,
    ProgramForm,
    PublishForm,
    SettingsForm,
    default_start,
)
from orgwell.programs.models import (
    MODULE_KIND_LABELS,
    MODULE_KINDS,
    OPEN_STATUSES,
    Cohort,
    Enrollment,
    Module,
    Program,
    today,
)

bp = Blueprint("programs", __name__, url_prefix="/o/<slug>/programs")


@resolves("program_id", "program")
def _load_program(program_id: int) -> Program | None:
    return db.session.get(Program, program_id)


@resolves("module_id", "module")
def _load_module(module_id: int) -> Module | None:
    return db.session.get(Module, module_id)


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


def _show_error(form, problem: FieldError) -> None:
    field = getattr(form, problem.field, None)
    (field.errors if field is not None else form.form_errors).append(problem.message)


def _manages() -> bool:
    return g.acting_as in ("owner", "leader")


def _me():
    return current_user._get_current_object()


# --- list and library ----------------------------------------------------------------------


@bp.get("/")
@allow(LEADER_OR_CONSULTANT)
def index(slug):
    return render_template(
        "programs/index.html", summaries=progress.program_summaries(g.org.id),
        templates=library.list_templates(), manages=_manages(), action_form=ActionForm(),
    )


@bp.get("/library/<key>")
@allow(LEADER)
def template(slug, key):
    found = library.get_template(key)
    if found is None:
        abort(404)
    return render_template("programs/template.html", t=found, action_form=ActionForm(),
                           kind_labels=MODULE_KIND_LABELS)


@bp.post("/library/<key>/copy")
@allow(LEADER)
def copy_template(slug, key):
    if library.get_template(key) is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        flash("That form has expired. Please try again.", "error")
        return redirect(url_for(".template", slug=slug, key=key))
    program = library.copy_template(g.org, key, created_by=_me())
    db.session.commit()
    flash(f"“{program.name}” is now one of your programs. Adapt it, then enroll people.",
          "success")
    return redirect(url_for(".program", slug=slug, program_id=program.id))


@bp.route("/new", methods=["GET", "POST"])
@allow(LEADER)
def new(slug):
    form = ProgramForm()
    if form.validate_on_submit():
        program = builder.create_program(g.org, created_by=_me(), **_details(form))
        db.session.commit()
        flash("Program created. Add its modules, then publish it.", "success")
        return redirect(url_for(".program", slug=slug, program_id=program.id))
    return render_template("programs/program_form.html", form=form, program=None)


def _details(form: ProgramForm) -> dict:
    values = form.values()
    return {k: values[k] for k in ("name", "description", "audience")} | {
        k: values[k] for k in ("self_enroll", "reminder_days_before", "overdue_reminder_max",
                               "overdue_reminder_gap_days")
    }


# --- one program: builder ------------------------------------------------------------------


@bp.get("/<int:program_id>/")
@allow(LEADER_OR_CONSULTANT)
def program(slug, program_id):
    program = g.program
    draft = program.draft_version
    return render_template(
        "programs/program.html", program=program, draft=draft,
        shown=draft or program.current_version, manages=_manages(),
        cohorts=progress.cohort_summaries(program, g.team_scope, today()),
        publish_form=PublishForm(), action_form=ActionForm(), kinds=MODULE_KINDS,
        kind_labels=MODULE_KIND_LABELS,
    )


@bp.route("/<int:program_id>/edit", methods=["GET", "POST"])
@allow(LEADER)
def edit(slug, program_id):
    program = g.program
    form = ProgramForm(obj=program)
    if not form.is_submitted():
        form.reminder_days.data = ", ".join(str(d) for d in program.reminder_days_before or [])
    if form.validate_on_submit():
        builder.update_details(program, **_details(form))
        db.session.commit()
        flash("Program details saved.", "success")
        return redirect(url_for(".program", slug=slug, program_id=program.id))
    return render_template("programs/program_form.html", form=form, program=program)


@bp.route("/<int:program_id>/modules/new/<kind>", methods=["GET", "POST"])
@allow(LEADER)
def add_module(slug, program_id, kind):
    if kind not in MODULE_KINDS:
        abort(404)
    form = ModuleForm(data={"kind": kind})
    form.kind.data = kind  # the kind comes from the URL, whatever is posted
    if form.validate_on_submit():
        try:
            builder.add_module(g.program, form.values())
        except FieldError as problem:
            _show_error(form, problem)
        else:
            db.session.commit()
            flash("Module added to the draft. Publish the draft when you are ready.", "success")
            return redirect(url_for(".program", slug=slug, program_id=program_id))
    return render_template("programs/module_form.html", form=form, program=g.program,
                           module=None, kind=kind,
                           kind_labels=MODULE_KIND_LABELS)


def _program_module() -> Module:
    if g.module.version.program_id != g.program.id:
        abort(404)
    return g.module


@bp.route("/<int:program_id>/modules/<int:module_id>/edit", methods=["GET", "POST"])
@allow(LEADER)
def edit_module(slug, program_id, module_id):
    module = _program_module()
    form = ModuleForm(obj=module)
    form.kind.data = module.kind  # a module keeps its kind
    if form.validate_on_submit():
        try:
            builder.update_module(g.program, module, form.values())
        except FieldError as problem:
            _show_error(form, problem)
        else:
            db.session.commit()
            flash("Module saved in the draft.", "success")
            return redirect(url_for(".program", slug=slug, program_id=program_id))
    return render_template("programs/module_form.html", form=form, program=g.program,
                           module=module, kind=module.kind, kind_labels=MODULE_KIND_LABELS)


@bp.post("/<int:program_id>/modules/<int:module_id>/move/<direction>")
@allow(LEADER)
def move_module(slug, program_id, module_id, direction):
    module = _program_module()
    if direction not in ("up", "down"):
        abort(404)
    if ActionForm().validate_on_submit():
        builder.move_module(g.program, module, -1 if direction == "up" else 1)
        db.session.commit()
    return redirect(url_for(".program", slug=slug, program_id=program_id))


@bp.post("/<int:program_id>/modules/<int:module_id>/remove")
@allow(LEADER)
def remove_module(slug, program_id, module_id):
    module = _program_module()
    if ActionForm().validate_on_submit():
        try:
            builder.remove_module(g.program, module)
        except FieldError as problem:
            flash(problem.message, "error")
        else:
            db.session.commit()
            flash(f"“{module.title}” removed from the draft.", "success")
    return redirect(url_for(".program", slug=slug, program_id=program_id))


@bp.post("/<int:program_id>/publish")
@allow(LEADER)
def publish(slug, program_id):
    form = PublishForm()
    if form.validate_on_submit():
        try:
            result = builder.publish(g.program, apply_to_open=form.apply_to_open.data,
                                     published_by=_me())
        except FieldError as problem:
            flash(problem.message, "error")
        else:
            db.session.commit()
            extra = (f" {result.moved} open modules moved to it, {result.added} added, "
                     f"{result.closed} closed." if form.apply_to_open.data else "")
            flash(f"Version {result.version.number} published.{extra}", "success")
    return redirect(url_for(".program", slug=slug, program_id=program_id))


@bp.get("/<int:program_id>/versions")
@allow(LEADER)
def versions(slug, program_id):
    return render_template("programs/versions.html", program=g.program,
                           kind_labels=MODULE_KIND_LABELS)


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
                team_scope=g.team_scope, created_by=_me(),
            )
        except FieldError as problem:
            _show_error(form, problem)
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


@bp.get("/<int:program_id>/cohorts/<int:cohort_id>")
@allow(LEADER_OR_CONSULTANT)
def cohort(slug, program_id, cohort_id):
    found = _program_cohort()
    data = progress.cohort_progress(
        found, team_scope=g.team_scope,
        show_people=progress.may_see_people(g.org.id, g.acting_as), day=today(),
    )
    return render_template("programs/cohort.html", program=g.program, p=data, today=today())


@bp.get("/<int:program_id>/cohorts/<int:cohort_id>/progress.csv")
@allow(LEADER_OR_CONSULTANT)
def cohort_csv(slug, program_id, cohort_id):
    found = _program_cohort()
    data = progress.cohort_progress(
        found, team_scope=g.team_scope,
        show_people=progress.may_see_people(g.org.id, g.acting_as), day=today(),
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["group", "name", "teams", "enrolled", "released", "completed",
                     "overdue", "excused", "completion_rate"])
    for row in [*data.teams, data.total]:
        writer.writerow(["team", row.label, "", row.people, row.released, row.completed,
                         row.overdue, row.excused, "" if row.rate is None else row.rate])
    for person in data.people or []:
        c = person.counts
        writer.writerow(["person", person.name, person.teams, 1, c.released, c.completed,
                         c.overdue, c.excused, "" if c.rate is None else c.rate])
    name = f"{g.program.name}-cohort-{found.id}-progress.csv".replace(" ", "-").lower()
    return Response(out.getvalue(), mimetype="text/csv",
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
                           manages=_manages())


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
            enrollment.excuse(target, form.reason.data, excused_by=_me())
        except FieldError as problem:
            _show_error(form, problem)
        else:
            db.session.commit()
            flash(f"“{target.module.title}” excused for {found.membership.user.name}.",
                  "success")
            return redirect(url_for(".person", slug=slug, program_id=program_id,
                                    cohort_id=cohort_id, enrollment_id=enrollment_id))
    return _person_page(form)


# --- organisation setting ------------------------------------------------------------------


@bp.route("/settings", methods=["GET", "POST"])
@allow(OWNER)
def settings(slug):
    current = progress.settings_for(g.org.id)
    form = SettingsForm(data={"visibility": "people" if current.leaders_see_people else "teams"})
    if form.validate_on_submit():
        progress.save_settings(g.org.id, leaders_see_people=form.visibility.data == "people")
        db.session.commit()
        flash("Program settings saved.", "success")
        return redirect(url_for(".settings", slug=slug))
    return render_template("programs/settings.html", form=form)
