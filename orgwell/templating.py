"""What every template can use: the navigation that fits the caller's role, and filters."""
from __future__ import annotations

from datetime import datetime

from flask import Flask, current_app, g, has_request_context, render_template, request
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from orgwell.extensions import db


def user_organisations(user) -> list[tuple[object, str]]:
    """(organisation, role) pairs the user can open: memberships first, then consultancies."""
    from orgwell.orgs.models import ConsultantGrant, Membership

    # Joined loads: a consultant with many clients costs two queries per page, not one each.
    rows = [
        (m.organisation, m.role)
        for m in db.session.scalars(
            select(Membership)
            .filter_by(user_id=user.id, status="active")
            .options(joinedload(Membership.organisation))
        )
    ]
    rows += [
        (grant.organisation, "consultant")
        for grant in db.session.scalars(
            select(ConsultantGrant)
            .filter_by(consultant_id=user.id, revoked_at=None)
            .options(joinedload(ConsultantGrant.organisation))
        )
    ]
    return sorted(rows, key=lambda pair: pair[0].name)


def init_templating(app: Flask) -> None:
    @app.context_processor
    def navigation():
        if not has_request_context() or not current_user.is_authenticated:
            return {"nav_orgs": [], "current_org": None, "acting_as": None}
        return {
            "nav_orgs": user_organisations(current_user),
            "current_org": getattr(g, "org", None),
            "acting_as": getattr(g, "acting_as", None),
        }

    made: dict[tuple[str, str], Markup] = {}

    @app.template_global()
    def bootstrap_assets(kind: str) -> Markup:
        """Bootstrap's <link> ("css") or <script> ("js") tags. Flask-Bootstrap builds them
        (URL, integrity hash) anew on every call, 1-2% of a survey link's CPU; they depend
        only on the config and where the app is mounted, so each is built once."""
        from orgwell.extensions import bootstrap

        key = (kind, request.script_root if has_request_context() else "")
        tags = made.get(key)
        if tags is None:
            tags = made[key] = Markup(
                bootstrap.load_css() if kind == "css" else bootstrap.load_js()
            )
        return tags

    headers: dict[tuple, Markup] = {}

    @app.template_global()
    def anonymous_header() -> Markup:
        """The site header (_header.html) as a visitor sees it. It differs between pages only
        by the active link, so it is rendered once per page, mount point and the settings it
        reads, not on every request: 3-4% of the web's CPU on a survey link, whose visitors
        are all anonymous (py-spy, bench/submissions.py)."""
        config = current_app.config
        key = (request.endpoint, request.script_root, bool(config["PUBLIC_SIGNUP"]),
               bool(config["SHOW_DEV_MAIL"]))
        header = headers.get(key)
        if header is None:
            if len(headers) > 1000:  # endpoints are finite; this only bounds a surprise
                headers.clear()
            header = headers[key] = Markup(render_template("_header.html"))
        return header

    @app.template_filter("date")
    def format_date(value, fmt: str = "%d %b %Y") -> str:
        return value.strftime(fmt) if value else "—"

    @app.template_filter("datetime")
    def format_datetime(value: datetime | None) -> str:
        return value.strftime("%d %b %Y %H:%M UTC") if value else "—"
