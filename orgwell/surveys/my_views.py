"""A member's own survey pages: "My surveys", answering from there, and "My results".

Every page shows the caller's own things only. `<invitation_id>` is resolved by the access
hook as the caller's OWN invitation (anyone else's, including a leader's view of a team
member's, is a 404), so a logged-in member answers without the mailed token.
"""
from __future__ import annotations

from flask import Blueprint, current_app, g, render_template, url_for

from orgwell.access import MEMBER, allow, resolves
from orgwell.extensions import db
from orgwell.surveys import my_results, responding
from orgwell.surveys.models import Invitation
from orgwell.surveys.respond_views import answer_page, link_problem_page

bp = Blueprint("surveys_my", __name__, url_prefix="/o/<slug>/my/surveys")

# Where a suggested program can be joined, if the programs side offers that page.
JOIN_ENDPOINTS = ("learning.join", "learning.self_enroll")


def _own_invitation(invitation: Invitation) -> bool:
    return g.membership is not None and invitation.membership_id == g.membership.id


@resolves("invitation_id", "invitation", visible=_own_invitation)
def _load_invitation(invitation_id: int) -> Invitation | None:
    return db.session.get(Invitation, invitation_id)


@bp.get("/")
@allow(MEMBER)
def index(slug: str):
    return render_template(
        "surveys/my/index.html",
        surveys=my_results.open_surveys(g.membership),
        answered=my_results.answered_recently(g.membership),
        has_results=bool(my_results.my_trends(g.membership)),
    )


@bp.route("/<int:invitation_id>/answer", methods=["GET", "POST"])
@allow(MEMBER)
def answer(slug: str, invitation_id: int):
    try:
        survey = responding.open_invitation(g.invitation)
    except responding.LinkProblem as problem:
        return link_problem_page(problem)
    return answer_page(survey, action=url_for(".answer", slug=slug, invitation_id=invitation_id))


@bp.get("/results")
@allow(MEMBER)
def results(slug: str):
    trends = my_results.my_trends(g.membership)
    high = my_results.high_scales(trends)
    join = next((e for e in JOIN_ENDPOINTS if e in current_app.view_functions), None)
    return render_template(
        "surveys/my/results.html",
        trends=[(trend, my_results.trend_chart(trend)) for trend in trends],
        suggestions=my_results.suggested_programs(g.membership, high),
        join_url=url_for(join, slug=slug) if join else None,
    )
