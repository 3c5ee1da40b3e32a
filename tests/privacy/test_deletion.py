"""Deleting an organisation removes every row of it and nothing of any other organisation."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from orgwell.audit.models import AuditEvent
from orgwell.auth.models import User, UserSession
from orgwell.extensions import db
from orgwell.orgs.models import Organisation
from orgwell.privacy import erasure
from orgwell.privacy.scope import count_org_rows, org_links
from tests import factories


def _counts(org_id: int) -> dict[str, int]:
    return {name: count_org_rows(org_id, name) for name in org_links()}


def _totals() -> dict[str, int]:
    return {
        t.name: db.session.scalar(select(func.count()).select_from(t))
        for t in db.metadata.sorted_tables
    }


def _delete(client, slug: str, typed: str):
    return client.post(f"/o/{slug}/privacy/delete", data={"confirm": typed})


def _erase_one_in_each(filled) -> None:
    erasure.erase_member(filled["zebedee"])
    leaver = filled["people_y"][-1][0]
    leaver.status, leaver.left_on = "left", date(2025, 7, 1)
    erasure.erase_member(leaver)
    db.session.commit()


def test_deleting_removes_every_row_of_x_and_nothing_of_y(filled, client, auth):
    _erase_one_in_each(filled)
    x, y = filled["org_x"].id, filled["org_y"].id
    before_x, before_y = _counts(x), _counts(y)
    assert all(before_x.values()), {k: v for k, v in before_x.items() if not v}
    assert all(before_y.values()), {k: v for k, v in before_y.items() if not v}
    owner_y_sessions = db.session.scalar(select(func.count()).select_from(UserSession).where(
        UserSession.user_id == filled["people_y"][0][0].user_id))
    auth.login(filled["owner_x"].email)
    response = _delete(client, "riverside", " Riverside ")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Organisation, x) is None
    assert set(_counts(x).values()) == {0}
    assert _counts(y) == before_y
    assert db.session.scalar(select(func.count()).select_from(UserSession).where(
        UserSession.user_id == filled["people_y"][0][0].user_id)) == owner_y_sessions
    # The site log keeps the fact, with no personal data.
    event = db.session.scalar(select(AuditEvent).filter_by(action="organisation_deleted"))
    assert event.organisation_id is None
    assert event.details["slug"] == "riverside"


def test_people_who_belonged_only_to_x_are_deleted_and_logged_out(filled, client, auth):
    staff_id = filled["staff_a"].id
    shared = factories.MembershipFactory(organisation=filled["org_y"])
    factories.MembershipFactory(organisation=filled["org_x"], user=shared.user)
    shared_id, consultant_id = shared.user_id, filled["consultant_x"].id
    owner_id, zebedee_id = filled["owner_x"].id, filled["zebedee"].user_id
    db.session.commit()
    auth.login(filled["owner_x"].email)
    _delete(client, "riverside", "riverside")
    db.session.expire_all()
    assert db.session.get(User, staff_id) is None
    assert db.session.get(User, zebedee_id) is None
    assert db.session.get(User, shared_id) is not None
    assert db.session.get(User, consultant_id) is not None
    # The owner's own login ended too: the next page asks them to log in.
    assert db.session.scalar(select(func.count()).select_from(UserSession)
                             .filter_by(user_id=owner_id)) == 0
    assert client.get("/o/harbor/").status_code == 302


def test_a_wrong_confirmation_changes_nothing(filled, client, auth):
    auth.login(filled["owner_x"].email)
    before = _totals()
    for typed in ("", "harbor", "riverside-x", "Riverside PT"):
        response = _delete(client, "riverside", typed)
        assert response.status_code == 200
        assert "Nothing was deleted" in response.get_data(as_text=True) or typed == ""
    db.session.expire_all()
    assert _totals() == before


def test_only_the_owner_may_delete(filled, client, auth):
    x = filled["org_x"].id
    before = _counts(x)
    for persona in ("leader_a", "staff_a", "consultant_x"):
        auth.login(filled[persona].email)
        assert _delete(client, "riverside", "riverside").status_code == 403
        auth.logout()
    auth.login(filled["owner_y"].email)
    assert _delete(client, "riverside", "riverside").status_code == 404
    db.session.expire_all()
    assert _counts(x) == before
