"""Public sign-up: off by default; when on, the address is proven through a mailed link."""
from __future__ import annotations

from sqlalchemy import func, select

from orgwell.auth.models import User
from orgwell.notifications.models import OutboxMessage
from tests import factories


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_signup_is_not_found_when_off(client):
    assert client.get("/signup").status_code == 404
    assert client.post("/signup", data={"name": "A", "email": "a@b.example"}).status_code == 404


def test_signup_creates_an_org_creator_and_mails_a_link(app, client, db):
    app.config["PUBLIC_SIGNUP"] = True
    assert client.get("/signup").status_code == 200
    response = client.post("/signup", data={"name": "Pat Lee", "email": " Pat@Clinic.example "})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    user = db.session.scalar(select(User).filter_by(email="pat@clinic.example"))
    assert user.can_create_organisations and not user.has_password and not user.is_site_admin
    mails = db.session.scalars(select(OutboxMessage)).all()
    assert [m.to_addr for m in mails] == ["pat@clinic.example"]
    assert "/invite/" in mails[0].text_body


def test_signup_with_a_known_address_changes_nothing(app, client, db):
    app.config["PUBLIC_SIGNUP"] = True
    known = factories.UserFactory(email="known@clinic.example")
    response = client.post("/signup", data={"name": "Someone", "email": known.email})
    assert response.status_code == 302  # the same answer: no hint that the account exists
    assert _count(db, User) == 1
    assert _count(db, OutboxMessage) == 0


def test_signup_with_bad_input_re_renders(app, client, db):
    app.config["PUBLIC_SIGNUP"] = True
    response = client.post("/signup", data={"name": "", "email": "not-an-email"})
    assert response.status_code == 200
    assert "is-invalid" in response.get_data(as_text=True)
    assert _count(db, User) == 0


def test_signup_link_shows_only_when_on(app, client):
    assert 'href="/signup"' not in client.get("/login").get_data(as_text=True)
    app.config["PUBLIC_SIGNUP"] = True
    assert 'href="/signup"' in client.get("/login").get_data(as_text=True)
