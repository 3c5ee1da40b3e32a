"""The survey link pages: the form, sending it, the thank-you page and every bad-link page."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import event

from orgwell.extensions import db
from orgwell.surveys.models import Wave
from tests.surveys.respond_fixtures import (
    all_work,
    form_data,
    invitation_of,
    linked_wave,
    membership_of,
    response_count,
    riverside_wave,
)


@pytest.fixture
def links(world, make_campaign, fan_out):
    return riverside_wave(world, make_campaign, fan_out)


@pytest.fixture
def token(world, links):
    return links[1][membership_of(world["staff_a"]).id]


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def test_the_form_says_how_long_until_when_and_who_sees_what(client, links, token):
    wave, _ = links
    page = client.get(f"/s/{token}")
    assert page.status_code == 200
    body = text_of(page)
    assert "About 1 minute (7 questions)" in body
    assert "Open until" in body and f"{wave.closes_at - timedelta(minutes=1):%H:%M} UTC" in body
    assert "Anonymous." in body and "groups of at least 5 people" in body
    assert "Kristensen TS" in body  # the citation
    # One fieldset per item, its question as the legend, the options as radios.
    assert body.count('<fieldset class="survey-item"') == 7
    first = '<legend><span class="item-number">1.</span> Is your work emotionally exhausting?'
    assert first in body
    assert body.count('type="radio" name="item-q7"') == 5
    assert 'name="csrf_token"' in body
    assert page.headers["Cache-Control"] == "no-store"


def test_sending_shows_the_scores_once(client, links, token):
    sent = client.post(f"/s/{token}", data=form_data(all_work(75)))
    assert sent.status_code == 200
    body = text_of(sent)
    assert "Thank you, your answers are saved" in body
    # Six items at 75 and the reversed item 13 at 75 (25 points): 475 / 7 = 67.86.
    assert "Work-related burnout" in body
    assert '<p class="result-score mb-0">67.9 <span' in body
    assert "At or above the reference line of 50" in body
    assert "not a diagnosis" in body
    assert "shown only this once" in body
    assert "Kristensen TS" in body
    assert sent.headers["Cache-Control"] == "no-store"
    assert response_count() == 1

    # Reloading the thank-you page posts again: the link is used, no scores.
    again = client.post(f"/s/{token}", data=form_data(all_work(75)))
    assert again.status_code == 410
    assert "already been used" in text_of(again)
    assert "reference line" not in text_of(again)
    # Coming back to the link later: the same.
    later = client.get(f"/s/{token}")
    assert later.status_code == 410 and "already been used" in text_of(later)
    assert response_count() == 1


def test_a_wrong_value_is_refused_and_nothing_is_stored(client, world, links, token):
    page = client.post(f"/s/{token}", data=form_data({**all_work(75), "q8": 60}))
    assert page.status_code == 200
    body = text_of(page)
    assert "Nothing was sent yet" in body
    assert "Question 2</a>: Please choose one of the answers shown." in body
    assert 'aria-describedby="q-q8-error"' in body
    assert 'value="75" checked' in body  # the valid answers stay chosen
    assert response_count() == 0
    assert not invitation_of(links[0], membership_of(world["staff_a"])).answered


def test_an_answer_to_a_question_not_asked_is_refused(client, links, token):
    page = client.post(f"/s/{token}", data=form_data({**all_work(75), "q1": 50}))
    assert "not part of this survey" in text_of(page)
    assert response_count() == 0


def test_an_empty_form_is_refused(client, links, token):
    page = client.post(f"/s/{token}", data={})
    assert "Please answer at least one question" in text_of(page)
    assert response_count() == 0


def test_too_few_answers_asks_first_then_sends_as_it_is(client, links, token):
    page = client.post(f"/s/{token}", data=form_data({"q7": 50, "q8": 50}))
    body = text_of(page)
    assert "some parts need more answers to get a score" in body
    assert "Work-related burnout</a>: at least 4 of 7 answers are needed (you answered 2)" in body
    assert 'name="send_partial" value="yes"' in body
    assert response_count() == 0

    sent = client.post(f"/s/{token}", data=form_data({"q7": 50, "q8": 50}, send_partial="yes"))
    body = text_of(sent)
    assert "Thank you" in body
    assert "No score: you answered 2 of these questions, and at least 4 are needed" in body
    assert response_count() == 1


@pytest.mark.parametrize("bad", ["nope", "A" * 43, "x" * 300, "%00", "☃"])
def test_an_unknown_link_is_a_friendly_404(client, links, bad):
    for method in ("get", "post"):
        page = getattr(client, method)(f"/s/{bad}")
        assert page.status_code == 404
        assert "We do not recognise this survey link" in text_of(page)


def test_an_expired_link_is_a_friendly_410(client, links, token):
    wave, _ = links
    with time_machine.travel(wave.closes_at + timedelta(minutes=1)):
        page = client.get(f"/s/{token}")
        assert page.status_code == 410
        assert "This survey has closed" in text_of(page)
        sent = client.post(f"/s/{token}", data=form_data(all_work()))
        assert sent.status_code == 410
    db.session.get(Wave, wave.id).status = "closed"
    db.session.commit()
    assert client.get(f"/s/{token}").status_code == 410
    assert response_count() == 0


def test_a_link_opened_while_someone_else_is_logged_in(client, auth, world, links, token):
    auth.login(world["staff_b"].email)
    page = client.get(f"/s/{token}")
    assert page.status_code == 403
    body = text_of(page)
    assert "This survey link belongs to someone else" in body
    assert world["staff_b"].name in body
    assert client.post(f"/s/{token}", data=form_data(all_work())).status_code == 403
    assert response_count() == 0

    auth.logout()
    auth.login(world["staff_a"].email)
    assert client.get(f"/s/{token}").status_code == 200  # the owner, logged in


def test_csrf_is_checked(app, client, links, token):
    app.config["WTF_CSRF_ENABLED"] = True
    page = client.post(f"/s/{token}", data=form_data(all_work()))
    assert page.status_code == 400
    assert response_count() == 0
    # With the token from the form, it goes through.
    form = client.get(f"/s/{token}").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    sent = client.post(f"/s/{token}", data=form_data(all_work(), csrf_token=csrf))
    assert sent.status_code == 200 and response_count() == 1


def _form_token(body: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', body).group(1)


def test_the_form_token_is_the_links_own_and_sets_no_cookie(app, client, world, links, token):
    """The link's form token (surveys/link_forms.py): another link's token is refused, and an
    anonymous respondent gets no cookie from the form or from sending it."""
    app.config["WTF_CSRF_ENABLED"] = True
    other = links[1][membership_of(world["staff_b"]).id]
    shown = client.get(f"/s/{token}")
    assert "Set-Cookie" not in shown.headers
    mine = _form_token(shown.get_data(as_text=True))
    theirs = _form_token(client.get(f"/s/{other}").get_data(as_text=True))
    assert mine != theirs
    for wrong in (theirs, "é" * 64, mine[:-1], mine + "0"):
        refused = client.post(f"/s/{token}", data=form_data(all_work(), csrf_token=wrong))
        assert refused.status_code == 400 and "This form has expired" in text_of(refused)
    assert response_count() == 0
    sent = client.post(f"/s/{token}", data=form_data(all_work(), csrf_token=mine))
    assert sent.status_code == 200 and response_count() == 1
    assert "Set-Cookie" not in sent.headers


def test_a_form_shown_before_the_secret_key_was_rotated_still_sends(app, client, links, token):
    app.config["WTF_CSRF_ENABLED"] = True
    shown_with_old_key = _form_token(client.get(f"/s/{token}").get_data(as_text=True))
    old_key = app.config["SECRET_KEY"]
    app.config["SECRET_KEY"] = "rotated-" + "k" * 40
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    try:
        sent = client.post(f"/s/{token}", data=form_data(all_work(), csrf_token=shown_with_old_key))
    finally:
        app.config["SECRET_KEY"] = old_key
        app.config["SECRET_KEY_FALLBACKS"] = []
    assert sent.status_code == 200 and response_count() == 1


def test_the_link_is_rate_limited(app, client, links):
    app.config["SURVEY_RATE_LIMIT"] = "3 per minute"
    codes = [client.get("/s/guessing-tokens").status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]


def test_patient_wording_and_the_client_scale_on_the_page(client, world, make_campaign,
                                                          fan_out):
    member_b = membership_of(world["staff_b"])
    member_b.patient_facing = False
    db.session.commit()
    _, tokens = linked_wave(make_campaign, fan_out, world["org_x"], instrument_key="cbi",
                            wording="patients", mode="confidential")
    facing = text_of(client.get(f"/s/{tokens[membership_of(world['staff_a']).id]}"))
    assert "Do you find it hard to work with patients?" in facing
    assert "Patient-related burnout" in facing
    assert "clients" not in facing.lower().replace("kristensen", "")
    assert "Confidential." in facing and "About 3 minutes (19 questions)" in facing

    not_facing = text_of(client.get(f"/s/{tokens[member_b.id]}"))
    assert "Do you find it hard to work with patients?" not in not_facing
    assert "(13 questions)" in not_facing
    assert "left out for you" in not_facing


def test_showing_the_form_reads_without_a_transaction_and_sending_writes_in_one(
    app, client, links, token
):
    """The GET reads one row in autocommit mode (no BEGIN/ROLLBACK round trips); the POST's
    claim, insert and rollup updates must still commit or fail together.

    Watched at the driver (SQLite's trace of what it ran, BEGIN and COMMIT included): these
    statements run on the driver's cursor (orgwell/driver_sql.py), past SQLAlchemy's events.
    """
    ran: list[str] = []
    kinds = {"SELECT", "INSERT", "UPDATE", "DELETE", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT"}

    def trace(dbapi_connection, record, proxy):
        def note(sql: str) -> None:
            verb = sql.split()[0].upper()
            if verb in kinds:  # not the PRAGMAs SQLAlchemy sets isolation levels with
                # pysqlite in autocommit mode has no isolation level and never BEGINs
                ran.append(verb + (" autocommit" if dbapi_connection.isolation_level is None
                                   else ""))

        dbapi_connection.set_trace_callback(note)

    def untrace(dbapi_connection, record):
        dbapi_connection.set_trace_callback(None)

    assert db.engine.dialect.name == "sqlite"
    db.session.remove()
    event.listen(db.engine, "checkout", trace)
    event.listen(db.engine, "checkin", untrace)
    try:
        assert client.get(f"/s/{token}").status_code == 200
        shown, ran[:] = list(ran), []
        assert client.post(f"/s/{token}", data=form_data(all_work(75))).status_code == 200
        sent = list(ran)
    finally:
        event.remove(db.engine, "checkout", trace)
        event.remove(db.engine, "checkin", untrace)
    assert shown == ["SELECT autocommit"]
    writes = [i for i, verb in enumerate(sent) if verb in ("UPDATE", "INSERT")]
    assert {"UPDATE", "INSERT"} <= {sent[i] for i in writes}
    # One transaction around every write, and it commits.
    assert sent.count("BEGIN") == 1 and sent.count("COMMIT") == 1, sent
    assert sent.index("BEGIN") < writes[0] and writes[-1] < sent.index("COMMIT"), sent
