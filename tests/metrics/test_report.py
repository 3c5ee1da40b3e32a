"""The client report and presentation mode: a cover with firm, client, period and k; one
self-contained HTML file; the anonymous benchmark only with at least five other clients."""
from __future__ import annotations

import re

import pytest

from orgwell.metrics import portfolio, queries
from tests import factories
from tests.metrics.conftest import answer_wave, close_wave, make_practice, open_survey_wave
from tests.metrics.results_fixtures import WAVE_DATES, login, results_world


@pytest.fixture
def rw(db):
    return results_world()


def test_the_report_file_is_one_self_contained_file_with_its_cover(client, rw):
    login(client, rw["consultant"])
    response = client.get("/o/riverside/results/report.html")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    html = response.get_data(as_text=True)
    # Nothing to fetch: outside the inline scripts' code, no src or href that is not a
    # fragment or a data: URI, no stylesheet link, no CSS url(...).
    markup = re.sub(r"(?s)<script>.*?</script>", "<script></script>", html)
    for attr, value in re.findall(r'\b(src|href)\s*=\s*["\']([^"\']*)', markup):
        assert value.startswith(("#", "data:")), (attr, value)
    assert not re.search(r"url\(\s*['\"]?(?!data:|#)", markup)
    assert "<link" not in markup
    assert not re.search(r"<script[^>]*\ssrc=", html)
    # plotly.js inline, the figures inline as data blocks, the deck script inline.
    assert "plotly.js v" in html[:html.index("</body>")]
    for name in ("exhaustion", "share-high", "participation", "heatmap", "impact"):
        assert f'id="figure-data-{name}" type' not in html  # data blocks, not code
        assert f'<script type="application/json" id="figure-data-{name}">' in html
    assert "OrgWellFigures" in html and "data-slide" in html
    # The cover: firm, client, period, k.
    cover = html[html.index('class="slide slide-cover"'):html.index('id="slide-2"')]
    assert "FlexHealth Consulting" in cover
    assert "Riverside Physical Therapy" in cover
    assert "4 March 2024 to 2 September 2024" in cover
    assert "at least <strong>5</strong> respondents" in cover


def test_an_owner_report_has_no_firm_and_no_benchmark(client, rw):
    login(client, rw["owner"])
    html = client.get("/o/riverside/results/report.html").get_data(as_text=True)
    assert "FlexHealth" not in html
    assert "Among other organisations" not in html


def test_presentation_mode_has_a_slide_per_figure(client, rw):
    login(client, rw["consultant"])
    html = client.get("/o/riverside/results/present?scale=work").get_data(as_text=True)
    assert len(re.findall(r'<section class="slide', html)) == 7  # cover, 5 figures, notes
    assert 'src="/static/js/metrics-present.js"' in html
    assert "<script>" not in html  # CSP: no inline script
    assert "since the Two-week stress reset program began" in html or "between" in html


def _client_with_results(slug: str, consultant, rng_seed: int, sizes=(7, 6), rate=1.0):
    import random

    practice = make_practice([(0, list(sizes))], slug=slug, name=f"Client {slug}")
    factories.ConsultantGrantFactory(organisation=practice.org, consultant=consultant)
    wave = open_survey_wave(practice, WAVE_DATES[-1])
    answer_wave(wave, random.Random(rng_seed), rate=rate)
    close_wave(wave)
    return practice.org


def test_the_benchmark_needs_five_other_clients_and_never_names_them(client, rw):
    consultant = rw["consultant"]
    filters = queries.Filters(instrument="cbi-work", scale="work")
    others = [_client_with_results(f"client-{n}", consultant, n) for n in range(4)]
    # One more client whose only results are hidden (fewer than k answered): no contribution.
    tiny = _client_with_results("client-tiny", consultant, 99, sizes=(3, 3), rate=0.3)
    assert portfolio.latest_org_total(tiny, filters) is None
    assert portfolio.benchmark(consultant, rw["org"], filters, "Work") is None
    login(client, consultant)
    html = client.get("/o/riverside/results/present").get_data(as_text=True)
    assert "Among other organisations" not in html

    others.append(_client_with_results("client-5", consultant, 5))
    bench = portfolio.benchmark(consultant, rw["org"], filters, "Work")
    assert bench is not None and bench.contributors == 5
    html = client.get("/o/riverside/results/present").get_data(as_text=True)
    assert "Among other organisations" in html
    assert "Across 5 other organisations" in html
    for org in others + [tiny]:
        assert org.name not in html and org.slug not in html
    report = client.get("/o/riverside/results/report.html").get_data(as_text=True)
    assert "Across 5 other organisations" in report
    assert not any(org.name in report for org in others + [tiny])


def test_leaders_never_get_a_benchmark(client, rw):
    login(client, rw["leader"])
    html = client.get("/o/riverside/results/present").get_data(as_text=True)
    assert "Among other organisations" not in html and "FlexHealth" not in html
