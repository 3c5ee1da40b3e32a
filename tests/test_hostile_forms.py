"""Every form, posted with hostile values: never a 5xx, and nothing stored that should not be.

The routes come from `app.url_map` (every rule accepting POST), so a new form is covered the
day it is added. Each is posted by a user its access rule lets in, with URL arguments naming
real objects of organisation X (Riverside). The field names come from the page that holds the
form (GET on the same URL) or, for POST-only routes, from every form seen on the other pages.
Each field then gets over-long text, NUL and control characters, non-UTF-8 bytes, markup and
SQL fragments, numbers where text is expected and text where numbers are, huge and negative
integers, ids of organisation Y's objects, duplicated values, and nothing at all.

Checked after every post: the status is below 500; when the post was refused (a 4xx, or
the form re-rendered with its errors) no write reached the database (the engine's committed
INSERT/UPDATE/DELETE statements are watched); and after each route, organisation Y's rows
(a hash of every table with an organisation_id, and its users) are unchanged.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections import Counter
from html.parser import HTMLParser
from io import BytesIO

import pytest
from sqlalchemy import event, select
from werkzeug.datastructures import MultiDict

from orgwell import access
from orgwell.access import EXEMPT_ENDPOINTS, rule_for_endpoint
from orgwell.auth.models import User
from orgwell.extensions import db
from orgwell.metrics import actions
from orgwell.orgs import imports
from orgwell.orgs.models import ConsultantGrant
from orgwell.programs.models import Assignment
from orgwell.surveys import campaigns
from tests import factories
from tests.programs.learning_fixtures import clock, enrolled, prehab  # noqa: F401
from tests.surveys.conftest import settings as campaign_settings
from tests.surveys.conftest import top_up_audience

PARTS = 3  # the route walk is split so that pytest-xdist can run the parts in parallel
GOOD_CSV = b"name,email,team\nAda Hostile,ada.hostile@example.org,South PT\n"

# Routes whose effect is the point of posting at all; still posted (no 5xx, organisation Y
# untouched), each time in a throwaway client.
SIDE_EFFECT_BY_DESIGN = {
    "auth.logout": "ends the session whatever the form holds",
}
# Tables that a logged-in request touches by design, whatever a form held.
VOLATILE_TABLES = {"user_sessions", "worker_heartbeats"}


def _hostile_values(rng: random.Random, foreign_ids: list[int]) -> list[str]:
    control = "".join(chr(c) for c in range(1, 32)) + "\x7f\x85"
    return [
        "x" * 10_000,
        control,  # NUL apart: security.py refuses a whole request holding one (see _posts)
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        '"; DROP TABLE users; --',
        "-1",
        "0",
        "99999999999999999999999999",
        "1e308",
        "NaN",
        "3.5",
        "yes",
        "2026-02-30",
        "../../etc/passwd",
        "=cmd|' /C calc'!A0",
        "\u202e\ufeff\ud7ff",
        *(str(i) for i in foreign_ids),
        "".join(chr(rng.randrange(32, 0x2FFF)) for _ in range(rng.randrange(1, 300))),
    ]


class _Forms(HTMLParser):
    """Names of the fields of the POST forms in a page, and which of them are files."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self._in_post = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._in_post = (attrs.get("method") or "get").lower() == "post"
        elif tag in ("input", "select", "textarea", "button") and self._in_post:
            name = attrs.get("name")
            if name and name != "csrf_token":
                self.fields.setdefault(name, attrs.get("type") or tag)

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_post = False


def _fields_of(html: str) -> dict[str, str]:
    parser = _Forms()
    parser.feed(html)
    return parser.fields


def _digest(rows) -> str:
    return hashlib.sha256(repr(rows).encode()).hexdigest()


def _table_rows(table, where=None):
    query = select(table)
    if where is not None:
        query = query.where(where)
    return [tuple(row) for row in db.session.execute(query.order_by(*table.primary_key))]


class Writes:
    """The write statements committed to the database (volatile tables aside).

    Cheaper than hashing every table around each of thousands of posts, and stricter: an
    UPDATE that sets a row to its own values counts too.
    """

    _WRITE = re.compile(r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.I)

    def __init__(self, engine):
        self.pending: list[str] = []
        self.committed: list[str] = []
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)
        event.listen(engine, "rollback", self._rollback)

    def _statement(self, conn, cursor, statement, parameters, context, executemany):
        match = self._WRITE.match(statement)
        if match and match.group(2) not in VOLATILE_TABLES:
            self.pending.append(f"{match.group(1).split()[0]} {match.group(2)}")

    def _commit(self, conn):
        self.committed += self.pending
        self.pending = []

    def _rollback(self, conn):
        self.pending = []

    def take(self) -> list[str]:
        taken, self.committed, self.pending = self.committed, [], []
        return taken


