"""Burnout answers are paged by wave date: `waves` newest dates per answer, `earlier_to` back."""

from __future__ import annotations

import random
from datetime import date

import pytest

from orgwell.extensions import db
from orgwell.surveys import waves as survey_waves
from tests.api.test_metrics_api import api, results  # noqa: F401  (fixtures)
from tests.metrics.conftest import answer_wave, close_wave

LATER = (date(2026, 2, 9), date(2026, 2, 16))


@pytest.fixture
def history(results):  # noqa: F811
    """Three closed weekly waves of the results' campaign: 2 Feb (results), 9 and 16 Feb."""
    rng = random.Random(11)
    for opens_on in LATER:
        wave = survey_waves.open_wave(results.campaign, opens_on, source="manual")
        db.session.commit()
        answer_wave(wave, rng, rate=1.0)
        close_wave(wave)
    return results


def burnout(api, **params):  # noqa: F811
    response = api("owner_x", "burnout", instrument="cbi-work", scale="work", **params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_default_answer_holds_every_wave_of_a_short_history(api, history):  # noqa: F811
    body = burnout(api)
    assert sorted({e["wave"] for e in body["series"]}) == ["2026-02-02", "2026-02-09", "2026-02-16"]
    assert body["earlier_to"] is None


def test_pages_walk_back_by_earlier_to_and_add_up_to_the_whole(api, history):  # noqa: F811
    whole = burnout(api)["series"]
    pages, params = [], {"waves": "1"}
    while True:
        body = burnout(api, **params)
        pages.append(body)
        if body["earlier_to"] is None:
            break
        params = {"waves": "1", "to": body["earlier_to"]}
    assert [sorted({e["wave"] for e in p["series"]}) for p in pages] == [
        ["2026-02-16"],
        ["2026-02-09"],
        ["2026-02-02"],
    ]
    assert [p["earlier_to"] for p in pages] == ["2026-02-15", "2026-02-08", None]
    # The same entries, numbers and suppression decisions as the unpaged answer.
    assert [e for p in reversed(pages) for e in p["series"]] == whole
    two = burnout(api, waves="2")
    assert {e["wave"] for e in two["series"]} == {"2026-02-09", "2026-02-16"}
    assert two["earlier_to"] == "2026-02-08"


@pytest.mark.parametrize("value", ["0", "105", "many"])
def test_bad_waves_is_400(api, history, value):  # noqa: F811
    response = api("owner_x", "burnout", instrument="cbi-work", scale="work", waves=value)
    assert response.status_code == 400
    assert response.get_json()["parameter"] == "waves"
