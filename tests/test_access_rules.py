"""Every route declares an access rule, and every rule holds for every kind of caller.

The matrix below is written out by hand (not derived from orgwell/access.py) so that a
change to the enforcement that lets someone through shows up here. Each route found in
`app.url_map` is requested by each persona, with URL arguments that point at organisation X,
team B and a member of team B, and the answer is compared with the matrix:
"ok" (access granted: the view ran), "login" (redirect to the login page, or 401 for the
API), 403, or 404.
"""
from __future__ import annotations

import re

import pytest

from orgwell import access
from orgwell.access import EXEMPT_ENDPOINTS, rule_for_endpoint

PERSONAS = [
    "anonymous",
    "staff_a",
    "leader_a",  # leads clinic A; the URLs name team B and a member of team B
    "owner_x",
    "owner_y",  # owner of Y asking about X
    "consultant_x",
    "consultant_y",  # consultant not granted X
    "admin",
]

# rule -> persona -> expected outcome when the URL names org X / team B / a member of team B
MATRIX = {
    access.ANONYMOUS: dict.fromkeys(PERSONAS, "ok"),
    access.ANY_USER: {**dict.fromkeys(PERSONAS, "ok"), "anonymous": "login"},
    access.SITE_ADMIN: {**dict.fromkeys(PERSONAS, 403), "anonymous": "login", "admin": "ok"},
    access.ORG_CREATOR: {**dict.fromkeys(PERSONAS, 403), "anonymous": "login", "admin": "ok"},
}
_ORG_BASE = {
    "anonymous": "login",
    "owner_y": 404,
    "consultant_y": 404,
    "admin": 404,
}
MATRIX[access.MEMBER] = {
    **_ORG_BASE, "staff_a": "ok", "leader_a": "ok", "owner_x": "ok", "consultant_x": 403,
}
MATRIX[access.MEMBER_OR_CONSULTANT] = {**MATRIX[access.MEMBER], "consultant_x": "ok"}
MATRIX[access.LEADER] = {
    **_ORG_BASE, "staff_a": 403, "leader_a": "ok", "owner_x": "ok", "consultant_x": 403,
}
MATRIX[access.LEADER_OR_CONSULTANT] = {**MATRIX[access.LEADER], "consultant_x": "ok"}
MATRIX[access.OWNER] = {
    **_ORG_BASE, "staff_a": 403, "leader_a": 403, "owner_x": "ok", "consultant_x": 403,
}
MATRIX[access.OWNER_OR_CONSULTANT] = {**MATRIX[access.OWNER], "consultant_x": "ok"}
MATRIX[access.CONSULTANT] = {
    **_ORG_BASE, "staff_a": 403, "leader_a": 403, "owner_x": 403, "consultant_x": "ok",
}


def _expected(rule, persona: str, url_rule) -> object:
    outcome = MATRIX[rule][persona]
    scoped = {"team_id", "membership_id"} & set(url_rule.arguments)
    # A leader asking about a team outside their clinic does not learn that it exists.
    if persona == "leader_a" and scoped and outcome == "ok":
        return 404
    return outcome


def test_every_route_declares_a_rule(app):
    missing = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in EXEMPT_ENDPOINTS and rule_for_endpoint(app, rule.endpoint) is None
    ]
    assert missing == [], f"routes without @allow(...): {missing}"


def test_every_rule_used_is_in_the_matrix(app):
    used = {
        rule_for_endpoint(app, r.endpoint)
        for r in app.url_map.iter_rules()
        if r.endpoint not in EXEMPT_ENDPOINTS
    }
    assert used <= set(MATRIX), f"rules missing from the matrix: {used - set(MATRIX)}"


def test_undeclared_route_is_denied(app, client):
    """Deny by default: a view without a rule answers 404 even to anonymous callers."""
    app.add_url_rule("/no-rule-here", "no_rule", lambda: "secret")
    assert client.get("/no-rule-here").status_code == 404


def _url_args(world, url_rule) -> dict:
    values = {
        "slug": world["org_x"].slug,
        "team_id": world["team_b"].id,
        "membership_id": world["staff_b"].memberships[0].id,
    }
    args = {}
    for name in url_rule.arguments:
        args[name] = values.get(name, 1 if url_rule._converters[name].regex == r"\d+" else "x")
    return args


def _build(url_rule, args) -> str:
    url = url_rule.rule
    for name, value in args.items():
        url = re.sub(rf"<(?:[a-z]+:)?{name}>", str(value), url)
    return url


def _outcome(response) -> object:
    if response.status_code == 401:
        return "login"
    if response.status_code in (301, 302, 303) and "/login?next=" in response.headers["Location"]:
        return "login"
    if response.status_code in (403, 404):
        return response.status_code
    return "ok"


def _routes(app):
    for url_rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if url_rule.endpoint in EXEMPT_ENDPOINTS:
            continue
        for method in sorted(url_rule.methods - {"HEAD", "OPTIONS"}):
            yield url_rule, method


@pytest.mark.parametrize("persona", PERSONAS)
def test_access_matrix(app, world, persona):
    mismatches = []
    for url_rule, method in _routes(app):
        rule = rule_for_endpoint(app, url_rule.endpoint)
        expected = _expected(rule, persona, url_rule)
        client = app.test_client()
        if persona != "anonymous":
            client.post("/login", data={"email": world[persona].email,
                                        "password": "correct horse battery"})
        url = _build(url_rule, _url_args(world, url_rule))
        response = client.open(url, method=method)
        got = _outcome(response)
        # /healthz answers 503 here by design: no worker runs beside this test.
        if not (url_rule.endpoint == "health.healthz" and response.status_code == 503):
            assert response.status_code < 500, f"{method} {url} as {persona}: 5xx"
        # A view may itself answer 404 for an object the URL invents (e.g. id 1): only an
        # "ok" expectation tolerates that, and only if access let the request through.
        if got != expected and not (expected == "ok" and got == 404 and _view_404(response)):
            mismatches.append(f"{method} {url} ({rule.name}): expected {expected}, got {got}")
    assert mismatches == []


def _view_404(response) -> bool:
    """True when a 404 came from the view itself, not from the access hook."""
    return response.headers.get("X-OrgWell-Access") == "granted"
