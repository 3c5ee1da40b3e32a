"""The figure exports' part: job rows go with the organisation, and so do their files.

An export's ZIP holds only aggregates that passed the confidentiality rules, but it is a copy
of the organisation's results: deleting the organisation deletes the files (after the rows
are gone, see DeletionContext.after), and erasing a person deletes the exports they asked for
(a convenience copy nobody else can open). The organisation export lists the jobs without
their file locations.
"""
from __future__ import annotations

from sqlalchemy import delete, select

from orgwell.extensions import db
from orgwell.metrics.export_files import remove_export_files
from orgwell.metrics.export_models import ExportJob
from orgwell.orgs.models import Organisation
from orgwell.privacy.registry import register
from orgwell.privacy.scope import org_rows


def export_export_jobs(org: Organisation):
    return {
        ExportJob.__tablename__: org_rows(
            org.id, ExportJob.__tablename__, exclude=("file_path", "team_scope")
        )
    }


def erase_export_jobs(ctx) -> None:
    jobs = db.session.scalars(
        select(ExportJob).where(
            ExportJob.organisation_id == ctx.org_id, ExportJob.created_by_id == ctx.user_id
        )
    ).all()
    paths = [job.file_path for job in jobs]
    db.session.execute(delete(ExportJob).where(ExportJob.id.in_([job.id for job in jobs])))
    remove_export_files(paths)


def delete_export_files(ctx) -> None:
    paths = list(db.session.scalars(
        select(ExportJob.file_path).where(ExportJob.organisation_id == ctx.org_id)
    ))
    ctx.after.append(lambda: remove_export_files(paths))


register(
    "metric_exports",
    order=15,
    tables=[ExportJob.__tablename__],
    export=export_export_jobs,
    erase_member=erase_export_jobs,
    delete_org=delete_export_files,
)
