"""Pages for acting on results, under /o/<slug>/actions: the list, a team's actions, new, edit.

Owners, leaders (their teams only) and consultants plan actions; staff never see these
pages. `<action_id>` is resolved by the access hook (another organisation's action, or one of
a team outside a leader's scope, is a 404); `<team_id>` is resolved by the hook too.
"""
from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from orgwell.access import LEADER_OR_CONSULTANT, allow, resolves
from orgwell.extensions import db
from orgwell.metrics import action_results, actions
from orgwell.metrics.action_forms import NewActionForm, PlanForm, StatusForm
from orgwell.metrics.action_models import ACTION_STATUS_LABELS, ACTION_STATUSES, Action
from orgwell.orgs import services as org_services
from orgwell.orgs.services import FieldError
from orgwell.programs.forms import default_start
from orgwell.programs.models import today

bp = Blueprint("actions", __name__, url_prefix="/o/<slug>/actions")


def _in_scope(action: Action) -> bool:
    return g.team_scope is None or action.team_id in g.team_scope


@resolves("action_id", "action", visible=_in_scope)
def _load_action(action_id: int) -> Action | None:
    return db.session.get(Action, action_id)


def _me():
    return current_user._get_current_object()


def _show_error(form, problem: FieldError) -> None:
    field = getattr(form, problem.field, None)
    (field.errors if field is not None else form.form_errors).append(problem.message)


def _plan(form: PlanForm) -> actions.Plan:
    return actions.Plan(title=form.title.data or "", owner_text=form.owner_text.data or "",
                        due_on=form.due_on.data, notes=form.notes.data or "")


@bp.get("/")
@allow(LEADER_OR_CONSULTANT)
def index(slug):
    status = request.args.get("status")
    if status not in ACTION_STATUSES:
        status = None
    found = actions.actions_of(g.org, g.team_scope, status=status)
    return render_template(
        "metrics/actions/index.html", groups=action_results.group_by_team(found),
        teams=org_services.team_choices(g.org, g.team_scope), status=status,
        statuses=ACTION_STATUS_LABELS, day=today(), status_form=StatusForm(),
    )


@bp.get("/teams/<int:team_id>")
@allow(LEADER_OR_CONSULTANT)
def team(slug, team_id):
    found = actions.actions_of(g.org, g.team_scope, team_id=team_id)
    return render_template(
        "metrics/actions/team.html", team=g.team, actions=found, day=today(),
        results_url=action_results.team_results_url(g.org, g.team), status_form=StatusForm(),
    )


@bp.route("/teams/<int:team_id>/new", methods=["GET", "POST"])
@allow(LEADER_OR_CONSULTANT)
def new(slug, team_id):
    form = NewActionForm(programs=actions.program_choices(g.org),
                         accepted=actions.accepted_choices(g.org),
                         data=None if request.method == "POST" else {"start_on": default_start()})
    if form.validate_on_submit():
        try:
            action = actions.create_action(
                g.org, g.team, _plan(form), program_choice=form.program.data,
                start_on=form.start_on.data, team_scope=g.team_scope, created_by=_me(),
            )
        except FieldError as problem:
            db.session.rollback()  # a template copied on the way goes too
            _show_error(form, problem)
        else:
            db.session.commit()
            enrolled = (f" {g.team.name} is enrolled in “{action.cohort.program.name}”."
                        if action.cohort else "")
            flash(f"Action saved.{enrolled} Its follow-up is the next survey.", "success")
            return redirect(url_for(".show", slug=slug, action_id=action.id))
    return render_template(
        "metrics/actions/new.html", form=form, team=g.team,
        results_url=action_results.team_results_url(g.org, g.team),
    )


@bp.get("/<int:action_id>")
@allow(LEADER_OR_CONSULTANT)
def show(slug, action_id):
    action = g.action
    return render_template(
        "metrics/actions/show.html", action=action, day=today(), status_form=StatusForm(),
        follow_up=action_results.follow_up(action, g.team_scope),
        results_url=action_results.team_results_url(g.org, action.team),
    )


@bp.route("/<int:action_id>/edit", methods=["GET", "POST"])
@allow(LEADER_OR_CONSULTANT)
def edit(slug, action_id):
    action = g.action
    form = PlanForm(obj=action)
    if form.validate_on_submit():
        try:
            actions.update_plan(action, _plan(form), changed_by=_me())
        except FieldError as problem:
            db.session.rollback()
            _show_error(form, problem)
        else:
            db.session.commit()
            flash("Action updated.", "success")
            return redirect(url_for(".show", slug=slug, action_id=action.id))
    return render_template("metrics/actions/edit.html", form=form, action=action)


@bp.post("/<int:action_id>/status")
@allow(LEADER_OR_CONSULTANT)
def status(slug, action_id):
    action = g.action
    form = StatusForm()
    if not form.validate_on_submit():
        flash("That did not work. Please choose open, done or dropped.", "error")
        return redirect(url_for(".show", slug=slug, action_id=action.id))
    actions.set_status(action, form.status.data, changed_by=_me())
    db.session.commit()
    flash(f"Marked as {ACTION_STATUS_LABELS[action.status].lower()}.", "success")
    target = request.form.get("next")
    if target == "team":
        return redirect(url_for(".team", slug=slug, team_id=action.team_id))
    if target == "index":
        return redirect(url_for(".index", slug=slug))
    return redirect(url_for(".show", slug=slug, action_id=action.id))
