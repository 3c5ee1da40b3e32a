"""The read path of issue 6: the results pages' default period, and the per-process caches
that keep a results request cheap without ever serving another row's or another file's data."""

from __future__ import annotations

from datetime import date

from orgwell.metrics import stats
from orgwell.metrics.filters import (
    Choices,
    parse_filters,
    wants_default_period,
    with_default_period,
)
from orgwell.surveys.instruments import models as instrument_models
from orgwell.surveys.instruments.files import builtin
from tests.metrics.results_fixtures import WAVE_DATES, login, results_world

CHOICES = Choices(instruments=[("cbi-work", "CBI work", [("work", "Work", 50.0)])], teams=[])


def test_the_default_period_is_twelve_months_up_to_the_newest_wave():
    parsed = parse_filters({}, CHOICES)
    assert wants_default_period({}) and not wants_default_period({"from": ""})
    assert not wants_default_period({"to": "2024-01-01"})
    narrowed = with_default_period(parsed, date(2024, 9, 2))
    assert narrowed.default_period
    assert narrowed.filters.date_from == date(2023, 9, 3)
    assert ("from", "2023-09-03") in narrowed.params  # a shared link shows the same period
    # A leap day: the same day a year before does not exist.
    assert with_default_period(parsed, date(2024, 2, 29)).filters.date_from == date(2023, 3, 1)
    # No results yet: nothing to narrow.
    assert with_default_period(parsed, None) == parsed


def test_the_page_shows_its_default_period_in_the_form(client, db):
    world = results_world()
    login(client, world["owner"])
    html = client.get("/o/riverside/results/").get_data(as_text=True)
    newest = max(WAVE_DATES)
    start = date(newest.year - 1, newest.month, newest.day + 1).isoformat()
    assert "data-default-period" in html
    assert f'name="from" value="{start}"' in html
    assert f"from={start}" in html  # the CSV and export links carry it
    # Both dates cleared in the form: every wave, no default.
    html = client.get("/o/riverside/results/?from=&to=").get_data(as_text=True)
    assert "data-default-period" not in html
    assert 'name="from" value=""' in html


def test_a_parsed_definition_is_reused_only_for_the_same_row_content():
    definition = builtin("cbi").to_dict()
    first = instrument_models.parsed_definition(987654, definition)
    assert instrument_models.parsed_definition(987654, dict(definition)) is first
    # The same id holding another definition (a database made again) is parsed afresh.
    other = builtin("cbi-work").to_dict()
    assert instrument_models.parsed_definition(987654, other).key == "cbi-work"
    # Changing the caller's dict afterwards does not change what the cache compares with.
    copy = dict(other)
    instrument_models.parsed_definition(987655, copy)
    copy["name"] = "Changed"
    assert instrument_models.parsed_definition(987655, copy).name == "Changed"


def test_t_quantile_is_computed_once_per_arguments():
    stats.t_quantile.cache_clear()
    value = stats.t_quantile(0.975, 17)
    assert stats.t_quantile(0.975, 17) == value
    info = stats.t_quantile.cache_info()
    assert info.hits >= 1 and info.misses == 1


# --- the decided waves and panels kept per process (wave_families._CACHE, dashboard._VIEWS) --

def _world_with_tokens(client):
    from orgwell.auth.services import create_api_token
    from orgwell.extensions import db

    world = results_world()
    tokens = {who: create_api_token(world[who], "test") for who in ("owner", "leader")}
    db.session.commit()

    def burnout(who):
        response = client.get(
            "/api/v1/orgs/riverside/metrics/burnout",
            query_string={"instrument": "cbi-work", "scale": "work"},
            headers={"Authorization": f"Bearer {tokens[who]}"},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()

    return world, burnout


def _cold(fetch):
    """fetch() with every read-path cache emptied first: what the answer must be."""
    from orgwell.metrics import dashboard, wave_families

    wave_families._CACHE.clear()
    dashboard._VIEWS.clear()
    return fetch()


def _figures(client):
    return {name: client.get(f"/o/riverside/results/figures/{name}.json?from=").get_json()
            for name in ("exhaustion", "participation", "heatmap", "impact")}


def test_a_rebuild_that_changes_counts_is_seen_on_the_next_request(client, db):
    from sqlalchemy import select

    from orgwell.metrics.rebuild import rebuild_org
    from orgwell.surveys.models import Response

    world, burnout = _world_with_tokens(client)
    practice = world["practice"]
    login(client, world["owner"])
    before, pages_before = burnout("owner"), _figures(client)  # now cached
    # One answer moves from the team of 8 to the team of 6 (the totals stay the same), and the
    # rollups are rebuilt, as `orgwell metrics rebuild` would.
    moved = db.session.scalars(
        select(Response).where(Response.team_id == practice.teams[0].id).order_by(Response.id)
    ).first()
    moved.team_id = practice.teams[1].id
    rebuild_org(world["org"])
    db.session.commit()
    after = burnout("owner")
    assert after != before
    counts = {(e["wave_id"], e["team"]): e["n"] for e in after["series"]}
    old = {(e["wave_id"], e["team"]): e["n"] for e in before["series"]}
    wave = moved.wave_id
    assert counts[(wave, None)] == old[(wave, None)]  # the organisation total is unchanged
    assert counts != old
    assert after == _cold(lambda: burnout("owner"))
    pages_after = _figures(client)
    assert pages_after != pages_before
    assert pages_after == _cold(lambda: _figures(client))


def test_a_team_rename_is_seen_on_the_next_request(client, db):
    world, burnout = _world_with_tokens(client)
    team = world["practice"].teams[0]
    login(client, world["owner"])
    burnout("owner")
    _figures(client)
    team.name = "Renamed outpatients"
    db.session.commit()
    names = {e["team"] for e in burnout("owner")["series"]}
    assert "Renamed outpatients" in names and "Clinic 1 team 1" not in names
    heatmap = client.get("/o/riverside/results/figures/heatmap.json?from=").get_data(as_text=True)
    assert "Renamed outpatients" in heatmap and "Clinic 1 team 1" not in heatmap
    assert _figures(client) == _cold(lambda: _figures(client))


def test_a_leader_gets_only_their_scope_after_an_owner_filled_the_caches(client, db):
    world, burnout = _world_with_tokens(client)
    practice = world["practice"]
    login(client, world["owner"])
    owner = burnout("owner")
    owner_figures = _figures(client)
    assert None in {e["team"] for e in owner["series"]}  # the owner sees the organisation
    client.post("/logout")
    login(client, world["leader"])
    leader = burnout("leader")
    mine = {practice.clinics[0].name} | {t.name for t in practice.teams if
                                         t.parent_id == practice.clinics[0].id}
    assert {e["team"] for e in leader["series"]} <= mine
    assert None not in {e["team"] for e in leader["series"]}
    leader_figures = _figures(client)
    assert leader_figures != owner_figures
    text = str(leader_figures)
    assert "Clinic 2" not in text and "Riverside Physical Therapy" not in text
    # Exactly what the leader gets when nothing is cached.
    assert leader == _cold(lambda: burnout("leader"))
    assert leader_figures == _cold(lambda: _figures(client))
