"""The staff CSV import pages: upload and check, preview, confirm, progress.

A blueprint nested in `orgs` (endpoints `orgs.imports.*`, under /o/<slug>/staff/import), so
the access hook resolves the organisation as for every other organisation page. Owners only.
"""
from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask_login import current_user

from orgwell.access import OWNER, allow
from orgwell.extensions import db
from orgwell.job_queue import enqueue_job
from orgwell.orgs import imports
from orgwell.orgs.forms import ActionForm, ImportUploadForm
from orgwell.orgs.importer import COLUMNS, MAX_ROWS, StaffRow
from orgwell.orgs.models import ImportJob
from worker.staff import run_import

bp = Blueprint("imports", __name__, url_prefix="/staff/import")


@bp.route("/", methods=["GET", "POST"])
@allow(OWNER)
def upload(slug):
    form = ImportUploadForm()
    checked = None
    if form.validate_on_submit():
        upload = form.file.data
        # Browsers may send a path; only its last part is worth showing back.
        filename = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1]
        job, checked = imports.prepare_import(
            g.org, filename, upload.read(), current_user._get_current_object()
        )
        if job is not None:
            db.session.commit()
            return redirect(url_for("orgs.imports.job", slug=slug, job_id=job.id))
    return render_template(
        "orgs/import_upload.html", form=form, checked=checked, columns=COLUMNS,
        max_rows=MAX_ROWS, recent=imports.recent_import_jobs(g.org),
    )


@bp.get("/<int:job_id>")
@allow(OWNER)
def job(slug, job_id):
    job = _job(job_id)
    rows = [StaffRow.from_json(row) for row in job.rows] if job.status == "preview" else []
    return render_template(
        "orgs/import_job.html", job=job, rows=rows, new_teams={n.lower() for n in job.new_teams},
        progress=imports.import_progress(job), action_form=ActionForm(),
    )


@bp.post("/<int:job_id>/confirm")
@allow(OWNER)
def confirm(slug, job_id):
    job = _job(job_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if imports.confirm_import(job):
        db.session.commit()
        _enqueue(job.id)
        flash("The import has started.", "success")
    else:
        flash("This import was confirmed already; it runs only once.", "info")
    return redirect(url_for("orgs.imports.job", slug=slug, job_id=job.id))


@bp.get("/<int:job_id>/status")
@allow(OWNER)
def status(slug, job_id):
    return imports.import_progress(_job(job_id))


def _job(job_id: int) -> ImportJob:
    """The job of g.org, or 404: another organisation's jobs do not exist for the caller."""
    job = imports.get_import_job(g.org, job_id)
    if job is None:
        abort(404)
    return job


def _enqueue(job_id: int) -> None:
    enqueue_job(run_import, job_id, "import")
