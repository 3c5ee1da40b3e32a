"""Site admin pages: overview, organisations, invitations, consultant grants, (de)activation."""
from __future__ import annotations

from sqlalchemy import func, select

from orgwell.audit.models import AuditEvent
from orgwell.auth.models import User, UserSession
from orgwell.notifications.models import OutboxMessage
from orgwell.orgs.models import ConsultantGrant
from tests import factories


def _count(db, model, **filters) -> int:
    return db.session.scalar(select(func.count()).select_from(model).filter_by(**filters))


def _actions(db) -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_only_site_admins_get_in(client, auth, world):
    auth.login(world["owner_x"].email)
    assert client.get("/admin/").status_code == 403


def test_overview_counts(client, auth, world):
    auth.login(world["admin"].email)
    page = client.get("/admin/").get_data(as_text=True)
    assert "Pending invitations" in page and "Organisations" in page


def test_organisations_list_owners_and_staff(client, auth, world):
    auth.login(world["admin"].email)
    page = client.get("/admin/organisations").get_data(as_text=True)
    assert "Riverside" in page and "/o/harbor" in page
    assert world["owner_x"].name in page
    # Riverside: owner, leader and two staff are active members.
    assert '<td class="text-end">4</td>' in page


def test_invite_owner_creates_an_account_and_queues_one_mail(client, auth, world, db):
    auth.login(world["admin"].email)
    response = client.post(
        "/admin/owners/invite", data={"name": "Olive Owner", "email": "Olive@Clinic.example"}
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User).filter_by(email="olive@clinic.example"))
    assert user.can_create_organisations and not user.has_password
    mails = db.session.scalars(select(OutboxMessage)).all()
    assert [m.to_addr for m in mails] == ["olive@clinic.example"]
    assert "owner_invited" in _actions(db)
    page = client.get("/admin/").get_data(as_text=True)
    assert "Olive Owner" in page and "Invited" in page


def test_invite_owner_bad_input_changes_nothing(client, auth, world, db):
    auth.login(world["admin"].email)
    users = _count(db, User)
    for data in (
        {"name": "", "email": "x@clinic.example"},
        {"name": "X", "email": "not an email"},
        {"name": "Dup", "email": world["owner_x"].email.upper()},
    ):
        response = client.post("/admin/owners/invite", data=data)
        assert response.status_code == 200
        assert "is-invalid" in response.get_data(as_text=True)
    assert "already exists" in response.get_data(as_text=True)
    assert _count(db, User) == users
    assert _count(db, OutboxMessage) == 0


def test_invite_consultant_with_clients(client, auth, world, db):
    auth.login(world["admin"].email)
    response = client.post(
        "/admin/consultants/invite",
        data={"name": "Casey", "email": "casey@firm.example", "firm": "Firm & Co",
              "organisations": [str(world["org_x"].id), str(world["org_y"].id)]},
    )
    assert response.status_code == 302
    casey = db.session.scalar(select(User).filter_by(email="casey@firm.example"))
    assert casey.consulting_firm == "Firm & Co" and not casey.can_create_organisations
    assert _count(db, ConsultantGrant, consultant_id=casey.id, revoked_at=None) == 2
    assert _count(db, OutboxMessage, to_addr="casey@firm.example") == 1
    page = client.get("/admin/consultants").get_data(as_text=True)
    assert "Casey" in page and "Firm &amp; Co" in page


def test_invite_consultant_needs_a_firm(client, auth, world, db):
    auth.login(world["admin"].email)
    response = client.post("/admin/consultants/invite",
                           data={"name": "Casey", "email": "casey@firm.example", "firm": ""})
    assert response.status_code == 200
    assert _count(db, User, email="casey@firm.example") == 0


def test_grant_revoke_and_grant_again(client, auth, world, db):
    consultant, org_y = world["consultant_x"], world["org_y"]
    auth.login(world["admin"].email)
    url = f"/admin/consultants/{consultant.id}/grants"
    assert client.post(url, data={"organisation": org_y.id}).status_code == 302
    grant = db.session.scalar(
        select(ConsultantGrant).filter_by(consultant_id=consultant.id, organisation_id=org_y.id)
    )
    assert grant.revoked_at is None and grant.granted_by_id == world["admin"].id

    again = client.post(url, data={"organisation": org_y.id})
    assert again.status_code == 400
    assert "already has access" in again.get_data(as_text=True)

    revoke = f"/admin/consultants/{consultant.id}/grants/{grant.id}/revoke"
    assert client.post(revoke).status_code == 302
    db.session.refresh(grant)
    assert grant.revoked_at is not None
    assert client.post(url, data={"organisation": org_y.id}).status_code == 302
    db.session.refresh(grant)
    assert grant.revoked_at is None
    assert _actions(db).count("consultant_granted") == 2
    assert "consultant_revoked" in _actions(db)


