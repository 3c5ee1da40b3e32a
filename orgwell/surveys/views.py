"""Leader pages for survey campaigns: list, create, edit, pause/resume, send a wave now.

Owners and leaders run campaigns (LEADER); consultants may look (LEADER_OR_CONSULTANT). A
leader sees and runs only campaigns of the teams they lead (see surveys/campaigns.py); the
access hook resolves `<campaign_id>` with that rule, so any other campaign is a 404.

Per wave the pages show the whole wave's invited and responded counts and the response rate
(`orgwell.surveys.wave_totals`): for a closed wave the organisation total of the results
pages, with their confidentiality decision and reason (`orgwell.metrics.queries.wave_totals`);
for an open wave no count, only whether k have answered yet. Never who answered, and no
per-team counts: those are the metrics pages' job, with k.
"""
from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from orgwell.access import LEADER, LEADER_OR_CONSULTANT, allow, resolves
from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.metrics import queries as metrics_queries
from orgwell.orgs.services import FieldError, team_choices
from orgwell.surveys import campaigns as service
from orgwell.surveys import checklist  # noqa: F401 - adds the "Survey scheduled" step
from orgwell.surveys.forms import CampaignForm, ConfirmForm
from orgwell.surveys.invitations import closes_label
from orgwell.surveys.models import Campaign
from orgwell.surveys.schedule import SCHEDULE_LABELS, manual_close
from orgwell.surveys.wave_totals import wave_totals
from orgwell.surveys.waves import audience

bp = Blueprint("surveys", __name__, url_prefix="/o/<slug>/surveys")


@resolves("campaign_id", "campaign", visible=lambda c: service.within_scope(c, g.team_scope))
def _load_campaign(campaign_id: int) -> Campaign | None:
    return db.session.get(Campaign, campaign_id)


@bp.app_template_global()
def survey_schedule_label(schedule: str) -> str:
    return SCHEDULE_LABELS.get(schedule, schedule)


@bp.get("/")
@allow(LEADER_OR_CONSULTANT)
def index(slug):
    rows = service.list_campaigns(g.org, g.team_scope)
    today = utcnow().date()
    return render_template(
        "surveys/index.html",
        campaigns=rows,
        next_dates={c.id: service.next_wave_date(c, today) for c in rows},
        may_edit=g.acting_as in ("owner", "leader"),
    )


@bp.route("/new", methods=["GET", "POST"])
@allow(LEADER)
def create(slug):
    form = _form(data={"start_date": utcnow().date()})
    if form.validate_on_submit():
        try:
            campaign = service.create_campaign(
                g.org, form.settings(), created_by=current_user, team_scope=g.team_scope
            )
        except FieldError as problem:
            _show_error(form, problem)
        else:
            db.session.commit()
            flash(f"Campaign “{campaign.name}” saved. The first wave opens on "
                  f"{campaign.start_date:%d %B %Y}.", "success")
            return redirect(url_for("surveys.detail", slug=slug, campaign_id=campaign.id))
    return render_template("surveys/edit.html", form=form, campaign=None)


@bp.get("/<int:campaign_id>")
@allow(LEADER_OR_CONSULTANT)
def detail(slug, campaign_id):
    campaign = g.campaign
    waves = service.campaign_waves(campaign)
    closed = metrics_queries.wave_totals(g.org, waves)
    return render_template(
        "surveys/detail.html",
        campaign=campaign,
        waves=waves,
        totals={w.id: wave_totals(w, campaign.threshold_k, closed.get(w.id)) for w in waves},
        next_date=service.next_wave_date(campaign, utcnow().date()),
        closes_label=closes_label,
        may_edit=g.acting_as in ("owner", "leader"),
        action_form=ConfirmForm(),
    )


@bp.route("/<int:campaign_id>/edit", methods=["GET", "POST"])
@allow(LEADER)
def edit(slug, campaign_id):
    campaign = g.campaign
    current = service.CampaignSettings.of(campaign)
    form = _form(campaign, data=current.as_dict())
    if form.validate_on_submit():
        try:
            service.update_campaign(campaign, form.settings(current), team_scope=g.team_scope)
        except FieldError as problem:
            db.session.rollback()
            _show_error(form, problem)
        else:
            db.session.commit()
            flash(f"“{campaign.name}” saved.", "success")
            return redirect(url_for("surveys.detail", slug=slug, campaign_id=campaign.id))
    return render_template("surveys/edit.html", form=form, campaign=campaign)


@bp.post("/<int:campaign_id>/pause")
@allow(LEADER)
def pause(slug, campaign_id):
    if ConfirmForm().validate_on_submit():
        service.pause_campaign(g.campaign)
        db.session.commit()
        flash("Paused: no new waves or reminders until you resume.", "success")
    return redirect(url_for("surveys.detail", slug=slug, campaign_id=campaign_id))


@bp.post("/<int:campaign_id>/resume")
@allow(LEADER)
def resume(slug, campaign_id):
    if ConfirmForm().validate_on_submit():
        service.resume_campaign(g.campaign)
        db.session.commit()
        flash("Resumed: waves open again from the next date on the schedule.", "success")
    return redirect(url_for("surveys.detail", slug=slug, campaign_id=campaign_id))


@bp.route("/<int:campaign_id>/send", methods=["GET", "POST"])
@allow(LEADER)
def send_now(slug, campaign_id):
    campaign = g.campaign
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            wave = service.send_wave_now(campaign)
        except FieldError as problem:
            form.form_errors.append(problem.message)
        else:
            db.session.commit()
            _start_fan_out(wave.id)
            flash(f"Wave sent: {wave.invited_count} invitations are on their way.", "success")
            return redirect(url_for("surveys.detail", slug=slug, campaign_id=campaign.id))
    elif request.method == "GET":
        problem = service.send_now_problem(campaign)
        if problem:
            form.form_errors.append(problem)
    return render_template(
        "surveys/send.html",
        campaign=campaign,
        form=form,
        blocked=bool(form.form_errors),
        invite_count=len(audience(campaign)),
        closes=closes_label(manual_close(utcnow(), campaign.open_days)),
    )


def _start_fan_out(wave_id: int) -> None:
    from worker.surveys import fan_out

    try:
        fan_out.delay(wave_id)
    except Exception:  # noqa: BLE001 - the broker may be down; beat's open job retries it
        current_app.logger.warning("could not queue the fan-out of wave %s", wave_id,
                                   exc_info=True)


def _form(campaign: Campaign | None = None, **kwargs) -> CampaignForm:
    from orgwell.surveys.instruments.library import available_instruments

    found = available_instruments(g.org)
    wordings = sorted({w for a in found for w in a.instrument.substitutions})
    return CampaignForm(
        instruments=[(a.latest.key, a.latest.name) for a in found],
        wordings=wordings,
        teams=team_choices(g.org, g.team_scope),
        teams_only=g.team_scope is not None,
        locked=campaign is not None and campaign.locked,
        **kwargs,
    )


def _show_error(form, problem: FieldError) -> None:
    field = getattr(form, problem.field, None)
    (field.errors if field is not None else form.form_errors).append(problem.message)
