"""Exports of a results view: CSV of the aggregates as shown, PNG/PDF figures via kaleido.

CSV is built while the user waits: one row per cell of the view (survey results, participation,
program completion) with hidden cells included, numbers left empty and the reason given, so the
file says exactly what the page says and nothing more. Survey rows name their wave by id and
campaign besides its date (two campaigns may open waves on the same day). Labels are guarded
against spreadsheet formula injection (a team named "=HYPERLINK(...)").

PNG and PDF go through kaleido, which drives the system Chromium (CHROMIUM_PATH, default
/usr/bin/chromium; never a downloaded browser). Rendering takes seconds, so it is an
`ExportJob` run by the worker (worker/exports.py) while a progress page polls
`export_progress`. The job re-reads the figures through `dashboard.build_results` with the
filters and scope stored at request time. A missing Chromium fails the job with a message
that says what to install. Services flush; the task commits (after each figure, through
`on_progress`, so the progress bar moves).
"""
from __future__ import annotations

import asyncio
import csv
import io
import os
import tempfile
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select, update
from werkzeug.datastructures import MultiDict

from orgwell.audit.services import record
from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.metrics import dashboard
from orgwell.metrics.export_files import export_folder
from orgwell.metrics.export_models import EXPORT_FORMATS, ExportJob
from orgwell.metrics.filters import parse_filters
from orgwell.orgs.models import Organisation

FINISHED = ("done", "failed")
STALLED_AFTER = timedelta(minutes=1)
IMAGE_SIZE = {"width": 1100, "height": 620}
CSV_COLUMNS = (
    "table", "group", "group_kind", "date", "wave_id", "campaign", "n", "mean", "sd", "ci_low",
    "ci_high", "pct_high", "invited", "responded", "response_rate", "released", "completed",
    "overdue", "completion_rate", "suppressed", "reason",
)


class ChromiumMissing(RuntimeError):
    """The configured Chromium is not there: figures cannot be drawn as images."""


def chromium_path() -> str:
    return current_app.config["CHROMIUM_PATH"]


def chromium_missing_message(path: str) -> str:
    return (f"Images and PDFs need the Chromium browser, which is not installed on the server "
            f"(looked for {path}). Ask your administrator to install it (on Debian or Ubuntu: "
            f"apt-get install chromium) or to set ORGWELL_CHROMIUM_PATH. The CSV and the HTML "
            f"report work without it.")


# --- CSV ----------------------------------------------------------------------------------------

def results_csv(results: dashboard.Results) -> str:
    """The aggregates of a results view as CSV text, hidden cells included with their reason."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for c in results.cells:
        writer.writerow(_row(
            table=f"{results.scale_name} ({results.parsed.filters.instrument})", cell=c,
            date=c.wave_date, wave_id=c.wave_id, campaign=_safe(c.campaign), n=c.n,
            mean=_r(c.mean), sd=_r(c.sd), ci_low=_r(c.ci_low), ci_high=_r(c.ci_high),
            pct_high=_r(c.pct_high),
        ))
    for c in results.participation_cells:
        writer.writerow(_row(
            table="Survey participation", cell=c, date=c.wave_date, wave_id=c.wave_id,
            campaign=_safe(c.campaign), invited=c.invited,
            responded=c.responded, response_rate=_r(None if c.rate is None else c.rate * 100),
        ))
    for c in results.completion_cells:
        writer.writerow(_row(
            table="Program completion (week starting)", cell=c, date=c.week_start,
            released=c.released, completed=c.completed, overdue=c.overdue,
            completion_rate=_r(None if c.rate is None else c.rate * 100),
        ))
    return out.getvalue()


def _row(*, table: str, cell, **values) -> list:
    suppressed = bool(getattr(cell, "suppressed", False))
    values.update(
        table=table, group=_safe(cell.group.label), group_kind=cell.group.kind,
        suppressed="yes" if suppressed else "no", reason=getattr(cell, "reason", None) or "",
    )
    values["date"] = values["date"].isoformat()
    return ["" if values.get(col) is None else values[col] for col in CSV_COLUMNS]


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _safe(text: str) -> str:
    """Keep a spreadsheet from running a label as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# --- PNG / PDF jobs -----------------------------------------------------------------------------

def create_export(org: Organisation, user, fmt: str, query: str,
                  team_scope: set[int] | None) -> ExportJob:
    """A queued export of the view described by `query` (the page's filters). Flushes."""
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    job = ExportJob(
        organisation_id=org.id, created_by_id=getattr(user, "id", None), format=fmt,
        query=query[:500], team_scope=sorted(team_scope) if team_scope is not None else None,
        status="queued", total=len(dashboard.PANEL_NAMES),
    )
    db.session.add(job)
    db.session.flush()
    record("metrics_export_requested", target=job, organisation_id=org.id,
           actor_id=getattr(user, "id", None), format=fmt)
    return job