def test_grant_with_bad_input_changes_nothing(client, auth, world, db):
    consultant = world["consultant_x"]
    auth.login(world["admin"].email)
    grants = _count(db, ConsultantGrant)
    response = client.post(f"/admin/consultants/{consultant.id}/grants",
                           data={"organisation": "99999"})
    assert response.status_code == 400
    assert "is-invalid" in response.get_data(as_text=True)
    # Only consultants can be granted access.
    staff = world["staff_a"]
    assert client.post(f"/admin/consultants/{staff.id}/grants",
                       data={"organisation": world["org_y"].id}).status_code == 404
    assert _count(db, ConsultantGrant) == grants


def test_revoke_checks_that_the_grant_belongs_to_the_consultant(client, auth, world, db):
    grant = db.session.scalar(select(ConsultantGrant).filter_by(
        consultant_id=world["consultant_y"].id))
    auth.login(world["admin"].email)
    url = f"/admin/consultants/{world['consultant_x'].id}/grants/{grant.id}/revoke"
    assert client.post(url).status_code == 404
    db.session.refresh(grant)
    assert grant.revoked_at is None


def test_deactivate_ends_sessions_and_reactivate(app, client, auth, world, db):
    staff = world["staff_a"]
    staff_client = app.test_client()
    staff_client.post("/login", data={"email": staff.email, "password": factories.PASSWORD})
    assert staff_client.get("/my/riverside").status_code == 200
    assert _count(db, UserSession, user_id=staff.id) == 1

    auth.login(world["admin"].email)
    assert client.post(f"/admin/users/{staff.id}/deactivate").status_code == 302
    db.session.refresh(staff)
    assert staff.active is False
    assert _count(db, UserSession, user_id=staff.id) == 0
    assert staff_client.get("/my/riverside").status_code == 302  # back to the login page
    login = staff_client.post("/login", data={"email": staff.email,
                                              "password": factories.PASSWORD})
    assert login.status_code == 200  # refused

    assert client.post(f"/admin/users/{staff.id}/reactivate").status_code == 302
    db.session.refresh(staff)
    assert staff.active is True
    assert {"user_deactivated", "user_reactivated"} <= set(_actions(db))


def test_admin_cannot_deactivate_themselves(client, auth, world, db):
    admin = world["admin"]
    auth.login(admin.email)
    response = client.post(f"/admin/users/{admin.id}/deactivate", follow_redirects=True)
    assert "cannot deactivate your own account" in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.active


def test_users_search(client, auth, world, db):
    auth.login(world["admin"].email)
    page = client.get("/admin/users", query_string={"q": world["owner_y"].email}).get_data(
        as_text=True
    )
    assert world["owner_y"].email in page
    assert world["owner_x"].email not in page


def test_admin_pages_show_no_survey_data(client, auth, world):
    """The admin manages accounts; nothing on these pages reads answers or results."""
    auth.login(world["admin"].email)
    for url in ("/admin/", "/admin/organisations", "/admin/consultants", "/admin/users"):
        page = client.get(url).get_data(as_text=True).lower()
        assert "score" not in page and "answers:" not in page


def test_resend_invitation_mails_a_fresh_link(client, auth, world, db):
    auth.login(world["admin"].email)
    client.post("/admin/owners/invite", data={"name": "Olive", "email": "olive@clinic.example"})
    olive = db.session.scalar(select(User).filter_by(email="olive@clinic.example"))
    response = client.post(f"/admin/users/{olive.id}/resend-invitation?back=admin.index")
    assert response.headers["Location"] == "/admin/"
    mails = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [m.to_addr for m in mails] == ["olive@clinic.example"] * 2
    assert mails[0].text_body != mails[1].text_body  # a new link
    assert "invitation_resent" in _actions(db)


def test_resend_invitation_refused_once_a_password_is_set(client, auth, world, db):
    auth.login(world["admin"].email)
    response = client.post(f"/admin/users/{world['owner_x'].id}/resend-invitation",
                           follow_redirects=True)
    assert "already chosen a password" in response.get_data(as_text=True)
    assert _count(db, OutboxMessage) == 0
