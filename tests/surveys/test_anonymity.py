"""After anonymous responses, nothing in the database links a response to a person.

Thirty people answer one anonymous wave through their links, one after the other, each with
a distinct answer pattern (so each stored response tells us its place in the submission
order). Then every column of the response tables is walked: no person, membership,
invitation or user id, no time of day, no token, name or address; and neither the physical
row order nor the primary-key order follows the order of submission.
"""
from __future__ import annotations

import json
from itertools import product

import pytest
from sqlalchemy import Date, DateTime, Time, func, inspect, select, text

from orgwell.audit.models import AuditEvent
from orgwell.auth.models import User
from orgwell.extensions import db
from orgwell.notifications.models import OutboxMessage
from orgwell.orgs.models import Membership
from orgwell.surveys.models import Invitation, Response, ResponseScore
from tests.surveys.respond_fixtures import WORK_ITEMS, form_data, linked_wave, membership_of

PEOPLE = 30
RESPONSE_TABLES = (Response.__table__, ResponseScore.__table__)
# Where a response may point: the wave, the frozen team, the organisation, its own scores.
ALLOWED_LINKS = {"survey_waves", "teams", "organisations", "survey_responses"}
VALUES = (0, 25, 50, 75, 100)


def pattern(n: int) -> dict[str, int]:
    """A distinct answer set for respondent n (n in base 5 over the first items)."""
    digits = list(product(range(5), repeat=3))[n]
    answers = dict.fromkeys(WORK_ITEMS, 50)
    answers.update({key: VALUES[d] for key, d in zip(WORK_ITEMS[:3], digits, strict=True)})
    return answers


def place(answers: dict) -> int:
    return list(product(range(5), repeat=3)).index(
        tuple(VALUES.index(int(answers[key])) for key in WORK_ITEMS[:3])
    )


@pytest.fixture
def answered(app, world, make_campaign, make_people, fan_out, client):
    app.config["SURVEY_RATE_LIMIT"] = "1000 per minute"
    make_people(world["org_x"], world["team_a"], PEOPLE - 4)  # and the world's four members
    wave, tokens = linked_wave(make_campaign, fan_out, world["org_x"])
    assert len(tokens) == PEOPLE
    audit_before = db.session.scalar(select(func.count(AuditEvent.id)))
    outbox_before = db.session.scalar(select(func.count(OutboxMessage.id)))
    # Submit in membership order, so that any leak of that order would show.
    for n, (_, token) in enumerate(sorted(tokens.items())):
        assert client.post(f"/s/{token}", data=form_data(pattern(n))).status_code == 200
    db.session.expire_all()
    return {
        "wave": wave,
        "tokens": tokens,
        "audit_added": db.session.scalar(select(func.count(AuditEvent.id))) - audit_before,
        "outbox_added": db.session.scalar(select(func.count(OutboxMessage.id))) - outbox_before,
    }


def test_every_response_was_stored(answered):
    assert db.session.scalar(select(func.count()).select_from(Response)) == PEOPLE
    places = sorted(place(r.answers) for r in db.session.scalars(select(Response)))
    assert places == list(range(PEOPLE))


def test_no_column_can_hold_a_person_or_a_time(answered):
    for table in RESPONSE_TABLES:
        for column in table.columns:
            name = column.name.lower()
            assert not any(word in name for word in ("user", "invitation", "token", "email")), (
                f"{table.name}.{column.name}"
            )
            assert not isinstance(column.type, DateTime | Time), f"{table.name}.{column.name}"
            if isinstance(column.type, Date):
                assert name == "submitted_on"
            for fk in column.foreign_keys:
                target = fk.column.table.name
                if target not in ALLOWED_LINKS:
                    # Only the confidential-mode link may exist, and it must be empty here.
                    assert (table.name, column.name, target) == (
                        "survey_responses", "membership_id", "memberships"
                    )
                    assert db.session.scalar(
                        select(func.count()).select_from(table).where(column.is_not(None))
                    ) == 0


def test_no_stored_value_names_a_person_or_a_link(answered):
    people = db.session.scalars(select(Membership)).all()
    users = db.session.scalars(select(User)).all()
    invitations = db.session.scalars(select(Invitation)).all()
    secrets = (
        {u.email.lower() for u in users}
        | {u.name.lower() for u in users}
        | set(answered["tokens"].values())
        | {i.token_hash for i in invitations if i.token_hash}
    )
    for table in RESPONSE_TABLES:
        columns = [c.name for c in table.columns]
        for row in db.session.execute(text(f"SELECT * FROM {table.name}")):  # noqa: S608
            for column, value in zip(columns, row, strict=True):
                blob = str(value).lower()
                for secret in secrets:
                    assert secret.lower() not in blob, f"{table.name}.{column}"
                if column.endswith("_on"):
                    assert len(str(value)) == len("2026-01-01"), "a date, never a time"
    assert people and invitations


def test_row_order_does_not_follow_submission_order(answered):
    submitted = list(range(PEOPLE))
    physical = [  # SELECT without ORDER BY: the order rows are stored in
        place(json.loads(row.answers))
        for row in db.session.execute(text("SELECT answers FROM survey_responses"))
    ]
    by_key = [
        place(r.answers) for r in db.session.scalars(select(Response).order_by(Response.id))
    ]
    assert sorted(physical) == submitted and sorted(by_key) == submitted
    assert physical != submitted and physical != submitted[::-1]
    assert by_key != submitted and by_key != submitted[::-1]
    # Scores are keyed by response id too: their order says nothing either.
    score_order = [
        row.response_id
        for row in db.session.execute(text("SELECT response_id FROM survey_response_scores"))
    ]
    assert score_order == sorted(score_order)  # stored by random key, not by arrival


def test_sqlite_keeps_no_rowid_for_responses(answered):
    """A rowid would be an insertion counter; the response tables have none."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("rowid is SQLite's")
    for table in RESPONSE_TABLES:
        with pytest.raises(Exception, match="rowid"):
            db.session.execute(text(f"SELECT rowid FROM {table.name}"))  # noqa: S608
        db.session.rollback()


def test_answering_leaves_no_trail_elsewhere(answered):
    """No audit event and no mail is written when someone answers."""
    assert answered["audit_added"] == 0
    assert answered["outbox_added"] == 0
    # The invitation only knows that, and on which day, it was answered.
    inspector = inspect(db.engine)
    invitation_columns = {c["name"] for c in inspector.get_columns("survey_invitations")}
    assert "response_id" not in invitation_columns
    answered_on = db.session.scalars(select(Invitation.answered_on)).all()
    assert all(not hasattr(day, "hour") for day in answered_on)


def test_the_confidential_link_is_the_only_person_link(world, make_campaign, fan_out, client):
    """The same walk finds the membership in confidential mode: the test can fail."""
    _, tokens = linked_wave(make_campaign, fan_out, world["org_x"], mode="confidential")
    member = membership_of(world["staff_a"])
    client.post(f"/s/{tokens[member.id]}", data=form_data(pattern(0)))
    assert db.session.scalar(select(Response.membership_id)) == member.id