def snapshot_org(org_id: int) -> str:
    """Organisation Y's own rows: every table with an organisation_id, its users included."""
    db.session.expire_all()
    parts = []
    for table in db.metadata.sorted_tables:
        if table.name == "organisations":
            parts.append(_table_rows(table, table.c.id == org_id))
        elif "organisation_id" in table.c and table.name not in VOLATILE_TABLES:
            parts.append(_table_rows(table, table.c.organisation_id == org_id))
    users = db.session.scalars(
        select(User).where(User.memberships.any(organisation_id=org_id)).order_by(User.id)
    )
    parts.append([(u.id, u.email, u.name, u.password_hash, u.is_active) for u in users])
    return _digest(parts)


PERSONA_FOR_RULE = {
    access.ANONYMOUS: None,
    access.ANY_USER: "staff_a",
    access.SITE_ADMIN: "admin",
    access.ORG_CREATOR: "admin",
    access.MEMBER: "staff_a",
    access.MEMBER_OR_CONSULTANT: "staff_a",
    access.LEADER: "owner_x",
    access.LEADER_OR_CONSULTANT: "owner_x",
    access.OWNER: "owner_x",
    access.OWNER_OR_CONSULTANT: "owner_x",
    access.CONSULTANT: "consultant_x",
}


@pytest.fixture
def targets(world, enrolled):  # noqa: F811
    """URL arguments naming real objects of Riverside, and ids of Harbor's objects."""
    org_x = world["org_x"]
    victim = factories.MembershipFactory(organisation=org_x, teams=[world["team_b"]])
    action = actions.create_action(
        org_x,
        world["team_b"],
        actions.Plan(title="Lunch breaks", owner_text="Lead", due_on=None),
        notify=False,
    )
    job, _ = imports.prepare_import(org_x, "staff.csv", GOOD_CSV)
    chosen = campaign_settings()
    top_up_audience(org_x, chosen)
    campaign = campaigns.create_campaign(org_x, chosen, created_by=world["owner_x"])
    harbor_member = factories.MembershipFactory(
        organisation=world["org_y"], teams=[world["team_y"]]
    )
    db.session.commit()
    staff_assignment = db.session.scalar(
        select(Assignment)
        .where(Assignment.membership_id == world["staff_a"].memberships[0].id)
        .order_by(Assignment.id)
    )
    cohort = enrolled.cohort
    enrollment = enrolled.enrolled[-1]
    program = cohort.program
    # Admin routes name consultant Y and a grant of theirs on Riverside, made for the test.
    grant = ConsultantGrant(consultant_id=world["consultant_y"].id, organisation_id=org_x.id)
    db.session.add(grant)
    db.session.commit()
    modules = cohort.version.modules
    args = {
        "slug": org_x.slug,
        "team_id": world["team_b"].id,
        "membership_id": victim.id,
        "user_id": world["consultant_y"].id,
        "grant_id": grant.id,
        "job_id": job.id,
        "assignment_id": staff_assignment.id,
        "key": "burnout-prehab",
        "kind": "reflection",
        "program_id": program.id,
        "module_id": modules[0].id,
        "direction": "down",
        "cohort_id": cohort.id,
        "enrollment_id": enrollment.id,
        "action_id": action.id,
        "campaign_id": campaign.id,
        "invitation_id": 1,
        "token": "not-a-real-token",
    }
    foreign = [world["team_y"].id, harbor_member.id, harbor_member.user_id, world["org_y"].id]
    return args, foreign


