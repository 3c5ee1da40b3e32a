"""Alerts after a wave closes: who is listed, who is mailed, and what is never mentioned."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from orgwell.extensions import db
from orgwell.metrics import alerts, queries
from orgwell.notifications.models import OutboxMessage
from orgwell.programs.models import today
from tests import factories
from tests.metrics.action_fixtures import make_campaign, make_wave, put_result
from tests.metrics.confidentiality_checks import assert_nothing_derivable, family_of


def _alert_mails() -> list[OutboxMessage]:
    return list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.key.like("metrics.alert:%"))
        .order_by(OutboxMessage.id)))


def _mail_to(user) -> OutboxMessage | None:
    return next((m for m in _alert_mails() if m.to_addr == user.email), None)


@pytest.mark.parametrize("before, now, cutoff, expected", [
    (40.0, 50.0, None, (True, False)),   # exactly 10 points
    (40.0, 49.9, None, (False, False)),  # 9.9 is not 10
    (45.3, 55.3, None, (True, False)),   # float noise (9.999999999999996) does not decide
    (49.0, 50.0, 50.0, (False, True)),   # crossed: below before, at the cut-off now
    (50.0, 59.0, 50.0, (False, False)),  # already at the cut-off: not a crossing
    (40.0, 60.0, 50.0, (True, True)),
    (60.0, 45.0, 50.0, (False, False)),  # better is never an alert
])
def test_the_rule(before, now, cutoff, expected):
    assert alerts.is_alert(before, now, cutoff) == expected


@pytest.fixture
def setup(world):
    """Riverside: clinic North (North PT = team_a, North OT) and South PT (a clinic), k = 5.

    North PT   40.0 -> 50.0   rose 10 and crossed the cut-off of 50: alerted
    North OT   30.0 -> 39.9   rose 9.9: not alerted
    South PT   48.0 -> 52.0   crossed the cut-off: alerted
    North      35.0 -> 44.95  (the clinic: rose 9.95, below the cut-off): not alerted
    """
    org = world["org_x"]
    north_ot = factories.TeamFactory(organisation=org, name="North OT", parent=world["clinic_a"])
    campaign = make_campaign(org, name="Monthly pulse")
    day = today()
    before = make_wave(campaign, day - timedelta(days=30))
    now = make_wave(campaign, day - timedelta(days=1))
    for wave, means in ((before, (40.0, 30.0, 48.0)), (now, (50.0, 39.9, 52.0))):
        put_result(wave, world["team_a"], 6, means[0])
        put_result(wave, north_ot, 6, means[1])
        put_result(wave, world["team_b"], 6, means[2])
    db.session.commit()
    return {"org": org, "north_ot": north_ot, "campaign": campaign, "before": before,
            "now": now, **world}


def test_rises_of_ten_and_crossings_are_found_and_nine_point_nine_is_not(setup):
    found = alerts.find_alerts(setup["now"])
    assert [(a.group.key, a.rose, a.crossed) for a in found] == [
        (f"team:{setup['team_a'].id}", True, True),
        (f"clinic:{setup['team_b'].id}", False, True),
    ]
    assert found[0].why == "up 10 points and now at or above the cut-off of 50"


def test_owners_get_every_team_and_leaders_only_theirs(setup):
    assert alerts.send_wave_alerts(setup["now"].id) == 2
    db.session.commit()
    owner = _mail_to(setup["owner_x"])
    leader = _mail_to(setup["leader_a"])
    assert owner is not None and leader is not None
    assert {m.to_addr for m in _alert_mails()} == {setup["owner_x"].email,
                                                   setup["leader_a"].email}
    assert owner.key == f"metrics.alert:{setup['now'].id}:{setup['owner_x'].id}"
    assert "North clinic › North PT" in owner.text_body and "South PT" in owner.text_body
    assert "North clinic › North PT" in leader.text_body and "South PT" not in leader.text_body
    assert "North OT" not in owner.text_body  # 9.9 points
    assert "40 -> 50" in owner.text_body and "48 -> 52" in owner.text_body
    assert "Monthly pulse" in owner.subject and "Riverside" in owner.subject
    # Absolute links to the team's results and to planning an action.
    team_a = setup["team_a"].id
    assert f"http://orgwell.test/o/riverside/results/teams/{team_a}" in owner.text_body
    assert f"http://orgwell.test/o/riverside/actions/teams/{team_a}/new" in owner.text_body
    assert f'href="http://orgwell.test/o/riverside/results/teams/{team_a}"' in owner.html_body
    # Staff, consultants and the other organisation get nothing.
    for name in ("staff_a", "staff_b", "consultant_x", "owner_y"):
        assert _mail_to(setup[name]) is None


def test_running_twice_mails_once(setup):
    assert alerts.send_wave_alerts(setup["now"].id) == 2
    db.session.commit()
    assert alerts.send_wave_alerts(setup["now"].id) == 0
    db.session.commit()
    assert len(_alert_mails()) == 2


def test_a_left_leader_or_deactivated_owner_is_not_mailed(setup):
    leader = setup["leader_a"].memberships[0]
    leader.status = "left"
    setup["owner_x"].active = False
    db.session.commit()
    assert alerts.send_wave_alerts(setup["now"].id) == 0


def test_nothing_for_a_first_wave_an_old_wave_or_an_open_one(setup):
    assert alerts.send_wave_alerts(setup["before"].id) == 0  # a later wave closed since
    first_campaign = make_campaign(setup["org"], name="Another pulse")
    first = make_wave(first_campaign, today() - timedelta(days=2))
    put_result(first, setup["team_a"], 6, 90.0)
    still_open = make_wave(setup["campaign"], today(), status="open")
    db.session.commit()
    assert alerts.send_wave_alerts(first.id) == 0
    assert alerts.send_wave_alerts(still_open.id) == 0
    assert alerts.send_wave_alerts(999999) == 0
    assert _alert_mails() == []


def test_old_imported_results_are_history_not_news(setup):
    setup["now"].source = "import"
    setup["now"].opens_on = today() - timedelta(days=40)
    setup["before"].opens_on = today() - timedelta(days=70)
    db.session.commit()
    assert alerts.send_wave_alerts(setup["now"].id) == 0


def _mentioned(mail: OutboxMessage, groups: dict[str, queries.Group], wave_id: int):
    """(wave, group key, {"n": n}) for every team line of a text mail."""
    shown = []
    for label, n in re.findall(r"^- (.+?), .+?: \d+ -> \d+ \(.*?; (\d+) respondents\)$",
                               mail.text_body, flags=re.M):
        shown.append((wave_id, groups[label].key, {"n": int(n)}))
    return shown


def test_teams_hidden_in_either_wave_are_never_mentioned(setup):
    """A small team whose mean jumped, and a team hidden only before, stay out of every mail;
    every number the mails show passes the confidentiality check."""
    org, before, now = setup["org"], setup["before"], setup["now"]
    tiny = factories.TeamFactory(organisation=org, name="North Aides", parent=setup["clinic_a"])
    grown = factories.TeamFactory(organisation=org, name="West Rehab")
    put_result(before, tiny, 2, 10.0)
    put_result(now, tiny, 2, 95.0)
    put_result(before, grown, 3, 20.0)  # hidden before (3 < 5) ...
    put_result(now, grown, 8, 80.0)     # ... shown now, up 60: still not mentioned
    db.session.commit()

    alerts.send_wave_alerts(now.id)
    db.session.commit()
    mails = _alert_mails()
    assert mails, "the other teams still raise alerts"
    _k, cells = queries.burnout_series(org, queries.Filters(instrument="cbi-work"),
                                       team_scope=None)
    groups = {c.group.label: c.group for c in cells}
    shown_now = {c.group.key for c in cells if c.wave_id == now.id and not c.suppressed}
    mentioned = []
    for mail in mails:
        for text in (mail.subject, mail.text_body, mail.html_body):
            assert "North Aides" not in text and "West Rehab" not in text
            assert "hidden" not in text.lower()
        lines = _mentioned(mail, groups, now.id)
        assert lines
        assert {key for _, key, _ in lines} <= shown_now
        mentioned += lines
    assert_nothing_derivable(mentioned + [c for c in cells if not c.suppressed],
                             family_of(cells), 5)


def test_the_sweep_finds_waves_closed_lately(setup):
    assert alerts.recently_closed_wave_ids() == [setup["before"].id, setup["now"].id]
    setup["before"].closed_at = setup["before"].closed_at - timedelta(days=3)
    db.session.commit()
    assert alerts.recently_closed_wave_ids() == [setup["now"].id]
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
