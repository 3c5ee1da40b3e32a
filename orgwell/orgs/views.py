"""Organisation pages: creating one, the overview, clinics and teams, and the staff list.

Two blueprints: `orgs_new` for creating an organisation (outside any organisation), and
`orgs` for the pages of one organisation (under /o/<slug>). The access hook has already
resolved g.org, g.team and g.target_membership; views never look them up again. The CSV
import pages are a blueprint nested in `orgs` (orgwell/orgs/import_views.py).
"""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from orgwell.access import LEADER, LEADER_OR_CONSULTANT, ORG_CREATOR, OWNER, allow
from orgwell.extensions import db
from orgwell.orgs import services
from orgwell.orgs import staff as people
from orgwell.orgs.forms import (
    ActionForm,
    AddPersonForm,
    EditPersonForm,
    LeaverForm,
    OrganisationForm,
    StaffFilterForm,
    TeamForm,
)
from orgwell.orgs.import_views import bp as imports_bp
from orgwell.orgs.services import FieldError

organisations_bp = Blueprint("orgs_new", __name__, url_prefix="/organisations")
bp = Blueprint("orgs", __name__, url_prefix="/o/<slug>")
bp.register_blueprint(imports_bp)


def _show_error(form, problem: FieldError) -> None:
    """Put a service's FieldError beside the field it names."""
    field = getattr(form, problem.field, None)
    (field.errors if field is not None else form.form_errors).append(problem.message)


def _me():
    return current_user._get_current_object()


# --- organisations -------------------------------------------------------------------------


@organisations_bp.route("/new", methods=["GET", "POST"])
@allow(ORG_CREATOR)
def create():
    form = OrganisationForm()
    if form.validate_on_submit():
        try:
            org = services.create_organisation(form.name.data, form.slug.data or "", _me())
        except FieldError as problem:
            _show_error(form, problem)
        else:
            db.session.commit()
            flash(f"{org.name} is ready. Next: add your clinics and teams.", "success")
            return redirect(url_for("orgs.overview", slug=org.slug))
    return render_template("orgs/new.html", form=form)


# --- one organisation ----------------------------------------------------------------------


@bp.get("/")
@allow(LEADER_OR_CONSULTANT)
def overview(slug):
    summary = services.overview(g.org, g.acting_as, g.team_scope)
    return render_template("orgs/overview.html", summary=summary)


@bp.get("/teams")
@allow(LEADER_OR_CONSULTANT)
def teams(slug):
    return _teams_page(TeamForm(clinics=services.clinic_choices(g.org)))


@bp.post("/teams")
@allow(OWNER)
def create_team(slug):
    form = TeamForm(clinics=services.clinic_choices(g.org))
    if form.validate_on_submit():
        try:
            team = services.create_team(g.org, form.name.data, form.parent_id.data)
        except FieldError as problem:
            _show_error(form, problem)
        else:
            db.session.commit()
            flash(f"{'Clinic' if team.is_clinic else 'Team'} “{team.name}” added.", "success")
            return redirect(url_for("orgs.teams", slug=slug))
    return _teams_page(form)


def _teams_page(form: TeamForm):
    places = services.clinics_and_teams(g.org, g.team_scope)
    form = form if g.acting_as == "owner" else None
    return render_template("orgs/teams.html", places=places, form=form)


@bp.route("/teams/<int:team_id>/edit", methods=["GET", "POST"])
@allow(OWNER)
def edit_team(slug, team_id):
    team = g.team
    form = TeamForm(
        clinics=services.clinic_choices(g.org, exclude=team),
        data={"name": team.name, "parent_id": team.parent_id},
    )
    if form.validate_on_submit():
        try:
            services.update_team(team, form.name.data, form.parent_id.data)
        except FieldError as problem:
            _show_error(form, problem)
        else:
            db.session.commit()
            flash(f"“{team.name}” saved.", "success")
            return redirect(url_for("orgs.teams", slug=slug))
    return render_template("orgs/team_edit.html", form=form, team=team)


# --- staff ---------------------------------------------------------------------------------


