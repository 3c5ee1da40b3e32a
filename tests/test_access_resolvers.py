"""Objects named by URL ids are resolved by the access hook: foreign ones do not exist."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from flask import g

from orgwell import access
from orgwell.access import MEMBER, ObjectResolver, allow


@pytest.fixture
def thing_route(app, world, monkeypatch):
    """A route naming a `<thing_id>`: thing 1 belongs to X, thing 2 to Y, thing 3 is
    X's but visible only to staff_a."""
    things = {
        1: SimpleNamespace(organisation_id=world["org_x"].id, owner=None),
        2: SimpleNamespace(organisation_id=world["org_y"].id, owner=None),
        3: SimpleNamespace(organisation_id=world["org_x"].id, owner=world["staff_a"].id),
    }

    def visible(thing):
        return thing.owner is None or thing.owner == g.membership.user_id

    monkeypatch.setitem(
        access.OBJECT_RESOLVERS, "thing_id", ObjectResolver("thing", things.get, visible)
    )

    @allow(MEMBER)
    def show(slug, thing_id):
        return f"thing {thing_id} of org {g.thing.organisation_id}"

    app.add_url_rule("/o/<slug>/things/<int:thing_id>", "thing", show)
    return things


def _get(app, world, persona, url):
    client = app.test_client()
    client.post("/login", data={"email": world[persona].email,
                                "password": "correct horse battery"})
    return client.get(url)


def test_own_organisation_object_reaches_the_view(app, world, thing_route):
    response = _get(app, world, "staff_b", "/o/riverside/things/1")
    assert response.status_code == 200
    assert response.text == f"thing 1 of org {world['org_x'].id}"


def test_another_organisations_object_is_refused_by_the_hook(app, world, thing_route):
    response = _get(app, world, "staff_b", "/o/riverside/things/2")
    assert response.status_code == 404
    assert "X-OrgWell-Access" not in response.headers


def test_visible_narrows_to_the_owner(app, world, thing_route):
    assert _get(app, world, "staff_a", "/o/riverside/things/3").status_code == 200
    refused = _get(app, world, "staff_b", "/o/riverside/things/3")
    assert refused.status_code == 404
    assert "X-OrgWell-Access" not in refused.headers


def test_missing_object_is_the_views_own_not_found(app, world, thing_route):
    response = _get(app, world, "staff_b", "/o/riverside/things/99")
    assert response.status_code == 404
    assert response.headers["X-OrgWell-Access"] == "granted"
