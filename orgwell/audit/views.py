"""The activity log: owners see their organisation's, the site admin the site's."""
from __future__ import annotations

from flask import Blueprint, g, render_template, request

from orgwell.access import OWNER, SITE_ADMIN, allow
from orgwell.audit.services import activity_page

bp = Blueprint("audit", __name__)


@bp.get("/o/<slug>/activity")
@allow(OWNER)
def organisation_activity(slug):
    pagination, rows = activity_page(g.org.id, page=request.args.get("page", 1, type=int))
    return render_template("audit/organisation.html", pagination=pagination, rows=rows)


@bp.get("/admin/activity")
@allow(SITE_ADMIN)
def site_activity():
    pagination, rows = activity_page(None, page=request.args.get("page", 1, type=int))
    return render_template("audit/site.html", pagination=pagination, rows=rows)
