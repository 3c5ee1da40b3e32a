"""The erase page: owners only, a confirmation step, and only for people who have left."""
from __future__ import annotations

from sqlalchemy import func, select

from orgwell.extensions import db
from orgwell.privacy.models import Erasure
from tests.privacy.conftest import NAME


def _erasures() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Erasure))


def test_owner_erases_a_leaver_after_confirming(filled, client, auth):
    member = filled["zebedee"]
    url = f"/o/riverside/privacy/people/{member.id}/erase"
    auth.login(filled["owner_x"].email)
    overview = client.get("/o/riverside/privacy/")
    assert NAME in overview.get_data(as_text=True) and url in overview.get_data(as_text=True)
    page = client.get(url)
    assert page.status_code == 200 and "cannot be undone" in page.get_data(as_text=True)
    unconfirmed = client.post(url, data={})
    assert unconfirmed.status_code == 200
    assert "Tick the box to confirm" in unconfirmed.get_data(as_text=True)
    assert _erasures() == 0
    done = client.post(url, data={"understood": "y"})
    assert done.status_code == 302
    assert _erasures() == 1
    assert NAME not in client.get("/o/riverside/privacy/").get_data(as_text=True)
    again = client.get(url)
    assert "already been erased" in again.get_data(as_text=True)
    assert client.post(url, data={"understood": "y"}).status_code == 200
    assert _erasures() == 1


def test_a_current_member_cannot_be_erased(filled, client, auth):
    member = filled["staff_b"].memberships[0]
    auth.login(filled["owner_x"].email)
    page = client.post(f"/o/riverside/privacy/people/{member.id}/erase",
                       data={"understood": "y"})
    assert "Mark them as a leaver first" in page.get_data(as_text=True)
    assert _erasures() == 0


def test_the_person_page_offers_erasing_a_leaver(filled, client, auth):
    member = filled["zebedee"]
    auth.login(filled["owner_x"].email)
    page = client.get(f"/o/riverside/staff/{member.id}").get_data(as_text=True)
    assert f"/o/riverside/privacy/people/{member.id}/erase" in page


def test_others_cannot_erase(filled, client, auth):
    member = filled["zebedee"]
    url = f"/o/riverside/privacy/people/{member.id}/erase"
    for persona, status in (("leader_a", 403), ("staff_a", 403), ("owner_y", 404)):
        auth.login(filled[persona].email)
        assert client.post(url, data={"understood": "y"}).status_code == status
        auth.logout()
    # A membership of another organisation does not exist under this one.
    auth.login(filled["owner_y"].email)
    foreign = filled["people_y"][0][0]
    foreign.status = "left"
    db.session.commit()
    assert client.post(f"/o/harbor/privacy/people/{member.id}/erase",
                       data={"understood": "y"}).status_code == 404
    assert _erasures() == 0
