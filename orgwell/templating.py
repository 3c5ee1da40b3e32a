"""What every template can use: the navigation that fits the caller's role, and filters."""
from __future__ import annotations

from datetime import datetime

from flask import Flask, g, has_request_context
from flask_login import current_user
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

    @app.template_filter("date")
    def format_date(value, fmt: str = "%d %b %Y") -> str:
        return value.strftime(fmt) if value else "—"

    @app.template_filter("datetime")
    def format_datetime(value: datetime | None) -> str:
        return value.strftime("%d %b %Y %H:%M UTC") if value else "—"
