"""The survey link `/s/<token>`: the form, sending it, the thank-you page with the scores.

Anyone holding the link may answer (rule ANONYMOUS: the token is the credential); the form's
CSRF token is bound to the link rather than to a session (surveys/link_forms.py), so an
anonymous respondent gets no cookie, and the route is rate-limited. The thank-you page is
rendered straight from the POST that stored the answers: the scores are never put in the
session or behind a URL, so reloading (which posts again and finds the link used) or coming
back later shows them no more.
`answer_page` is shared with "My surveys", which answers an invitation without its token.
"""
from __future__ import annotations

from flask import Blueprint, current_app, make_response, render_template, request, url_for
from flask_login import current_user

from orgwell.access import ANONYMOUS, allow
from orgwell.extensions import csrf, db
from orgwell.rate_limits import per_address
from orgwell.surveys import link_forms, question_block, responding
from orgwell.surveys.my_results import scale_range

bp = Blueprint("surveys_respond", __name__)


def _rate_limit() -> str:
    return current_app.config["SURVEY_RATE_LIMIT"]


@bp.route("/s/<token>", methods=["GET", "POST"])
@allow(ANONYMOUS)
@csrf.exempt  # checked below against the link's own form token
@per_address(_rate_limit)
def form(token: str):
    if request.method == "POST":
        link_forms.check_form_token(token, request.form.get("csrf_token"))
    viewer = current_user.id if current_user.is_authenticated else None
    try:
        survey = responding.open_by_token(
            token, viewer_id=viewer, read_only=request.method != "POST"
        )
    except responding.LinkProblem as problem:
        return link_problem_page(problem)
    return answer_page(
        survey, action=url_for(".form", token=token), form_token=link_forms.form_token(token)
    )


def answer_page(survey: responding.Survey, action: str, form_token: str | None = None):
    """GET: the form. POST: check, store once and thank, or show the form again with why.

    A POST's CSRF token was checked before: the link's own (`form`), or CSRFProtect's, which
    checks every other POST; form_token is the link's, None for the session's. The answers
    are read by `responding.read_answers`, which knows the instrument's items and options, and
    "send_partial" is the "send anyway" button.
    """
    answers = short = None
    if request.method == "POST":
        answers = responding.read_answers(survey, request.form)
        short = responding.scales_short_of_answers(survey, answers.values)
        if answers.ok and (not short or request.form.get("send_partial") == "yes"):
            try:
                scores = responding.submit(survey, answers.values)
            except responding.LinkProblem as problem:
                db.session.rollback()
                return link_problem_page(problem)
            db.session.commit()
            return _private(render_template(
                "surveys/respond/thanks.html", survey=survey, scores=scores,
                ranges={s.key: scale_range(survey.instrument, s.key) for s in survey.scales},
            ))
    return _private(render_template(
        "surveys/respond/form.html", survey=survey, action=action, form_token=form_token,
        answers=answers, short=short or [], questions=question_block.questions(survey, answers),
    ))


def link_problem_page(problem: responding.LinkProblem):
    return _private(
        render_template("surveys/respond/link_problem.html", reason=problem.reason),
        problem.status,
    )


def _private(body: str, status: int = 200):
    """Answers and scores must not linger in a browser or proxy cache."""
    response = make_response(body, status)
    response.headers["Cache-Control"] = "no-store"
    return response
