"""Log in and out, invitations, password reset and change."""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select

from orgwell.access import ANONYMOUS, ANY_USER, allow
from orgwell.audit.services import record
from orgwell.auth import services
from orgwell.auth.forms import (
    ChangePasswordForm,
    CreateAdminForm,
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
)
from orgwell.auth.models import User
from orgwell.auth.passwords import verify_password
from orgwell.auth.sessions import end_session, start_session
from orgwell.extensions import db
from orgwell.rate_limits import per_address

bp = Blueprint("auth", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths are followed after login (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
@allow(ANONYMOUS)
@per_address(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.find_user(form.email.data)
        if user and user.active and verify_password(user.password_hash, form.password.data):
            start_session(user)
            record("login", target=user, actor_id=user.id)
            db.session.commit()
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append("That email and password do not match an account.")
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@allow(ANY_USER)
def logout():
    end_session(current_user)
    db.session.commit()
    flash("You are logged out.", "success")
    return redirect(url_for("auth.login"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@allow(ANONYMOUS)
@per_address(_login_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = services.find_user(form.email.data)
        if user and user.active and user.has_password:
            services.send_password_reset(user)
            record("password_reset_requested", target=user, actor_id=user.id)
            db.session.commit()
        # The same answer either way, so the page does not reveal who has an account.
        flash("If that address has an account, a reset link is on its way.", "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@allow(ANONYMOUS)
def reset_password(token: str):
    return _set_password_via_link(token, "reset")


@bp.route("/invite/<token>", methods=["GET", "POST"])
@allow(ANONYMOUS)
def accept_invite(token: str):
    return _set_password_via_link(token, "invite")


def _set_password_via_link(token: str, purpose: str):
    try:
        link = services.check_link(token, purpose)
    except services.LinkError as problem:
        return render_template("auth/bad_link.html", reason=problem.reason, purpose=purpose), 410
    form = NewPasswordForm(email=link.user.email)
    if form.validate_on_submit():
        user = services.use_link(token, purpose, form.password.data)
        if current_user.is_authenticated:
            end_session(current_user)
        start_session(user)
        record(f"password_set_via_{purpose}", target=user, actor_id=user.id)
        db.session.commit()
        flash("Your password is saved and you are logged in.", "success")
        return redirect(url_for("home.index"))
    return render_template("auth/set_password.html", form=form, user=link.user, purpose=purpose)


@bp.route("/account/password", methods=["GET", "POST"])
@allow(ANY_USER)
def change_password():
    form = ChangePasswordForm(email=current_user.email)
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current.data):
            form.current.errors.append("That is not your current password.")
        else:
            user = current_user._get_current_object()
            services.set_password(user, form.password.data)
            start_session(user)  # this browser stays logged in; every other session ends
            record("password_changed", target=user)
            db.session.commit()
            flash("Password changed. Other devices have been logged out.", "success")
            return redirect(url_for("home.index"))
    return render_template("auth/change_password.html", form=form)


@bp.route("/setup", methods=["GET", "POST"])
@allow(ANONYMOUS)
def setup():
    """First run: while there is no user at all, anyone reaching the site creates the admin."""
    if db.session.scalar(select(func.count(User.id))):
        return redirect(url_for("auth.login"))
    form = CreateAdminForm()
    if form.validate_on_submit():
        user = services.create_user(
            form.email.data, form.name.data, password=form.password.data, site_admin=True
        )
        start_session(user)
        record("site_admin_created", target=user, actor_id=user.id)
        db.session.commit()
        flash("Welcome to OrgWell. Next: invite the owner of the first practice.", "success")
        return redirect(url_for("admin.index"))
    return render_template("auth/setup.html", form=form)
