"""Logging in and out, server-side sessions, idle expiry, throttling."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest
import redis

from orgwell import create_app
from orgwell.auth.models import UserSession
from orgwell.database import utcnow
from orgwell.extensions import db
from tests import factories
from tests.services import require_redis


def test_login_with_good_password_lands_home(client, auth, world):
    response = auth.login(world["owner_x"].email)
    assert response.status_code == 302
    assert client.get("/api/v1/me").status_code == 200


def test_email_is_case_insensitive(client, auth, world):
    auth.login(world["owner_x"].email.upper())
    assert client.get("/api/v1/me").status_code == 200


@pytest.mark.parametrize("password", ["wrong password!", ""])
def test_bad_password_rerenders_with_one_message(client, auth, world, password):
    response = auth.login(world["owner_x"].email, password)
    assert response.status_code == 200
    assert client.get("/api/v1/me").status_code == 401


def test_unknown_email_gets_the_same_message(client, auth, world):
    known = auth.login(world["owner_x"].email, "wrong password!").get_data(as_text=True)
    unknown = auth.login("nobody@example.org", "wrong password!").get_data(as_text=True)
    message = "That email and password do not match an account."
    assert message in known and message in unknown


def test_deactivated_user_cannot_log_in(client, auth, world, db):
    world["staff_a"].active = False
    db.session.commit()
    auth.login(world["staff_a"].email)
    assert client.get("/api/v1/me").status_code == 401


def test_copied_cookie_dies_at_logout(app, client, auth, world):
    auth.login(world["owner_x"].email)
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    assert thief.get("/api/v1/me").status_code == 200
    auth.logout()
    assert thief.get("/api/v1/me").status_code == 401


def test_session_expires_when_idle(client, auth, world, db, app):
    auth.login(world["owner_x"].email)
    row = db.session.query(UserSession).one()
    row.last_seen_at = utcnow() - timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1)
    db.session.commit()
    assert client.get("/api/v1/me").status_code == 401
    assert db.session.query(UserSession).count() == 0


def test_activity_keeps_a_session_alive(client, auth, world, db, app):
    auth.login(world["owner_x"].email)
    row = db.session.query(UserSession).one()
    row.last_seen_at = utcnow() - timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] - 5)
    db.session.commit()
    assert client.get("/api/v1/me").status_code == 200
    db.session.refresh(row)
    assert utcnow() - row.last_seen_at < timedelta(minutes=1)


@pytest.mark.parametrize(
    "target, lands",
    [("/admin/", "/admin/"), ("//evil.example/x", "/"), ("https://evil.example", "/")],
)
def test_next_parameter_is_same_site_only(client, world, target, lands):
    response = client.post(
        f"/login?next={target}",
        data={"email": world["admin"].email, "password": factories.PASSWORD},
    )
    assert response.headers["Location"] == lands


@contextmanager
def _throttled_client(tmp_path, limit: str, **config):
    """A client of an app of its own (its own rate-limit counts) with LOGIN_RATE_LIMIT=limit."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/t.sqlite",
            "WTF_CSRF_ENABLED": False,
            "LOGIN_RATE_LIMIT": limit,
            **config,
        }
    )
    with app.app_context():
        db.create_all()
        yield app.test_client()
        db.engine.dispose()


def _log_in(client):
    return client.post("/login", data={"email": "a@b.org", "password": "x" * 12}).status_code


def test_login_is_throttled(tmp_path):
    with _throttled_client(tmp_path, "3 per minute") as client:
        codes = [_log_in(client) for _ in range(5)]
    assert codes[:3] == [200, 200, 200]
    assert codes[3:] == [429, 429]


def test_rate_limits_can_be_switched_off_for_one_app_only(tmp_path):
    """RATELIMIT_ENABLED = False starts (there is no before-request pass to drop) and counts
    nothing; the next app, configured as usual, counts again."""
    (tmp_path / "off").mkdir()
    with _throttled_client(tmp_path / "off", "1 per minute", RATELIMIT_ENABLED=False) as client:
        unlimited = [_log_in(client) for _ in range(3)]
    with _throttled_client(tmp_path, "1 per minute") as client:
        limited = [_log_in(client) for _ in range(2)]
    assert unlimited == [200, 200, 200]
    assert limited == [200, 429]


def test_a_limit_counts_only_its_methods_and_its_own_view(tmp_path):
    """rate_limits.per_address: GETs of the login page are free, and the password-reset form
    has its own budget beside the login form's, though both read LOGIN_RATE_LIMIT."""
    with _throttled_client(tmp_path, "2 per minute") as client:
        pages = [client.get("/login").status_code for _ in range(4)]
        logins = [_log_in(client) for _ in range(3)]
        resets = [
            client.post("/password/forgot", data={"email": "a@b.org"}).status_code
            for _ in range(3)
        ]
    assert pages == [200, 200, 200, 200]
    assert logins == [200, 200, 429]
    assert resets == [302, 302, 429]


def test_throttling_is_shared_through_redis_when_configured(tmp_path):
    """Two web processes (two apps here) count attempts together in Redis storage."""
    redis_url = require_redis().rsplit("/", 1)[0] + "/14"
    redis.Redis.from_url(redis_url).flushdb()
    config = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/t.sqlite",
        "WTF_CSRF_ENABLED": False,
        "LOGIN_RATE_LIMIT": "3 per minute",
        "REDIS_URL": redis_url,
    }
    first, second = create_app(config), create_app(config)
    assert first.config["RATELIMIT_STORAGE_URI"] == redis_url
    with first.app_context():
        db.create_all()
        db.engine.dispose()
    codes = []
    for app in (first, second, first, second):
        with app.app_context():
            client = app.test_client()
            codes.append(
                client.post("/login", data={"email": "a@b.org", "password": "x" * 12}).status_code
            )
            db.engine.dispose()
    redis.Redis.from_url(redis_url).flushdb()
    assert codes == [200, 200, 200, 429]


def test_a_session_without_a_login_is_not_rewritten_from_another_browser(app, client, world):
    """Session protection (extensions.OrgWellLoginManager) leaves a visitor's session, which
    holds only a CSRF token, alone: no new cookie on each request from elsewhere."""
    app.config["WTF_CSRF_ENABLED"] = True
    first = client.get("/login", headers={"User-Agent": "Phone A"})
    assert "session=" in first.headers.get("Set-Cookie", "")  # the form's CSRF token
    again = client.get("/login", headers={"User-Agent": "Phone B"})
    assert again.status_code == 200
    assert "Set-Cookie" not in again.headers
    with client.session_transaction() as session:
        assert "_fresh" not in session


def test_a_logged_in_session_seen_from_another_browser_is_no_longer_fresh(client, auth, world):
    auth.login(world["owner_x"].email)
    with client.session_transaction() as session:
        assert session["_fresh"] is True
    client.get("/", headers={"User-Agent": "Someone else's browser"})
    with client.session_transaction() as session:
        assert session["_fresh"] is False
