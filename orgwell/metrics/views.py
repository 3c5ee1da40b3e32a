"""The results pages (blueprint `metrics`): overview, a team's page, presentation mode, the
client report, figure JSON, CSV, PNG/PDF exports, and a consultant's side-by-side comparison.

Every number shown comes from `orgwell.metrics.queries` through `dashboard.build_results`;
views only parse the filters, call one builder and render. Organisation pages live under
/o/<slug>/results (owners, leaders for their own teams, consultants); the comparison of
several clients lives at /results/compare because it spans organisations: it is open to any
logged-in user and `portfolio.compare` keeps only the organisations granted to the caller.
"""
from __future__ import annotations

import dataclasses
import json

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user

from orgwell.access import ANY_USER, LEADER_OR_CONSULTANT, allow, resolves
from orgwell.extensions import db
from orgwell.job_queue import enqueue_job
from orgwell.metrics import dashboard, exports, figures, portfolio, queries, report
from orgwell.metrics.actions import actions_for
from orgwell.metrics.export_models import ExportJob
from orgwell.metrics.filters import (
    DEFAULT_MONTHS,
    parse_filters,
    wants_default_period,
    with_default_period,
    with_params,
)
from orgwell.metrics.forms import ExportForm
from orgwell.metrics.plotlyjs import allow_plotly_styles
from orgwell.orgs.models import Team
from orgwell.programs.models import today
from worker.exports import run_export

bp = Blueprint("metrics", __name__)
PREFIX = "/o/<slug>/results"


@resolves("export_id", "export_job", visible=lambda job: job.created_by_id == current_user.id)
def _load_export(export_id: int):
    return db.session.get(ExportJob, export_id)


def _results(focus_team: Team | None = None) -> dashboard.Results:
    """The caller's view of g.org with the request's filters (a team page pins its team)."""
    scope = g.team_scope
    choices = dashboard.choices_for(g.org, scope)
    parsed = parse_filters(request.args, choices)
    if wants_default_period(request.args):
        parsed = with_default_period(parsed, queries.newest_wave_date(g.org, parsed.filters))
    if focus_team is not None:
        # The team, its own teams and its clinic (within a leader's scope; owners and
        # consultants get the organisation total too, leaders never), so that the lines
        # compare it with what it belongs to.
        related = list(focus_team.children) + (
            [focus_team.parent] if focus_team.parent is not None else []
        )
        ids = {focus_team.id} | {t.id for t in related if scope is None or t.id in scope}
        parsed = dataclasses.replace(
            parsed, filters=dataclasses.replace(parsed.filters, team_ids=frozenset(ids))
        )
    return dashboard.build_results(
        g.org, parsed, choices, team_scope=scope,
        focus_team_id=focus_team.id if focus_team else None,
        actions=actions_for(g.org, scope),
    )


def _page(template: str, **context) -> Response:
    response = make_response(render_template(
        template, figure_config_json=report.figure_config_json(),
        default_months=DEFAULT_MONTHS, **context,
    ))
    return allow_plotly_styles(response)


def _benchmark(results: dashboard.Results):
    if g.acting_as != "consultant":
        return None
    return portfolio.benchmark(current_user, g.org, results.parsed.filters, results.scale_name)


def _deck(results: dashboard.Results) -> report.Deck:
    firm = current_user.consulting_firm if g.acting_as == "consultant" else None
    return report.build_deck(results, firm=firm, today=today(), bench=_benchmark(results))


@bp.get(f"{PREFIX}/")
@allow(LEADER_OR_CONSULTANT)
def overview(slug):
    results = _results()
    return _page("metrics/overview.html", results=results, team=None,
                 export_form=ExportForm(query=results.parsed.query_string))


@bp.get(f"{PREFIX}/teams/<int:team_id>")
@allow(LEADER_OR_CONSULTANT)
def team(slug, team_id):
    results = _results(g.team)
    return _page("metrics/overview.html", results=results, team=g.team,
                 export_form=ExportForm(query=results.parsed.query_string))


@bp.get(f"{PREFIX}/figures/<name>.json")
@allow(LEADER_OR_CONSULTANT)
def figure(slug, name):
    if name not in dashboard.PANEL_NAMES:
        abort(404)
    results = _results()
    panel = results.panel(name)
    body = (f'{{"name":{json.dumps(panel.name)},"title":{json.dumps(panel.title)},'
            f'"headline":{json.dumps(panel.headline)},"threshold":{results.k},'
            f'"filters":{json.dumps(dict(results.parsed.params))},"figure":{panel.json}}}')
    return Response(body, mimetype="application/json")


