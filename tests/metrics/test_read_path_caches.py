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
