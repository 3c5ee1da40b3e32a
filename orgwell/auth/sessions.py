"""Server-side login sessions.

The signed cookie holds only a random session id; the `user_sessions` row behind it is what
makes a login valid. Logout deletes the row and a password change deletes all of a user's
rows, so a copied cookie stops working at once. Idle sessions expire after
SESSION_IDLE_MINUTES.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import Flask, current_app, request
from flask_login import login_user, logout_user
from sqlalchemy import delete

from orgwell.auth.models import ApiToken, User, UserSession
from orgwell.database import utcnow
from orgwell.extensions import db, login_manager

# Writing last_seen_at on every request would make every page view a write.
_TOUCH_EVERY = timedelta(minutes=1)


def token_hash(token: str) -> str:
    """The stored form of any random token (session ids, links, API tokens)."""
    return hashlib.sha256(token.encode()).hexdigest()


def init_sessions(app: Flask) -> None:
    from orgwell.cookie_sessions import CookieSessionInterface

    app.session_interface = CookieSessionInterface()
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_session_user)
    login_manager.request_loader(load_token_user)


def load_session_user(session_id: str) -> User | None:
    """Flask-Login's user loader: the user of a live, not idle, session row."""
    row = db.session.get(UserSession, token_hash(session_id))
    if row is None:
        return None
    now = utcnow()
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"])
    if now - row.last_seen_at > idle or not row.user.active:
        db.session.delete(row)
        db.session.commit()
        return None
    if now - row.last_seen_at > _TOUCH_EVERY:
        row.last_seen_at = now
        db.session.commit()
    user = row.user
    user.session_id = session_id
    return user


def load_token_user(req) -> User | None:
    """API requests authenticate with `Authorization: Bearer <token>`."""
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    token = db.session.query(ApiToken).filter_by(
        token_hash=token_hash(header.removeprefix("Bearer ").strip()), revoked_at=None
    ).one_or_none()
    if token is None or not token.user.active:
        return None
    token.last_used_at = utcnow()
    db.session.commit()
    return token.user


def start_session(user: User) -> None:
    """Log `user` in with a fresh server-side session (adds a row; the caller commits)."""
    session_id = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(
            id_hash=token_hash(session_id),
            user_id=user.id,
            ip=request.remote_addr,
            user_agent=(request.user_agent.string or "")[:255],
        )
    )
    user.session_id = session_id
    user.last_login_at = utcnow()
    login_user(user)


def end_session(user: User) -> None:
    """Log out: the session row goes, so the cookie is dead even if someone copied it."""
    if user.session_id:
        db.session.execute(
            delete(UserSession).where(UserSession.id_hash == token_hash(user.session_id))
        )
    logout_user()


def end_all_sessions(user: User) -> None:
    """Revoke every login of `user` (after a password change or reset)."""
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
