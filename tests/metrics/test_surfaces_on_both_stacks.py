"""Every results surface answers on both databases: SQLite (embedded) and PostgreSQL.

The other page tests run on SQLite; PostgreSQL differs in ways that only show at run time
(it cannot compare JSON columns in a DISTINCT, for one), so each surface is requested once
on the services stack too. No worker is needed: rollups are written as the waves close.
"""
from __future__ import annotations

from orgwell.auth.services import create_api_token
from orgwell.extensions import db
from orgwell.metrics import dashboard
from tests.metrics.results_fixtures import login, results_world


def test_every_results_surface_answers(worker_app):
    world = results_world()
    team = world["practice"].teams[0]
    client = worker_app.test_client()
    login(client, world["owner"])
    base = "/o/riverside/results"
    pages = [f"{base}/", f"{base}/teams/{team.id}", f"{base}/results.csv",
             f"{base}/present", f"{base}/report.html", f"{base}/?scale=personal&from=2020-01-01"]
    pages += [f"{base}/figures/{name}.json" for name in dashboard.PANEL_NAMES]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    token = create_api_token(world["owner"], "metrics")
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    burnout = client.get("/api/v1/orgs/riverside/metrics/burnout?instrument=cbi-work&scale=work",
                         headers=headers)
    assert burnout.status_code == 200 and burnout.get_json()["series"]
    participation = client.get("/api/v1/orgs/riverside/metrics/participation", headers=headers)
    assert participation.status_code == 200 and participation.get_json()["series"]


def test_odd_digits_in_filters_are_dropped_not_a_500(worker_app):
    world = results_world()
    client = worker_app.test_client()
    login(client, world["owner"])
    for value in ("²", "٣", "1²", "𝟘"):
        response = client.get(f"/o/riverside/results/?team={value}")
        assert response.status_code == 200, value
        assert "left out" in response.get_data(as_text=True)
