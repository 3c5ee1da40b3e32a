"""Account services: passwords, single-use links, invitations, API tokens.

Services flush but never commit: the view, task or command that calls them owns the
transaction.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app, url_for
from sqlalchemy import func, select

from orgwell.auth.models import ApiToken, User, UserToken
from orgwell.auth.passwords import hash_password
from orgwell.auth.sessions import end_all_sessions, token_hash
from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.notifications.services import queue_mail


class LinkError(Exception):
    """A single-use link that cannot be used; `reason` is one of: unknown, used, expired."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).filter_by(email=normalise_email(email)))


def create_user(
    email: str, name: str, *, password: str | None = None, site_admin: bool = False
) -> User:
    """Create a user (without a password, they must be invited). Flushes."""
    user = User(
        email=normalise_email(email),
        name=name.strip(),
        password_hash=hash_password(password) if password else None,
        is_site_admin=site_admin,
    )
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: User, password: str) -> None:
    """Set a new password and end every existing login of the user."""
    user.password_hash = hash_password(password)
    end_all_sessions(user)


def issue_link(user: User, purpose: str) -> str:
    """Create a single-use link token for `user` and return the raw token (stored hashed)."""
    if purpose == "invite":
        lifetime = timedelta(days=current_app.config["INVITE_VALID_DAYS"])
    else:
        lifetime = timedelta(hours=current_app.config["RESET_VALID_HOURS"])
    raw = secrets.token_urlsafe(32)
    db.session.add(
        UserToken(
            user_id=user.id,
            purpose=purpose,
            token_hash=token_hash(raw),
            expires_at=utcnow() + lifetime,
        )
    )
    db.session.flush()
    return raw


def check_link(raw: str, purpose: str) -> UserToken:
    """The live token behind a link, or LinkError saying why it cannot be used."""
    row = db.session.scalar(
        select(UserToken).filter_by(token_hash=token_hash(raw), purpose=purpose)
    )
    if row is None:
        raise LinkError("unknown")
    if row.used_at is not None:
        raise LinkError("used")
    if row.expires_at <= utcnow():
        raise LinkError("expired")
    return row


def use_link(raw: str, purpose: str, password: str) -> User:
    """Set the password through a link and spend the link; LinkError if it is not usable."""
    row = check_link(raw, purpose)
    row.used_at = utcnow()
    set_password(row.user, password)
    db.session.flush()
    return row.user


def invite_user(
    user: User, *, invited_by: User | None = None, organisation=None, resend: bool = False
) -> None:
    """Queue an invitation mail with a set-password link.

    One invitation per user and organisation (a repeated call is a no-op in the outbox);
    `resend=True` queues another one with a fresh link, numbered by the links issued so far.
    Earlier links keep working until they expire.
    """
    org_part = organisation.id if organisation is not None else "site"
    key = f"invite:{org_part}:{user.id}"
    if resend:
        issued = db.session.scalar(
            select(func.count(UserToken.id)).filter_by(user_id=user.id, purpose="invite")
        )
        key += f":{issued + 1}"
    raw = issue_link(user, "invite")
    queue_mail(
        key,
        user.email,
        "invite",
        organisation_id=getattr(organisation, "id", None),
        user=user,
        inviter=invited_by,
        organisation=organisation,
        link=_external("auth.accept_invite", token=raw),
        valid_days=current_app.config["INVITE_VALID_DAYS"],
    )


def send_password_reset(user: User) -> None:
    """Queue a password reset mail; each request is its own message."""
    raw = issue_link(user, "reset")
    queue_mail(
        f"reset:{user.id}:{token_hash(raw)[:16]}",
        user.email,
        "reset",
        user=user,
        link=_external("auth.reset_password", token=raw),
        valid_hours=current_app.config["RESET_VALID_HOURS"],
    )


def create_api_token(user: User, name: str) -> str:
    """Create a personal API token and return it; only its hash is kept."""
    raw = "ow_" + secrets.token_urlsafe(32)
    db.session.add(
        ApiToken(user_id=user.id, name=name, token_hash=token_hash(raw), prefix=raw[:10])
    )
    db.session.flush()
    return raw


def revoke_api_token(token: ApiToken) -> None:
    token.revoked_at = utcnow()
    db.session.flush()


def _external(endpoint: str, **values) -> str:
    """An absolute link for mail, built on ORGWELL_BASE_URL (works outside a request too)."""
    base = current_app.config["BASE_URL"].rstrip("/")
    with current_app.test_request_context(base_url=base):
        return url_for(endpoint, _external=True, **values)
