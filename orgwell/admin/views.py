"""Site admin pages under /admin. Every route is for site administrators only."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from orgwell.access import SITE_ADMIN, allow
from orgwell.admin import services
from orgwell.admin.forms import GrantForm, InviteConsultantForm, InviteOwnerForm
from orgwell.auth.models import User
from orgwell.extensions import db
from orgwell.orgs.models import ConsultantGrant, Organisation

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@allow(SITE_ADMIN)
def index():
    return render_template(
        "admin/index.html", counts=services.site_counts(), owners=services.invited_owners()
    )


@bp.get("/organisations")
@allow(SITE_ADMIN)
def organisations():
    return render_template("admin/organisations.html", rows=services.organisation_rows())


@bp.route("/owners/invite", methods=["GET", "POST"])
@allow(SITE_ADMIN)
def invite_owner():
    form = InviteOwnerForm()
    if form.validate_on_submit():
        user = services.invite_owner(form.name.data, form.email.data, invited_by=_me())
        db.session.commit()
        flash(f"Invitation sent to {user.email}. They can create their organisation once "
              "they have chosen a password.", "success")
        return redirect(url_for("admin.index"))
    return render_template("admin/invite_owner.html", form=form)


@bp.get("/consultants")
@allow(SITE_ADMIN)
def consultants():
    return _consultants_page()


@bp.route("/consultants/invite", methods=["GET", "POST"])
@allow(SITE_ADMIN)
def invite_consultant():
    form = InviteConsultantForm(organisation_choices=services.organisation_choices())
    if form.validate_on_submit():
        user = services.invite_consultant(
            form.name.data,
            form.email.data,
            form.firm.data,
            organisation_ids=form.organisations.data or [],
            invited_by=_me(),
        )
        db.session.commit()
        flash(f"Invitation sent to {user.email} ({user.consulting_firm}).", "success")
        return redirect(url_for("admin.consultants"))
    return render_template("admin/invite_consultant.html", form=form)


@bp.post("/consultants/<int:user_id>/grants")
@allow(SITE_ADMIN)
def grant(user_id: int):
    consultant = _consultant_or_404(user_id)
    form = GrantForm(organisation_choices=services.organisation_choices())
    if not form.validate_on_submit():
        return _consultants_page(failed=(consultant.id, form)), 400
    organisation = db.session.get(Organisation, form.organisation.data)
    try:
        services.grant_access(consultant, organisation, granted_by=_me())
    except services.AdminError as problem:
        form.organisation.errors.append(str(problem))
        return _consultants_page(failed=(consultant.id, form)), 400
    db.session.commit()
    flash(f"{consultant.name} can now open {organisation.name}.", "success")
    return redirect(url_for("admin.consultants"))


@bp.post("/consultants/<int:user_id>/grants/<int:grant_id>/revoke")
@allow(SITE_ADMIN)
def revoke(user_id: int, grant_id: int):
    grant = db.get_or_404(ConsultantGrant, grant_id)
    if grant.consultant_id != user_id:
        abort(404)
    return _apply(
        lambda: services.revoke_access(grant),
        f"{grant.consultant.name} no longer has access to {grant.organisation.name}.",
        "admin.consultants",
    )


@bp.get("/users")
@allow(SITE_ADMIN)
def users():
    query = request.args.get("q", "")
    page = services.find_users(query, request.args.get("page", 1, type=int))
    return render_template(
        "admin/users.html",
        page=page,
        query=query,
        memberships=services.membership_counts([u.id for u in page.items]),
    )


@bp.post("/users/<int:user_id>/deactivate")
@allow(SITE_ADMIN)
def deactivate(user_id: int):
    user = db.get_or_404(User, user_id)
    return _apply(
        lambda: services.set_active(user, False, by=_me()),
        f"{user.name} is deactivated and logged out everywhere.",
        "admin.users",
    )


@bp.post("/users/<int:user_id>/reactivate")
@allow(SITE_ADMIN)
def reactivate(user_id: int):
    user = db.get_or_404(User, user_id)
    return _apply(
        lambda: services.set_active(user, True, by=_me()),
        f"{user.name} can log in again.",
        "admin.users",
    )


@bp.post("/users/<int:user_id>/resend-invitation")
@allow(SITE_ADMIN)
def resend_invitation(user_id: int):
    user = db.get_or_404(User, user_id)
    return _apply(
        lambda: services.resend_invitation(user, by=_me()),
        f"A new invitation is on its way to {user.email}.",
        request.args.get("back") if request.args.get("back") in _BACK else "admin.users",
    )


# Pages a button may return to.
_BACK = {"admin.index", "admin.users", "admin.consultants"}


# ----- helpers -----------------------------------------------------------------------------

def _me() -> User:
    return current_user._get_current_object()


def _apply(change, success: str, endpoint: str):
    """Run a button's change: commit and confirm it, or say why it could not be made."""
    try:
        change()
    except services.AdminError as problem:
        db.session.rollback()
        flash(str(problem), "warning")
    else:
        db.session.commit()
        flash(success, "success")
    return redirect(url_for(endpoint, **_kept_args()))


def _kept_args() -> dict:
    """The list's search and page, so that a button press returns to the same view."""
    return {k: v for k, v in request.args.items() if k in ("q", "page") and v}


def _consultant_or_404(user_id: int) -> User:
    user = db.session.scalar(
        select(User).where(User.id == user_id, User.consulting_firm.is_not(None))
    )
    if user is None:
        abort(404)
    return user


def _consultants_page(failed: tuple[int, GrantForm] | None = None):
    """The consultants list with a grant form per consultant; `failed` re-shows one's errors."""
    rows = services.consultant_rows()
    choices = services.organisation_choices()
    forms = {}
    for row in rows:
        if failed and failed[0] == row.consultant.id:
            forms[row.consultant.id] = failed[1]  # as submitted, with its errors
            continue
        granted = {g.organisation_id for g in row.grants}
        forms[row.consultant.id] = GrantForm(
            formdata=None, organisation_choices=[c for c in choices if c[0] not in granted]
        )
    return render_template("admin/consultants.html", rows=rows, forms=forms)
