"""Leader pages for programs, under /o/<slug>/programs: the list, library, builder, setting.

Owners and leaders manage programs (leaders only their teams and people); consultants see
programs and team totals only; owners choose whether leaders see people. Enrolling and
progress pages are in cohort_views.py, on this same blueprint. The access hook resolves
<program_id> and <module_id> (below); views check that nested ids belong together. No page
here ever shows a reflection.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_login import current_user

from orgwell.access import LEADER, LEADER_OR_CONSULTANT, OWNER, allow, resolves
from orgwell.extensions import db
from orgwell.orgs.services import FieldError
from orgwell.programs import builder, library, progress
from orgwell.programs.forms import (
    ActionForm,
    ModuleForm,
    ProgramForm,
    PublishForm,
    SettingsForm,
)
from orgwell.programs.models import MODULE_KIND_LABELS, MODULE_KINDS, Module, Program, today

bp = Blueprint("programs", __name__, url_prefix="/o/<slug>/programs")


@resolves("program_id", "program")
def _load_program(program_id: int) -> Program | None:
    return db.session.get(Program, program_id)


@resolves("module_id", "module")
def _load_module(module_id: int) -> Module | None:
    return db.session.get(Module, module_id)


def show_error(form, problem: FieldError) -> None:
    """Show a service's FieldError on its form field (or above the form)."""
    field = getattr(form, problem.field, None)
    (field.errors if field is not None else form.form_errors).append(problem.message)


def manages() -> bool:
    return g.acting_as in ("owner", "leader")


def me():
    return current_user._get_current_object()


# --- list and library ----------------------------------------------------------------------


@bp.get("/")
@allow(LEADER_OR_CONSULTANT)
def index(slug):
    return render_template(
        "programs/index.html", summaries=progress.program_summaries(g.org.id, g.team_scope),
        templates=library.list_templates(), manages=manages(), action_form=ActionForm(),
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
    program = library.copy_template(g.org, key, created_by=me())
    db.session.commit()
    flash(f"“{program.name}” is now one of your programs. Adapt it, then enroll people.",
          "success")
    return redirect(url_for(".program", slug=slug, program_id=program.id))


@bp.route("/new", methods=["GET", "POST"])
@allow(LEADER)
def new(slug):
    form = ProgramForm()
    if form.validate_on_submit():
        program = builder.create_program(g.org, created_by=me(), **_details(form))
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
        shown=draft or program.current_version, manages=manages(),
        cohorts=progress.cohort_summaries(
            program, g.team_scope, today(),
            hide_small=not progress.may_see_people(g.org.id, g.acting_as)),
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
            show_error(form, problem)
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
            show_error(form, problem)
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
        try:
            builder.move_module(g.program, module, -1 if direction == "up" else 1)
        except FieldError as problem:
            flash(problem.message, "error")
        else:
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
                                     published_by=me())
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
    return render_template("programs/settings.html", form=form,
                           min_group=progress.MIN_REPORTING_GROUP)
