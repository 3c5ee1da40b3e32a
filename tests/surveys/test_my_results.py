"""My results: a person's own confidential scores over time, and nobody else's."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.surveys import my_results, responding, waves
from tests.surveys.respond_fixtures import WORK_ITEMS, linked_wave, membership_of

POINT = re.compile(r'<circle [^>]*r="5"')  # a point of the trend chart (not the logo)


def work(value: int) -> dict[str, float]:
    """Every work item at `value` points (item 13 is reversed, so it gets 100 - value)."""
    return {**dict.fromkeys(WORK_ITEMS, float(value)), "q13": float(100 - value)}


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


@pytest.fixture
def history(world, make_campaign, fan_out):
    """Three monthly confidential waves: staff A scores 100, 50, 0; staff B answers once."""
    start = utcnow().replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=90)
    staff_a, staff_b = membership_of(world["staff_a"]), membership_of(world["staff_b"])
    campaign = None
    for month, value in enumerate((100, 50, 0)):
        with time_machine.travel(start + timedelta(days=30 * month), tick=False):
            if campaign is None:
                campaign = make_campaign(world["org_x"], mode="confidential",
                                         name="Monthly check-in")
            wave = waves.open_wave(campaign, utcnow().date(), source="manual")
            db.session.commit()
            tokens = fan_out(wave)
            responding.submit(responding.open_by_token(tokens[staff_a.id]), work(value))
            if month == 1:
                responding.submit(responding.open_by_token(tokens[staff_b.id]), work(25))
            db.session.commit()
    return {"start": start, "campaign": campaign}


def test_my_trends_are_my_own_scores_in_date_order(world, history):
    trends = my_results.my_trends(membership_of(world["staff_a"]))
    assert [t.key for t in trends] == ["work"]
    points = trends[0].points
    assert [p.score for p in points] == [100, 50, 0]
    assert [p.band for p in points] == ["high", "high", "below"]  # 50.00 is on the line
    assert points == sorted(points, key=lambda p: p.on)
    assert my_results.high_scales(trends) == set()  # the latest is below the line
    assert [p.score for p in my_results.my_trends(membership_of(world["staff_b"]))[0].points] \
        == [25]


def test_the_results_page_shows_the_trend_with_the_reference_line(client, auth, world, history):
    auth.login(world["staff_a"].email)
    page = client.get("/o/riverside/my/surveys/results")
    assert page.status_code == 200
    body = text_of(page)
    assert "Work-related burnout" in body
    assert "Latest: <span class=\"fw-semibold\">0</span>" in body
    assert "not a diagnosis" in body
    assert len(POINT.findall(body)) == 3 and "<polyline " in body
    assert 'stroke-dasharray="6 4"' in body  # the cut-off line
    rows = re.findall(r'<th scope="row" class="fw-normal">([^<]+)</th> <td>([^<]+)</td>', body)
    assert [score for _, score in rows] == ["0", "50", "100"]  # newest first


def test_nobody_sees_anyone_elses_results(client, auth, world, history):
    auth.login(world["staff_b"].email)
    body = text_of(client.get("/o/riverside/my/surveys/results"))
    rows = re.findall(r'<th scope="row" class="fw-normal">[^<]+</th> <td>([^<]+)</td>', body)
    assert rows == ["25"]
    auth.logout()
    for who in ("leader_a", "owner_x"):
        auth.login(world[who].email)
        body = text_of(client.get("/o/riverside/my/surveys/results"))
        assert "No results to show yet" in body and not POINT.findall(body)
        auth.logout()
    # There is no address for someone else's results: the page takes no person.
    auth.login(world["consultant_x"].email)
    assert client.get("/o/riverside/my/surveys/results").status_code == 403


def test_anonymous_answers_never_appear_in_my_results(client, auth, world, make_campaign,
                                                      fan_out):
    _, tokens = linked_wave(make_campaign, fan_out, world["org_x"])
    member = membership_of(world["staff_a"])
    responding.submit(responding.open_by_token(tokens[member.id]), work(100))
    db.session.commit()
    assert my_results.my_trends(member) == []
    auth.login(world["staff_a"].email)
    assert "No results to show yet" in text_of(client.get("/o/riverside/my/surveys/results"))


def test_a_high_latest_score_still_renders_without_a_programs_side(client, auth, world,
                                                                   make_campaign, fan_out):
    """Suggestions come from the programs side if it offers them; the page never depends on it."""
    _, tokens = linked_wave(make_campaign, fan_out, world["org_x"], mode="confidential")
    member = membership_of(world["staff_a"])
    responding.submit(responding.open_by_token(tokens[member.id]), work(75))
    db.session.commit()
    trends = my_results.my_trends(member)
    assert my_results.high_scales(trends) == {"work"}
    assert isinstance(my_results.suggested_programs(member, {"work"}), list)
    assert my_results.suggested_programs(member, set()) == []
    auth.login(world["staff_a"].email)
    page = client.get("/o/riverside/my/surveys/results")
    assert page.status_code == 200
    assert "at or above the reference line of 50" in text_of(page)


def test_trend_chart_geometry():
    trend = my_results.ScaleTrend("work", "Work", "", 50.0, 0.0, 100.0, "higher_is_worse", [
        my_results.Point(datetime(2026, 1, 1, tzinfo=UTC).date(), 100.0, "high"),
        my_results.Point(datetime(2026, 1, 11, tzinfo=UTC).date(), None, None),
        my_results.Point(datetime(2026, 1, 21, tzinfo=UTC).date(), 0.0, "below"),
    ])
    chart = my_results.trend_chart(trend)
    (x1, y1, _), (x2, y2, _) = chart.points  # the unscored point is not drawn
    assert (x1, x2) == (chart.plot_left, chart.plot_right)
    assert y1 < chart.cutoff_y < y2  # 100 at the top, 0 at the bottom, 50 between
    assert chart.cutoff_y == pytest.approx((y1 + y2) / 2)
    single = my_results.trend_chart(my_results.ScaleTrend(
        "work", "Work", "", None, 0.0, 100.0, "higher_is_worse", trend.points[:1]))
    assert single.points[0][0] == (chart.plot_left + chart.plot_right) / 2
    assert single.cutoff_y is None


def test_a_high_score_suggests_programs_to_join(client, auth, world, make_campaign, fan_out):
    from orgwell.programs import library

    library.copy_template(world["org_x"], "stress-reset", created_by=world["owner_x"])
    db.session.commit()
    _, tokens = linked_wave(make_campaign, fan_out, world["org_x"], mode="confidential")
    member = membership_of(world["staff_a"])
    responding.submit(responding.open_by_token(tokens[member.id]), work(75))
    db.session.commit()
    auth.login(world["staff_a"].email)
    body = text_of(client.get("/o/riverside/my/surveys/results"))
    assert "Programs that may help" in body
    assert "Two-week stress reset" in body
    assert "You can join this one yourself." in body
    assert 'href="/o/riverside/learning/join"' in body
    # Below the line everywhere: nothing is suggested.
    auth.logout()
    auth.login(world["staff_b"].email)
    assert "Programs that may help" not in text_of(client.get("/o/riverside/my/surveys/results"))