@bp.get("/staff")
@allow(LEADER)
def staff(slug):
    choices = services.team_choices(g.org, g.team_scope)
    form = StaffFilterForm(request.args, teams=choices)
    form.validate()  # a bad filter value is ignored rather than refused
    flt = people.StaffFilter(
        team_id=None if form.team.errors else form.team.data,
        status="current" if form.status.errors else form.status.data,
        page=request.args.get("page", 1, type=int),
    )
    page = people.list_staff(g.org, flt, g.team_scope)
    return render_template(
        "orgs/staff.html", page=page, form=form, flt=flt, status_of=people.membership_status,
        has_teams=bool(choices),
    )


@bp.route("/staff/new", methods=["GET", "POST"])
@allow(OWNER)
def add_person(slug):
    form = AddPersonForm(teams=services.team_choices(g.org))
    if form.validate_on_submit():
        try:
            membership = people.add_person(
                g.org, name=form.name.data, email=form.email.data,
                team_ids=form.team_ids.data, role=form.role.data,
                job_title=form.job_title.data or None, patient_facing=form.patient_facing.data,
                start_date=form.start_date.data, invited_by=_me(),
            )
        except FieldError as problem:
            _show_error(form, problem)
        else:
            db.session.commit()
            invited = " and invited" if not membership.user.has_password else ""
            flash(f"{membership.user.name} is added{invited}.", "success")
            return redirect(url_for("orgs.staff", slug=slug))
    return render_template("orgs/person_new.html", form=form)


@bp.route("/staff/<int:membership_id>", methods=["GET", "POST"])
@allow(OWNER)
def edit_person(slug, membership_id):
    member = g.target_membership
    form = EditPersonForm(teams=services.team_choices(g.org), data=_person_data(member))
    if form.validate_on_submit():
        try:
            people.update_person(
                member, team_ids=form.team_ids.data, role=form.role.data,
                job_title=form.job_title.data or None, patient_facing=form.patient_facing.data,
                on_leave=form.on_leave.data,
            )
        except FieldError as problem:
            _show_error(form, problem)
        else:
            db.session.commit()
            flash(f"{member.user.name}: changes saved.", "success")
            return redirect(url_for("orgs.staff", slug=slug))
    return _person_page(form, LeaverForm(formdata=None, data={"left_on": people.today()}))


@bp.post("/staff/<int:membership_id>/leave")
@allow(OWNER)
def mark_leaver(slug, membership_id):
    member = g.target_membership
    form = LeaverForm()
    if form.validate_on_submit():
        try:
            people.mark_leaver(member, form.left_on.data, actor=_me())
        except FieldError as problem:
            _show_error(form, problem)
        else:
            db.session.commit()
            flash(f"{member.user.name} is marked as a leaver and can no longer log in here.",
                  "success")
            return redirect(url_for("orgs.staff", slug=slug))
    return _person_page(None, form)


@bp.post("/staff/<int:membership_id>/invite")
@allow(OWNER)
def resend_invitation(slug, membership_id):
    member = g.target_membership
    if ActionForm().validate_on_submit():
        try:
            people.resend_invitation(member, invited_by=_me())
        except FieldError as problem:
            flash(problem.message, "warning")
        else:
            db.session.commit()
            flash(f"A new invitation is on its way to {member.user.email}.", "success")
    return redirect(url_for("orgs.edit_person", slug=slug, membership_id=member.id))


def _person_page(form: EditPersonForm | None, leaver_form: LeaverForm):
    member = g.target_membership
    if form is None:
        form = EditPersonForm(
            formdata=None, teams=services.team_choices(g.org), data=_person_data(member)
        )
    return render_template(
        "orgs/person_edit.html", member=member, form=form, leaver_form=leaver_form,
        action_form=ActionForm(), history=people.team_history(member),
        status=people.membership_status(member),
    )


def _person_data(member) -> dict:
    return {
        "team_ids": [t.id for t in member.current_teams], "role": member.role,
        "job_title": member.job_title or "", "patient_facing": member.patient_facing,
        "on_leave": member.on_leave,
    }
