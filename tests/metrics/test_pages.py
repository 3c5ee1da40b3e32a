"""The results pages: who sees what, filters in the URL, bad parameters, figure JSON and CSV,
and that no number on them lets anyone work out a group under k."""
from __future__ import annotations

import csv
import io
import json
import re

import pytest

from orgwell.metrics import queries
from orgwell.security import CSP
from tests import factories
from tests.metrics.confidentiality_checks import assert_nothing_derivable, family_of
from tests.metrics.results_fixtures import K, login, results_world


@pytest.fixture
def rw(db):
    return results_world()


def _all_cells(org):
    _, cells = queries.burnout_series(org, queries.Filters(instrument="cbi-work"),
                                      team_scope=None)
    return cells


@pytest.mark.parametrize("who", ["owner", "leader", "consultant"])
def test_owner_leader_and_consultant_see_every_figure(client, rw, who):
    login(client, rw[who])
    page = client.get("/o/riverside/results/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for name in ("exhaustion", "share-high", "participation", "heatmap", "impact"):
        assert f'id="figure-data-{name}"' in html
    assert "Work-related burnout" in html
    # The page gets plotly's style allowance (orgwell.metrics.plotlyjs); scripts stay strict.
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and csp != CSP


def test_staff_are_refused_and_other_organisations_do_not_exist(client, rw):
    login(client, rw["staff"])
    assert client.get("/o/riverside/results/").status_code == 403
    client.post("/logout")
    login(client, rw["other_owner"])
    assert client.get("/o/riverside/results/").status_code == 404
    assert client.get("/o/riverside/results/results.csv").status_code == 404


def test_a_leader_sees_only_their_clinic(client, rw):
    practice = rw["practice"]
    login(client, rw["leader"])
    html = client.get("/o/riverside/results/").get_data(as_text=True)
    figure = _figure(client, "heatmap")
    labels = json.dumps(figure)
    assert "Clinic 1" in labels and "Clinic 2" not in labels
    # "Leaders see their own teams only": no organisation total on any surface.
    assert "Riverside Physical Therapy" not in labels
    rows = list(csv.DictReader(io.StringIO(
        client.get("/o/riverside/results/results.csv").get_data(as_text=True))))
    assert rows and not any(r["group_kind"] == "organisation" for r in rows)
    assert 'data-group="org"' not in html
    assert "at Clinic 1" in _figure_body(client, "exhaustion")["headline"]
    assert "Clinic 2" not in html.split('id="drill-title"')[1]
    own = practice.teams[0]
    assert client.get(f"/o/riverside/results/teams/{own.id}").status_code == 200
    foreign = practice.teams[3]
    assert client.get(f"/o/riverside/results/teams/{foreign.id}").status_code == 404
    # A team outside the scope named in a filter is dropped, with a message, not shown.
    page = client.get(f"/o/riverside/results/?team={foreign.id}")
    assert page.status_code == 200
    assert "not available to you" in page.get_data(as_text=True)
    assert "Clinic 2" not in json.dumps(_figure(client, "heatmap", f"team={foreign.id}"))


def test_filters_stay_in_the_links_of_the_page(client, rw):
    team = rw["practice"].teams[0]
    login(client, rw["owner"])
    query = f"instrument=cbi-work&scale=work&team={team.id}&from=2024-05-01&to=2024-12-31"
    html = client.get(f"/o/riverside/results/?{query}").get_data(as_text=True)
    assert f"/o/riverside/results/present?{query.replace('&', '&amp;')}" in html
    assert f"/o/riverside/results/results.csv?{query.replace('&', '&amp;')}" in html
    figure = _figure(client, "exhaustion", query)
    dates = set(re.findall(r"2024-\d\d-\d\d", json.dumps(figure["data"])))
    assert dates and all(d >= "2024-05-01" for d in dates)


@pytest.mark.parametrize("query, message", [
    ("scale=nonsense", "has no scale"),
    ("instrument=%3Cscript%3E", "There is no questionnaire"),
    ("from=yesterday", "is not a date"),
    ("from=2024-13-45", "is not a date"),
    ("from=2024-09-01&to=2024-01-01", "start date is after the end date"),
    ("team=abc&team=99999999999999", "not available to you"),
])
def test_bad_parameters_give_a_friendly_message_never_an_error(client, rw, query, message):
    login(client, rw["owner"])
    page = client.get(f"/o/riverside/results/?{query}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert message in html
    assert "<script>" not in html.split("Some filters were not applied")[1][:2000]
    for url in (f"/o/riverside/results/results.csv?{query}",
                f"/o/riverside/results/figures/heatmap.json?{query}",
                f"/o/riverside/results/present?{query}",
                f"/o/riverside/results/report.html?{query}"):
        assert client.get(url).status_code == 200, url


def test_unknown_figure_is_404(client, rw):
    login(client, rw["owner"])
    assert client.get("/o/riverside/results/figures/secret.json").status_code == 404


def test_csv_holds_hidden_cells_with_their_reason_and_nothing_derivable(client, rw):
    login(client, rw["owner"])
    response = client.get("/o/riverside/results/results.csv")
    assert response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    hidden = [r for r in rows if r["suppressed"] == "yes"]
    assert hidden and all(r["reason"] and r["n"] == "" and r["mean"] == "" for r in hidden)
    assert any("fewer than 5" in r["reason"] for r in hidden)
    cells = _all_cells(rw["org"])
    keys = {c.group.label: c.group.key for c in cells}
    shown = []
    for row in rows:
        if row["table"].startswith("Program"):
            continue
        numbers = {"n": _int(row["n"]), "responded": _int(row["responded"]),
                   "invited": _int(row["invited"])}
        shown.append((row["date"], keys[row["group"]], numbers))
    assert len(shown) > 10
    assert_nothing_derivable(shown, family_of(cells), K)


def test_figure_json_passes_through_suppression(client, rw):
    login(client, rw["owner"])
    body = _figure_body(client, "heatmap")
    assert body["threshold"] == K
    text = json.dumps(body["figure"])
    assert "fewer than 5 responses" in text  # the 3-person team, drawn as hidden
    # Every respondent count the figures carry belongs to a shown cell of queries.
    cells = _all_cells(rw["org"])
    shown_n = {c.n for c in cells if not c.suppressed}
    hidden_team = rw["practice"].teams[2]
    assert not any(c.n is not None for c in cells if c.group.team_id == hidden_team.id)
    for number in re.findall(r"\b(\d+) respondents", text):
        assert int(number) in shown_n


def test_page_numbers_leave_nothing_derivable(client, rw):
    """Counts printed on the overview and every team page, read back from the HTML."""
    login(client, rw["owner"])
    cells = _all_cells(rw["org"])
    practice = rw["practice"]
    urls = ["/o/riverside/results/"] + [
        f"/o/riverside/results/teams/{t.id}" for t in practice.teams + practice.clinics
    ]
    shown = []
    for url in urls:
        html = client.get(url).get_data(as_text=True)
        for attrs in re.findall(r'<div class="stat-value" (data-group=[^>]*)>', html):
            values = dict(re.findall(r'data-([a-z]+)="([^"]*)"', attrs))
            numbers = {m: int(values[m]) for m in ("n", "invited", "responded") if m in values}
            shown.append((int(values["wave"]), values["group"], numbers))
    assert len(shown) >= len(urls)
    assert {key for _, key, _ in shown} > {"org"}  # team pages show their own team
    assert_nothing_derivable(shown + cells, family_of(cells), K)


def test_consultant_compares_only_granted_clients(client, rw):
    consultant = rw["consultant"]
    factories.ConsultantGrantFactory(organisation=rw["other"].org, consultant=consultant)
    third = factories.OrganisationFactory(name="Not a client", slug="stranger")
    login(client, consultant)
    page = client.get("/results/compare?orgs=riverside,harbor,stranger")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Riverside Physical Therapy" in html and "Harbor Rehab" in html
    assert third.name not in html
    assert "not among your clients" in html
    client.post("/logout")
    login(client, rw["owner"])
    assert client.get("/results/compare?orgs=riverside").status_code == 404


def _figure_body(client, name: str, query: str = "") -> dict:
    response = client.get(f"/o/riverside/results/figures/{name}.json?{query}")
    assert response.status_code == 200
    return response.get_json()


def _figure(client, name: str, query: str = "") -> dict:
    return _figure_body(client, name, query)["figure"]


def _int(text: str) -> int | None:
    return int(text) if text else None


def test_a_hidden_teams_page_says_whose_numbers_its_cards_show(client, rw):
    cells = _all_cells(rw["org"])
    hidden = {c.group.team_id for c in cells if c.group.kind == "team"} - {
        c.group.team_id for c in cells if c.group.kind == "team" and not c.suppressed}
    assert hidden, "the fixture has a team that is always hidden"
    team_id = min(hidden)
    login(client, rw["owner"])
    html = client.get(f"/o/riverside/results/teams/{team_id}").get_data(as_text=True)
    note = re.search(r"<p [^>]*data-team-hidden>(.*?)</p>", html, re.S)
    assert note, "a hidden team's page must not pass another group's numbers off as its own"
    assert f"fewer than {K} responses" in note.group(1) and "the cards below show" in note.group(1)
    assert f'data-group="team:{team_id}"' not in html
    # A team with results of its own gets no such note.
    shown = min({c.group.team_id for c in cells if c.group.kind == "team" and not c.suppressed})
    html = client.get(f"/o/riverside/results/teams/{shown}").get_data(as_text=True)
    assert "data-team-hidden" not in html
