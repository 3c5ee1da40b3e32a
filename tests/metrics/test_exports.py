"""PNG/PDF exports: a real worker draws the figures with the system Chromium into a ZIP the
user downloads; a missing Chromium fails the job with a message that says what to install."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select

from orgwell.extensions import db
from orgwell.metrics import exports
from orgwell.metrics.export_models import ExportJob
from tests.browser.conftest import CHROMIUM
from tests.metrics.results_fixtures import login, results_world
from worker.exports import run_export

OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "browser" / "metrics"


def test_a_missing_chromium_fails_the_job_with_an_install_hint(app, client, db, tmp_path):
    world = results_world()
    app.config["CHROMIUM_PATH"] = str(tmp_path / "no-such-chromium")
    login(client, world["owner"])
    # No worker runs here, so the job waits; the task body is then called directly.
    response = client.post("/o/riverside/results/exports",
                           data={"format": "png", "query": "scale=work"})
    assert response.status_code == 302
    job = db.session.scalar(select(ExportJob))
    assert job.status == "queued" and job.query == "scale=work"
    progress = client.get(response.headers["Location"])
    assert "Drawing the figures" in progress.get_data(as_text=True)

    run_export.run(job.id)
    db.session.expire_all()
    job = db.session.get(ExportJob, job.id)
    assert job.status == "failed"
    assert "Chromium" in job.error and "apt-get install chromium" in job.error
    status = client.get(f"/o/riverside/results/exports/{job.id}/status").get_json()
    assert status["finished"] and status["status"] == "failed"
    page = client.get(f"/o/riverside/results/exports/{job.id}").get_data(as_text=True)
    assert "not installed on the server" in page
    assert client.get(f"/o/riverside/results/exports/{job.id}/download").status_code == 404


def test_an_export_is_visible_only_to_the_person_who_asked(client, db):
    world = results_world()
    job = exports.create_export(world["org"], world["owner"], "pdf", "", None)
    db.session.commit()
    login(client, world["consultant"])
    assert client.get(f"/o/riverside/results/exports/{job.id}").status_code == 404
    assert client.get(f"/o/riverside/results/exports/{job.id}/status").status_code == 404


def test_bad_export_requests_change_nothing(client, db):
    world = results_world()
    login(client, world["owner"])
    response = client.post("/o/riverside/results/exports", data={"format": "gif"})
    assert response.status_code == 302
    assert db.session.scalar(select(ExportJob)) is None


@pytest.mark.skipif(not __import__("os").path.exists(CHROMIUM), reason="needs /usr/bin/chromium")
def test_the_worker_draws_every_figure_into_a_zip(worker_app, celery_worker):
    world = results_world()
    client = worker_app.test_client()
    login(client, world["leader"])
    response = client.post("/o/riverside/results/exports",
                           data={"format": "png", "query": "scale=work"})
    assert response.status_code == 302
    job_id = db.session.scalar(select(ExportJob.id))

    def finished():
        db.session.expire_all()
        job = db.session.get(ExportJob, job_id)
        return job if job.status in ("done", "failed") else None

    job = celery_worker.wait_until(finished, timeout=120, what="the export to finish")
    assert job.status == "done", job.error
    assert job.processed == job.total == 5
    assert job.team_scope is not None  # the leader's scope went with the job
    download = client.get(f"/o/riverside/results/exports/{job_id}/download")
    assert download.status_code == 200
    data = download.data
    download.close()
    archive = zipfile.ZipFile(io.BytesIO(data))
    pngs = sorted(n for n in archive.namelist() if n.endswith(".png"))
    assert pngs == ["01-exhaustion.png", "02-share-high.png", "03-participation.png",
                    "04-heatmap.png", "05-impact.png"]
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for name in pngs:
        assert archive.read(name)[:8] == b"\x89PNG\r\n\x1a\n"
        (OUTPUT / f"export-{name}").write_bytes(archive.read(name))  # to look at
    readme = archive.read("README.txt").decode()
    assert "fewer than 5 respondents" in readme
    # Running the task again (a duplicate delivery) leaves the finished job alone.
    run_export.delay(job_id)
    celery_worker.wait_until(lambda: True)
    assert finished().status == "done"