@bp.get(f"{PREFIX}/results.csv")
@allow(LEADER_OR_CONSULTANT)
def results_csv(slug):
    results = _results()
    response = Response(exports.results_csv(results), mimetype="text/csv")
    filename = f"orgwell-results-{g.org.slug}-{results.parsed.filters.scale}.csv"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get(f"{PREFIX}/present")
@allow(LEADER_OR_CONSULTANT)
def present(slug):
    results = _results()
    return _page("metrics/present.html", results=results, deck=_deck(results),
                 back_url=with_params(url_for(".overview", slug=slug), results.parsed.params))


@bp.get(f"{PREFIX}/report.html")
@allow(LEADER_OR_CONSULTANT)
def report_file(slug):
    results = _results()
    html = report.report_html(_deck(results))
    response = Response(html, mimetype="text/html")
    name = report.report_filename(g.org.slug, today())
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.post(f"{PREFIX}/exports")
@allow(LEADER_OR_CONSULTANT)
def create_export(slug):
    form = ExportForm()
    if not form.validate_on_submit():
        flash("The export could not be started: choose PNG or PDF and try again.", "error")
        return redirect(url_for(".overview", slug=slug))
    job = exports.create_export(g.org, current_user, form.format.data, form.query.data or "",
                                g.team_scope)
    db.session.commit()
    _enqueue(job.id)
    return redirect(url_for(".export_job", slug=slug, export_id=job.id))


@bp.get(f"{PREFIX}/exports/<int:export_id>")
@allow(LEADER_OR_CONSULTANT)
def export_job(slug, export_id):
    job = g.export_job
    return render_template(
        "metrics/export_job.html", job=job, progress=exports.export_progress(job),
        back_url=with_params(url_for(".overview", slug=slug),
                             _query_pairs(job.query)),
    )


@bp.get(f"{PREFIX}/exports/<int:export_id>/status")
@allow(LEADER_OR_CONSULTANT)
def export_status(slug, export_id):
    return exports.export_progress(g.export_job)


@bp.get(f"{PREFIX}/exports/<int:export_id>/download")
@allow(LEADER_OR_CONSULTANT)
def export_download(slug, export_id):
    job = g.export_job
    if job.status != "done" or not job.file_path:
        abort(404)
    try:
        return send_file(job.file_path, mimetype="application/zip", as_attachment=True,
                         download_name=f"orgwell-figures-{slug}-{job.id}-{job.format}.zip")
    except FileNotFoundError:
        abort(404)


@bp.get("/results/compare")
@allow(ANY_USER)
def compare():
    granted = portfolio.granted_organisations(current_user)
    if not granted:
        abort(404)  # only consultants compare clients
    slugs = [s for s in request.args.get("orgs", "").split(",") if s][: portfolio.MAX_COMPARED]
    instrument = request.args.get("instrument") or queries.Filters().instrument
    scale = request.args.get("scale") or queries.Filters().scale
    known = _known_scales(granted)
    errors = []
    if (instrument, scale) not in known:
        if request.args.get("instrument") or request.args.get("scale"):
            errors.append("That questionnaire or scale is not used by your clients; showing "
                          "the default one instead.")
        instrument, scale = (
            (queries.Filters().instrument, queries.Filters().scale)
            if (queries.Filters().instrument, queries.Filters().scale) in known or not known
            else sorted(known)[0]
        )
    if not slugs:
        slugs = [org.slug for org in granted]
    comparison = portfolio.compare(
        current_user, slugs, queries.Filters(instrument=instrument, scale=scale)
    )
    if len(comparison.orgs) < len(slugs):
        errors.append("Some organisations in the link are not among your clients; they were "
                      "left out.")
    return _page("metrics/compare.html", comparison=comparison, granted=granted,
                 chosen={o.slug for o in comparison.orgs}, instrument=instrument, scale=scale,
                 known=[(i, s, label) for (i, s), label in sorted(known.items())],
                 figure_json=figures.figure_json(comparison.figure), errors=errors)


def _known_scales(orgs) -> dict[tuple[str, str], str]:
    """(instrument, scale) -> "Instrument: Scale" over the given organisations."""
    known = {}
    for org in orgs:
        for key, name, scales in queries.available_instruments(org):
            for scale_key, scale_name, _ in scales:
                known[(key, scale_key)] = f"{name}: {scale_name}"
    return known


def _query_pairs(query: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(query or "")


def _enqueue(job_id: int) -> None:
    enqueue_job(run_export, job_id, "export")
