"""tests/compile_once.py: shared URL builders and templates give what per-app compiling gives."""
from __future__ import annotations

from werkzeug.routing import Map, Rule

from orgwell import create_app


def test_a_shared_builder_uses_each_rules_own_converters_and_defaults():
    first = Map([Rule("/teams/<int:team_id>", endpoint="team"),
                 Rule("/page/<int:n>", endpoint="page", defaults={"n": 1})])
    second = Map([Rule("/teams/<int(fixed_digits=4):team_id>", endpoint="team"),
                  Rule("/page/<int:n>", endpoint="page", defaults={"n": 2})])
    one, two = first.bind("example.org"), second.bind("example.org")

    assert one.build("team", {"team_id": 7}) == "/teams/7"
    assert two.build("team", {"team_id": 7}) == "/teams/0007"
    assert one.build("page", {}) == "/page/1"
    assert two.build("page", {}) == "/page/2"


def test_apps_render_and_route_as_before(tmp_path):
    """Two apps of different mount points: each page's links carry its own prefix."""
    pages = []
    for prefix in ("", "/orgwell"):
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/t.sqlite",
                          "APPLICATION_ROOT": prefix or "/"})
        response = app.test_client().get("/login", environ_overrides={"SCRIPT_NAME": prefix})
        pages.append(response.get_data(as_text=True))
    assert 'href="/password/forgot"' in pages[0]
    assert 'href="/orgwell/password/forgot"' in pages[1]
    assert 'href="/orgwell/password/forgot"' not in pages[0]
