"""Organisation pages (placeholder until the orgs pages land)."""
from flask import Blueprint, render_template

from orgwell.access import LEADER, LEADER_OR_CONSULTANT, allow

bp = Blueprint("orgs", __name__, url_prefix="/o/<slug>")


@bp.get("/")
@allow(LEADER_OR_CONSULTANT)
def overview(slug):
    return render_template("home/index.html")


@bp.get("/teams")
@allow(LEADER_OR_CONSULTANT)
def teams(slug):
    return render_template("home/index.html")


@bp.get("/staff")
@allow(LEADER)
def staff(slug):
    return render_template("home/index.html")