def export_progress(job: ExportJob) -> dict:
    """What the progress page polls."""
    percent = 100 if job.status == "done" else (
        int(job.processed * 100 / job.total) if job.total else 0
    )
    return {
        "id": job.id, "status": job.status, "format": job.format, "processed": job.processed,
        "total": job.total, "percent": percent, "error": job.error,
        "finished": job.status in FINISHED,
    }


def run_export(job_id: int, on_progress: Callable[[], None] = lambda: None) -> None:
    """Render the job's figures into one ZIP. Idempotent: a finished job is left alone, a job
    left "running" by a lost worker is rendered again (the file is replaced atomically).

    Raises ChromiumMissing (after marking the job failed) when Chromium is not installed.
    """
    job = db.session.get(ExportJob, job_id)
    if job is None or job.status in FINISHED:
        return
    db.session.execute(
        update(ExportJob).where(ExportJob.id == job.id, ExportJob.status.in_(("queued", "running")))
        .values(status="running", processed=0).execution_options(synchronize_session=False)
    )
    db.session.refresh(job)
    on_progress()
    path = chromium_path()
    if not Path(path).is_file() or not os.access(path, os.X_OK):
        fail_export(job.id, chromium_missing_message(path))
        on_progress()
        raise ChromiumMissing(path)
    results = _results_of(job)
    job.total = len(results.panels)
    target = export_folder(job.organisation_id) / f"figures-{job.id}.{job.format}.zip"
    with tempfile.TemporaryDirectory(prefix="orgwell-export-") as tmp:
        files = asyncio.run(_render(results.panels, Path(tmp), job, path, on_progress))
        partial = target.with_suffix(".partial")
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
            for file in files:
                archive.write(file, file.name)
            archive.writestr("README.txt", _readme(results))
        partial.replace(target)
    job.file_path = str(target)
    job.status, job.finished_at, job.processed = "done", utcnow(), job.total
    record("metrics_export_done", target=job, organisation_id=job.organisation_id,
           actor_id=job.created_by_id, format=job.format)
    db.session.flush()


async def _render(panels, folder: Path, job: ExportJob, path: str, on_progress) -> list[Path]:
    import kaleido
    from choreographer.errors import ChromeNotFoundError

    files = []
    try:
        async with kaleido.Kaleido(path=path, mathjax=False) as k:
            for number, panel in enumerate(panels, start=1):
                file = folder / f"{number:02d}-{panel.name}.{job.format}"
                opts = {"format": job.format, **IMAGE_SIZE}
                if job.format == "png":
                    opts["scale"] = 2
                await k.write_fig(panel.figure, path=str(file), opts=opts)
                files.append(file)
                job.processed = number
                db.session.flush()
                on_progress()
    except ChromeNotFoundError as error:
        raise ChromiumMissing(path) from error
    return files


def _results_of(job: ExportJob) -> dashboard.Results:
    from orgwell.metrics.actions import actions_for

    org = db.session.get(Organisation, job.organisation_id)
    scope = set(job.team_scope) if job.team_scope is not None else None
    choices = dashboard.choices_for(org, scope)
    args = MultiDict(_parse_query(job.query))
    parsed = parse_filters(args, choices)
    return dashboard.build_results(org, parsed, choices, team_scope=scope,
                                   actions=actions_for(org, scope))


def _parse_query(query: str) -> list[tuple[str, str]]:
    from urllib.parse import parse_qsl

    return parse_qsl(query or "", keep_blank_values=False)


def _readme(results: dashboard.Results) -> str:
    lines = [
        f"{results.org.name}: {results.scale_name}",
        f"Groups of fewer than {results.k} respondents are hidden to protect confidentiality.",
        "",
    ]
    for number, panel in enumerate(results.panels, start=1):
        lines += [f"{number:02d}-{panel.name}: {panel.title}", f"   {panel.headline}", ""]
    return "\n".join(lines)


def fail_export(job_id: int, message: str) -> None:
    """Mark a job failed with a message for the person who asked (flushes)."""
    job = db.session.get(ExportJob, job_id)
    if job is None or job.status in FINISHED:
        return
    job.status, job.error, job.finished_at = "failed", message[:500], utcnow()
    record("metrics_export_failed", target=job, organisation_id=job.organisation_id,
           actor_id=job.created_by_id)
    db.session.flush()


def stalled_export_ids() -> list[int]:
    """Queued jobs older than STALLED_AFTER: their hand-off to the worker was lost."""
    return list(db.session.scalars(
        select(ExportJob.id).where(
            ExportJob.status == "queued", ExportJob.created_at < utcnow() - STALLED_AFTER
        )
    ))
