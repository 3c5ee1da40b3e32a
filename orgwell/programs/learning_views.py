"""A staff member's own learning pages, under /o/<slug>/learning.

Every page is about the caller's OWN enrollments and assignments. The resolvers below find
an assignment or enrollment only when it belongs to the caller's membership: anyone else,
leaders and owners included, gets a 404 for it. Reflections are shown on these pages only.
"""
from __future__ import annotations

from flask import Blueprint, Response, flash, g, redirect, render_template, url_for

from orgwell.access import MEMBER, allow, resolves
from orgwell.extensions import db
from orgwell.programs import learning, self_enroll, transcript
from orgwell.programs.learning_forms import CompleteForm, JoinForm, PracticeForm, ReflectionForm
from orgwell.programs.models import Assignment, Enrollment, today

bp = Blueprint("learning", __name__, url_prefix="/o/<slug>/learning")


def _own(obj) -> bool:
    return g.membership is not None and obj.membership_id == g.membership.id


@resolves("assignment_id", "assignment", visible=_own)
def _load_assignment(assignment_id: int) -> Assignment | None:
    return db.session.get(Assignment, assignment_id)


@resolves("my_enrollment_id", "enrollment", visible=_own)
def _load_enrollment(enrollment_id: int) -> Enrollment | None:
    return db.session.get(Enrollment, enrollment_id)


@bp.get("/")
@allow(MEMBER)
def index(slug):
    """My learning: a progress bar per program and what is due next."""
    return render_template(
        "programs/my/index.html",
        cards=learning.my_programs(g.membership),
        joinable=self_enroll.self_enroll_choices(g.membership),
        today=today(),
    )


@bp.get("/modules/<int:assignment_id>")
@allow(MEMBER)
def module(slug, assignment_id):
    return _module_page(g.assignment)


def _module_page(assignment: Assignment, reflection_form=None, practice_form=None):
    if reflection_form is None:
        reflection_form = ReflectionForm(data={"text": assignment.reflection_text or ""})
    if practice_form is None:
        practice_form = PracticeForm(data={"day": today()})
    return render_template(
        "programs/my/module.html",
        a=assignment,
        m=assignment.module,
        program=assignment.enrollment.program,
        status=assignment.display_status(),
        rule=learning.completion_rule(assignment),
        blocker=learning.completion_blocker(assignment),
        week=learning.practice_week(assignment) if assignment.module.kind == "practice" else [],
        reflection_form=reflection_form,
        practice_form=practice_form,
        complete_form=CompleteForm(),
        today=today(),
    )


@bp.post("/modules/<int:assignment_id>/complete")
@allow(MEMBER)
def complete(slug, assignment_id):
    assignment = g.assignment
    if not CompleteForm().validate_on_submit():
        flash("That form has expired. Please try again.", "error")
        return redirect(url_for(".module", slug=slug, assignment_id=assignment_id))
    try:
        changed = learning.mark_complete(assignment)
    except learning.LearningError as problem:
        flash(problem.message, "error")
        return redirect(url_for(".module", slug=slug, assignment_id=assignment_id))
    db.session.commit()
    if changed:
        finished = assignment.enrollment.status == "completed"
        flash(
            f"Well done: you completed the whole program “{assignment.enrollment.program.name}”."
            if finished else f"“{assignment.module.title}” is complete.",
            "success",
        )
    return redirect(url_for(".index", slug=slug))


@bp.post("/modules/<int:assignment_id>/reflection")
@allow(MEMBER)
def reflection(slug, assignment_id):
    assignment = g.assignment
    form = ReflectionForm()
    if form.validate_on_submit():
        try:
            learning.save_reflection(assignment, form.text.data)
        except learning.LearningError as problem:
            form.text.errors = [*form.text.errors, problem.message]
        else:
            db.session.commit()
            flash("Your reflection is saved. Only you can read it.", "success")
            return redirect(url_for(".module", slug=slug, assignment_id=assignment_id))
    return _module_page(assignment, reflection_form=form)


@bp.post("/modules/<int:assignment_id>/practice")
@allow(MEMBER)
def practice(slug, assignment_id):
    assignment = g.assignment
    form = PracticeForm()
    if form.validate_on_submit():
        try:
            learning.log_practice(
                assignment, form.day.data, form.minutes.data, form.note.data or ""
            )
        except learning.LearningError as problem:
            field = getattr(form, problem.field or "", None) or form.day
            field.errors = [*field.errors, problem.message]
        else:
            db.session.commit()
            done = assignment.status == "completed"
            flash(
                f"Logged {form.day.data:%A %d %b}."
                + (" You reached this week's target: the module is complete." if done else ""),
                "success",
            )
            return redirect(url_for(".module", slug=slug, assignment_id=assignment_id))
    return _module_page(assignment, practice_form=form)


@bp.get("/transcript")
@allow(MEMBER)
def transcript_page(slug):
    """CE transcript and certificates of completed programs."""
    finished = [c for c in learning.my_programs(g.membership) if c.enrollment.status == "completed"]
    return render_template(
        "programs/my/transcript.html",
        transcript=transcript.transcript_for(g.membership),
        finished=finished,
        hours_text=transcript.hours_text,
    )


@bp.get("/transcript.csv")
@allow(MEMBER)
def transcript_csv(slug):
    body = transcript.transcript_csv(transcript.transcript_for(g.membership))
    name = f"ce-transcript-{g.org.slug}-{today():%Y-%m-%d}.csv"
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/certificates/<int:my_enrollment_id>")
@allow(MEMBER)
def certificate(slug, my_enrollment_id):
    """A printable certificate; a program not completed yet has none (404)."""
    data = transcript.certificate_for(g.enrollment)
    if data is None:
        return render_template("programs/my/no_certificate.html", enrollment=g.enrollment), 404
    return render_template(
        "programs/my/certificate.html", cert=data, hours_text=transcript.hours_text
    )


@bp.route("/join", methods=["GET", "POST"])
@allow(MEMBER)
def join(slug):
    """Programs the person may join on their own, and joining one."""
    programs = self_enroll.self_enroll_choices(g.membership)
    form = JoinForm(programs=programs)
    if form.validate_on_submit():
        program = next(p for p in programs if p.id == form.program_id.data)
        try:
            self_enroll.enroll_self(g.membership, program)
        except learning.LearningError as problem:
            form.program_id.errors = [*form.program_id.errors, problem.message]
        else:
            db.session.commit()
            flash(f"You joined “{program.name}”. Your first modules are below.", "success")
            return redirect(url_for(".index", slug=slug))
    return render_template("programs/my/join.html", programs=programs, form=form)