def _post_routes(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "POST" in rule.methods and rule.endpoint not in EXEMPT_ENDPOINTS:
            yield rule


def _url(rule, args) -> str:
    url = rule.rule
    for name in rule.arguments:
        url = re.sub(rf"<(?:[a-z]+:)?{name}>", str(args[name]), url)
    return url


def _client(app, world, persona):
    client = app.test_client()
    if persona is not None:
        client.post("/login", data={"email": world[persona].email, "password": factories.PASSWORD})
    return client


def _posts(fields: dict[str, str], values: list[str]):
    """(description, kwargs for client.post) for each hostile post of these fields.

    Post k gives field j the value k + j (round the list), so that every field meets every
    value while the number of posts stays the number of values.
    """
    names = list(fields) or ["name"]

    def add(data, name, value):
        if fields.get(name) == "file":
            data.add(name, (BytesIO(value.encode("utf-8", "surrogatepass")), "x.csv"))
        else:
            data.add(name, value)

    for k in range(len(values)):
        data = MultiDict()
        for j, name in enumerate(names):
            add(data, name, values[(k + j) % len(values)])
        yield f"values from {values[k][:20]!r} on", {"data": data}
    yield "NUL in every field", {"data": MultiDict([(n, "a\x00b") for n in names])}
    yield "no fields", {"data": {}}
    duplicated = MultiDict()
    for name in names:
        for value in ("1", "<b>two</b>", ""):
            add(duplicated, name, value)
    yield "every field twice", {"data": duplicated}
    raw = "&".join(f"{n}=%FF%FE%00%C3%28" for n in names).encode()
    yield (
        "non-UTF-8 percent-encoding",
        {"data": raw, "content_type": "application/x-www-form-urlencoded"},
    )


def _refused(response) -> bool:
    if 400 <= response.status_code < 500:
        return True
    # A POST answered with the page again shows its errors; a 200 download was accepted.
    return response.status_code == 200 and response.mimetype == "text/html"


@pytest.mark.parametrize("part", range(PARTS))
def test_every_form_survives_hostile_values(app, world, targets, part):
    """Routes part, part + PARTS, ...: the parts run side by side under xdist."""
    args, foreign = targets
    rng = random.Random(20261127)
    values = _hostile_values(rng, foreign)
    rules = list(_post_routes(app))
    assert len(rules) >= 50

    pages: dict[str, dict[str, str]] = {}
    seen_fields: dict[str, str] = {}
    clients: dict[str | None, object] = {}
    for rule in rules:
        persona = PERSONA_FOR_RULE[rule_for_endpoint(app, rule.endpoint)]
        client = clients.setdefault(persona, _client(app, world, persona))
        if "GET" in rule.methods:
            page = client.get(_url(rule, args))
            page.close()
            assert page.status_code < 500, rule.rule
            pages[rule.endpoint] = _fields_of(page.get_data(as_text=True))
            seen_fields.update(pages[rule.endpoint])
    assert len(seen_fields) >= 20, seen_fields

    harbor = snapshot_org(world["org_y"].id)
    writes = Writes(db.engine)
    outcomes: Counter[str] = Counter()
    problems = []
    posted = 0
    for rule in rules[part::PARTS]:
        persona = PERSONA_FOR_RULE[rule_for_endpoint(app, rule.endpoint)]
        url = _url(rule, args)
        fields = pages.get(rule.endpoint) or seen_fields
        by_design = rule.endpoint in SIDE_EFFECT_BY_DESIGN
        for description, kwargs in _posts(fields, values):
            client = _client(app, world, persona) if by_design else clients[persona]
            writes.take()
            where = f"POST {url} as {persona}, {description}"
            posted += 1
            try:
                response = client.post(url, **kwargs)
                response.get_data()
                response.close()  # a streamed download holds its context until closed
            except Exception as error:  # the test app propagates what would be a 500
                problems.append(f"{where}: {type(error).__name__}: {error}"[:300])
                db.session.rollback()
                continue
            if response.status_code >= 500:
                problems.append(f"{where}: {response.status_code}")
                continue
            stored = writes.take()
            outcomes[f"{response.status_code}{' stored' if stored else ''}"] += 1
            if not by_design and _refused(response) and stored:
                problems.append(f"{where}: refused ({response.status_code}) but stored {stored}")
        # A site admin manages every organisation: granting Harbor is their right.
        if not rule.rule.startswith("/admin/") and snapshot_org(world["org_y"].id) != harbor:
            problems.append(f"POST {url}: changed Harbor's rows")
        harbor = snapshot_org(world["org_y"].id)
    print(f"hostile forms, part {part}: {posted} posts, {dict(outcomes)}")
    stored = sum(n for outcome, n in outcomes.items() if outcome.endswith("stored"))
    assert stored > 0, "the write check sees nothing: it would miss a store"
    assert problems == [], "\n".join(problems[:40])


def test_a_json_body_is_never_read_as_form_data(app, world, targets):
    args, _ = targets
    for rule in _post_routes(app):
        persona = PERSONA_FOR_RULE[rule_for_endpoint(app, rule.endpoint)]
        client = _client(app, world, persona)
        response = client.post(
            _url(rule, args),
            data=b'{"email": [1, {"$gt": ""}], "name": 7, "title": [null]}',
            content_type="application/json",
        )
        response.close()
        assert response.status_code < 500, rule.rule
