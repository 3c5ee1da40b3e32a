"""Invitations and password resets: single-use, expiring links, friendly bad-link pages."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest

from orgwell.auth import services
from orgwell.auth.models import UserToken
from orgwell.database import utcnow
from orgwell.notifications.models import OutboxMessage
from tests import factories

NEW_PASSWORD = "lighthouse kayak morning"


def _link_from_outbox(db, to_addr: str) -> str:
    message = db.session.query(OutboxMessage).filter_by(to_addr=to_addr).one()
    return re.search(r"http://orgwell\.test(/\S+)", message.text_body).group(1)


@pytest.fixture
def invited(db):
    user = services.create_user("new.person@example.org", "New Person")
    services.invite_user(user)
    db.session.commit()
    return user


def test_invitation_mail_carries_a_working_link(client, db, invited):
    path = _link_from_outbox(db, invited.email)
    assert path.startswith("/invite/")
    page = client.get(path)
    assert "Choose a password for new.person@example.org" in page.get_data(as_text=True)
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert client.get("/api/v1/me").get_json()["email"] == invited.email


def test_link_works_once(client, db, invited):
    path = _link_from_outbox(db, invited.email)
    client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    again = client.get(path)
    assert again.status_code == 410
    assert "already been used" in again.get_data(as_text=True)


def test_expired_link_gets_a_friendly_page(client, db, invited):
    path = _link_from_outbox(db, invited.email)
    db.session.query(UserToken).update({"expires_at": utcnow() - timedelta(minutes=1)})
    db.session.commit()
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)
    assert db.session.get(type(invited), invited.id).password_hash is None


@pytest.mark.parametrize("token", ["nonsense", "x" * 300, "%00", "../../etc"])
def test_unknown_link_gets_a_friendly_page(client, invited, token):
    response = client.get(f"/invite/{token}")
    assert response.status_code in (404, 410)
    assert response.status_code == 404 or "do not recognise" in response.get_data(as_text=True)


def test_links_are_stored_hashed(db, invited):
    token = db.session.query(UserToken).one()
    path = _link_from_outbox(db, invited.email)
    assert path.rsplit("/", 1)[1] not in token.token_hash
    assert len(path.rsplit("/", 1)[1]) >= 43  # 32 random bytes, 256 bits


@pytest.mark.parametrize(
    "password, message",
    [
        ("short1!", "at least 10 characters"),
        ("password123", "too common"),
        ("1234567890", "too common"),
        ("aaaaaaaaaaaa", "more varied"),
    ],
)
def test_weak_passwords_are_refused(client, db, invited, password, message):
    path = _link_from_outbox(db, invited.email)
    page = client.post(path, data={"password": password, "confirm": password})
    assert page.status_code == 200
    assert message in page.get_data(as_text=True)
    assert db.session.get(type(invited), invited.id).password_hash is None


def test_mismatched_confirmation_is_refused(client, db, invited):
    path = _link_from_outbox(db, invited.email)
    page = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert "The two passwords differ." in page.get_data(as_text=True)


def test_password_reset_flow_ends_other_sessions(app, client, auth, db, world):
    owner = world["owner_x"]
    other_device = app.test_client()
    other_device.post("/login", data={"email": owner.email, "password": factories.PASSWORD})
    assert other_device.get("/api/v1/me").status_code == 200

    response = client.post("/password/forgot", data={"email": owner.email})
    assert response.status_code == 302
    path = _link_from_outbox(db, owner.email)
    client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert other_device.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me").status_code == 200
    assert auth.login(owner.email, NEW_PASSWORD).status_code == 302


def test_reset_for_unknown_email_says_the_same_and_sends_nothing(client, db, world):
    response = client.post("/password/forgot", data={"email": "nobody@example.org"})
    assert response.status_code == 302
    assert db.session.query(OutboxMessage).count() == 0


def test_change_password_logs_out_other_devices(app, client, auth, world):
    owner = world["owner_x"]
    auth.login(owner.email)
    other_device = app.test_client()
    other_device.post("/login", data={"email": owner.email, "password": factories.PASSWORD})
    response = client.post(
        "/account/password",
        data={"current": factories.PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert client.get("/api/v1/me").status_code == 200
    assert other_device.get("/api/v1/me").status_code == 401


def test_change_password_needs_the_current_one(client, auth, world):
    auth.login(world["owner_x"].email)
    page = client.post(
        "/account/password",
        data={"current": "not it at all", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert "That is not your current password." in page.get_data(as_text=True)
