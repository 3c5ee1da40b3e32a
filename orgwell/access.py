"""Who may call what: every route declares one rule, and one hook enforces them all.

A view is decorated with `@allow(rule)`. `enforce()` runs before every request: it finds
the rule of the matched endpoint (no rule: 404, deny by default), resolves the organisation
named by `<slug>` and the team or membership named by `<team_id>` / `<membership_id>`, and
puts them on `g` so that views never look them up again. Objects the caller may not know
about answer 404; a member of the organisation lacking the role gets 403.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import Flask, abort, current_app, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from orgwell.extensions import db

# Endpoints served by Flask and extensions themselves: static files only.
EXEMPT_ENDPOINTS = frozenset({"static", "bootstrap.static"})


@dataclass(frozen=True)
class Rule:
    """Who may call a route.

    anonymous: anyone, logged in or not.  any_user: any logged-in user.
    site_admin: site administrators.  org_creator: users allowed to create organisations.
    roles: membership roles in the route's organisation.
    consultant: consultants granted the route's organisation.
    """

    name: str
    anonymous: bool = False
    any_user: bool = False
    site_admin: bool = False
    org_creator: bool = False
    roles: frozenset[str] = field(default_factory=frozenset)
    consultant: bool = False

    @property
    def needs_org(self) -> bool:
        return bool(self.roles) or self.consultant


ANONYMOUS = Rule("anonymous", anonymous=True)
ANY_USER = Rule("any user", any_user=True)
SITE_ADMIN = Rule("site admin", site_admin=True)
ORG_CREATOR = Rule("may create organisations", org_creator=True)
MEMBER = Rule("any member", roles=frozenset({"owner", "leader", "staff"}))
MEMBER_OR_CONSULTANT = Rule(
    "any member or consultant", roles=frozenset({"owner", "leader", "staff"}), consultant=True
)
LEADER = Rule("leader of the team", roles=frozenset({"owner", "leader"}))
LEADER_OR_CONSULTANT = Rule(
    "leader of the team or consultant", roles=frozenset({"owner", "leader"}), consultant=True
)
OWNER = Rule("owner", roles=frozenset({"owner"}))
OWNER_OR_CONSULTANT = Rule("owner or consultant", roles=frozenset({"owner"}), consultant=True)
CONSULTANT = Rule("consultant of the organisation", consultant=True)


@dataclass(frozen=True)
class ObjectResolver:
    """How `enforce()` loads the object a URL argument names (e.g. `<program_id>`).

    load(id) returns the object or None; the object must carry `organisation_id`.
    visible(obj) may narrow it further (a staff member's own assignment, a leader's teams);
    it runs with g.org, g.membership, g.acting_as and g.team_scope already set.
    """

    attr: str
    load: Callable[[int], object | None]
    visible: Callable[[object], bool] | None = None


# URL argument name -> resolver; domains register theirs with `resolves()`.
OBJECT_RESOLVERS: dict[str, ObjectResolver] = {}


def resolves(arg: str, attr: str, visible: Callable[[object], bool] | None = None):
    """Register `load` as the loader of URL argument `arg`; the object lands on `g.<attr>`."""

    def register(load):
        OBJECT_RESOLVERS[arg] = ObjectResolver(attr, load, visible)
        return load

    return register


def allow(rule: Rule):
    """Declare the access rule of a view function."""

    def decorate(view):
        view.access_rule = rule
        return view

    return decorate


def rule_for_endpoint(app: Flask, endpoint: str) -> Rule | None:
    view = app.view_functions.get(endpoint)
    return getattr(view, "access_rule", None)


def init_access(app: Flask) -> None:
    app.before_request(enforce)
    if app.testing:
        # Lets the access-matrix test tell a view's own 404 from the hook's refusal.
        @app.after_request
        def mark_granted(response):
            if g.get("access_granted"):
                response.headers["X-OrgWell-Access"] = "granted"
            return response


def enforce():
    """The single access check, run before every view."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in EXEMPT_ENDPOINTS:
        return None  # unmatched URLs 404 on their own
    rule = rule_for_endpoint(current_app, endpoint)
    if rule is None:
        abort(404)  # deny by default; tests/test_access_rules.py catches the omission
    if rule.anonymous:
        g.access_granted = True
        return None
    if not current_user.is_authenticated:
        if request.blueprint == "api":
            abort(401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if rule.site_admin or rule.org_creator:
        allowed = current_user.is_site_admin if rule.site_admin else (
            current_user.can_create_organisations or current_user.is_site_admin
        )
        if not allowed:
            abort(403)
    elif not rule.any_user:
        _enforce_org_rule(rule, request.view_args or {})
    g.access_granted = True
    return None


def _enforce_org_rule(rule: Rule, view_args: dict):
    from orgwell.orgs.models import ConsultantGrant, Membership, Organisation, Team

    org = db.session.scalar(select(Organisation).filter_by(slug=view_args.get("slug")))
    if org is None:
        abort(404)
    membership = db.session.scalar(
        select(Membership).filter_by(
            organisation_id=org.id, user_id=current_user.id, status="active"
        )
    )
    if membership is not None and membership.role in rule.roles:
        acting_as = membership.role
    else:
        # Only now is a consultant grant worth a query: members pass on their role.
        grant = db.session.scalar(
            select(ConsultantGrant).filter_by(
                organisation_id=org.id, consultant_id=current_user.id, revoked_at=None
            )
        )
        if membership is None and grant is None:
            abort(404)  # another organisation's objects do not exist for this caller
        if grant is None or not rule.consultant:
            abort(403)
        acting_as = "consultant"
    g.org, g.membership, g.acting_as = org, membership, acting_as

    scope = leader_team_ids(membership) if g.acting_as == "leader" else None
    g.team_scope = scope
    if "team_id" in view_args:
        team = db.session.get(Team, view_args["team_id"])
        if team is None or team.organisation_id != org.id:
            abort(404)
        if scope is not None and team.id not in scope:
            abort(404)
        g.team = team
    if "membership_id" in view_args:
        target = db.session.get(Membership, view_args["membership_id"])
        if target is None or target.organisation_id != org.id:
            abort(404)
        if scope is not None and not {t.id for t in target.current_teams} & scope:
            abort(404)
        g.target_membership = target
    for arg, resolver in OBJECT_RESOLVERS.items():
        if arg in view_args:
            _resolve_object(org, resolver, view_args[arg])


def _resolve_object(org, resolver: ObjectResolver, object_id) -> None:
    obj = resolver.load(object_id)
    if obj is None:
        # Nothing by that id anywhere: the caller passed the role check, so this is the
        # view's own "not found", not a refusal.
        g.access_granted = True
        abort(404)
    if obj.organisation_id != org.id or (resolver.visible and not resolver.visible(obj)):
        abort(404)  # another organisation's (or another person's) object does not exist here
    setattr(g, resolver.attr, obj)


def leader_team_ids(membership) -> set[int]:
    """The teams a leader may see: their current teams and the teams inside those clinics."""
    from orgwell.orgs.models import Team

    if membership is None:
        return set()
    own = {t.id for t in membership.current_teams}
    if not own:
        return set()
    children = db.session.scalars(select(Team.id).where(Team.parent_id.in_(own)))
    return own | set(children)

