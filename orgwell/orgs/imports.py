"""Staff imports: an uploaded CSV file becomes an ImportJob, which the worker then runs.

The life of a job: `prepare_import` stores the validated rows (status "preview", only when
the whole file is valid); `confirm_import` queues it once; `run_import` creates the teams,
people and invitations, yielding after each batch so that its caller commits and the
progress page moves. Services flush but never commit.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from orgwell.audit.services import record
from orgwell.auth.models import User
from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.orgs.importer import RowError, StaffRow, new_team_names, parse_staff_csv
from orgwell.orgs.models import ImportJob, Membership, Organisation, Team
from orgwell.orgs.services import FieldError, create_team
from orgwell.orgs.staff import add_person

BATCH_SIZE = 100
FINISHED = ("done", "failed")


@dataclass(frozen=True)
class CheckedFile:
    """A parsed upload: valid rows, or errors (then nothing may be imported)."""

    rows: list[StaffRow]
    errors: list[RowError]
    new_teams: list[str]


def check_staff_file(org: Organisation, data: bytes) -> CheckedFile:
    """Validate a staff CSV against the organisation's current members and teams."""
    members = db.session.scalars(
        select(User.email)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == org.id)
    )
    rows, errors = parse_staff_csv(data, member_emails=set(members))
    teams = db.session.scalars(select(Team.name).filter_by(organisation_id=org.id))
    return CheckedFile(rows, errors, new_team_names(rows, teams))


def prepare_import(
    org: Organisation, filename: str, data: bytes, created_by: User | None = None
) -> tuple[ImportJob | None, CheckedFile]:
    """Check an upload; when it is entirely valid, store it as an ImportJob awaiting review.

    Returns (job, checked); job is None when the file has errors. Flushes.
    """
    checked = check_staff_file(org, data)
    if checked.errors:
        return None, checked
    job = ImportJob(
        organisation_id=org.id,
        created_by_id=created_by.id if created_by else None,
        filename=(filename or "staff.csv")[:255],
        status="preview",
        rows=[row.to_json() for row in checked.rows],
        new_teams=checked.new_teams,
        total=len(checked.rows),
        processed=0,
    )
    db.session.add(job)
    db.session.flush()
    record("staff_import_uploaded", target=job, organisation_id=org.id, rows=job.total)
    return job, checked


def get_import_job(org: Organisation, job_id: int) -> ImportJob | None:
    """The job `job_id` when it belongs to `org` (another organisation's job is None)."""
    job = db.session.get(ImportJob, job_id)
    return job if job is not None and job.organisation_id == org.id else None


def recent_import_jobs(org: Organisation, limit: int = 5) -> list[ImportJob]:
    return list(db.session.scalars(
        select(ImportJob).filter_by(organisation_id=org.id)
        .order_by(ImportJob.created_at.desc(), ImportJob.id.desc()).limit(limit)
    ))


def confirm_import(job: ImportJob) -> bool:
    """Move a previewed job to "queued"; False when it was confirmed before (no new run).

    The conditional UPDATE makes a double click, or two owners at once, queue it only once.
    The caller commits, then hands the job id to the worker.
    """
    if not _move(job, "preview", "queued"):
        return False
    record("staff_import_confirmed", target=job, organisation_id=job.organisation_id)
    return True


def run_import(job_id: int, batch_size: int = BATCH_SIZE) -> Iterator[ImportJob]:
    """Run a queued import; a generator that yields the job whenever the caller should commit.

    Creates the missing teams, then for each row the user (if new), membership, team
    assignment and invitation. `processed` counts the rows done; since it is committed
    with them, a run that stopped half-way (a worker lost) resumes where it stopped. A job
    that is done, failed or still in preview is left alone, so running twice is harmless.
    If a person in the file became a member after the preview, nothing is imported and
    the job fails with a message.
    """
    job = db.session.get(ImportJob, job_id)
    if job is None or job.status not in ("queued", "running"):
        return
    org = db.session.get(Organisation, job.organisation_id)
    inviter = db.session.get(User, job.created_by_id) if job.created_by_id else None
    if job.status == "queued":
        if not _move(job, "queued", "running"):  # a duplicate delivery finds it taken
            return
        clash = _already_members(org, [row["email"] for row in job.rows])
        if clash:
            _finish(job, "failed", error=(
                f"{len(clash)} people in the file became members after the preview "
                f"({', '.join(clash[:5])}{', …' if len(clash) > 5 else ''}). Nothing was "
                "imported: upload the file again."
            )[:500])
            yield job
            return
        job.new_teams = _create_missing_teams(org, job.rows)
        db.session.flush()
        yield job
    teams = {t.name.lower(): t for t in db.session.scalars(
        select(Team).filter_by(organisation_id=org.id)
    )}
    for index in range(job.processed, job.total):
        _import_row(org, StaffRow.from_json(job.rows[index]), teams, inviter)
        job.processed = index + 1
        if job.processed % batch_size == 0 and job.processed < job.total:
            db.session.flush()
            yield job
    _finish(job, "done")
    record(
        "staff_imported", target=job, organisation_id=org.id, actor_id=job.created_by_id,
        people=job.total, new_teams=len(job.new_teams),
    )
    db.session.flush()
    yield job


def stalled_import_ids(older_than: timedelta = timedelta(minutes=1)) -> list[int]:
    """Jobs confirmed a while ago that no worker has started: their task was lost.

    Queueing one of them again is safe: a run first claims the job (queued -> running),
    so a duplicate delivery finds it taken and does nothing.
    """
    return list(db.session.scalars(
        select(ImportJob.id)
        .where(ImportJob.status == "queued", ImportJob.created_at < utcnow() - older_than)
        .order_by(ImportJob.id)
    ))


def fail_import(job_id: int, message: str) -> None:
    """Mark a job failed after an unexpected error (the caller rolled back first)."""
    job = db.session.get(ImportJob, job_id)
    if job is None or job.status in FINISHED:
        return
    _finish(job, "failed", error=message[:500])
    record("staff_import_failed", target=job, organisation_id=job.organisation_id,
           actor_id=job.created_by_id, processed=job.processed)
    db.session.flush()


def import_progress(job: ImportJob) -> dict:
    """What the progress page polls: status, counts, percentage and any error."""
    percent = 100 if job.status == "done" else (
        int(job.processed * 100 / job.total) if job.total else 0
    )
    return {
        "id": job.id,
        "status": job.status,
        "processed": job.processed,
        "total": job.total,
        "percent": percent,
        "error": job.error,
        "finished": job.status in FINISHED,
    }


def _move(job: ImportJob, from_status: str, to_status: str) -> bool:
    """Change the job's status only if it is still `from_status`; True for the one winner.

    A conditional UPDATE, so that two callers at once (a double click, a duplicate task
    delivery) cannot both win.
    """
    result = db.session.execute(
        update(ImportJob)
        .where(ImportJob.id == job.id, ImportJob.status == from_status)
        .values(status=to_status)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(job)
    return result.rowcount == 1


def _already_members(org: Organisation, emails: list[str]) -> list[str]:
    found: set[str] = set()
    wanted = sorted(set(emails))
    for start in range(0, len(wanted), 500):  # stay under SQLite's bound-parameter limit
        found.update(db.session.scalars(
            select(User.email)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == org.id, User.email.in_(wanted[start:start + 500]))
        ))
    return sorted(found)


def _create_missing_teams(org: Organisation, rows: list[dict]) -> list[str]:
    """Create the teams named in `rows` that do not exist (yet), as clinics; their names."""
    existing = db.session.scalars(select(Team.name).filter_by(organisation_id=org.id))
    names = new_team_names((StaffRow.from_json(row) for row in rows), existing)
    for name in names:
        create_team(org, name)
    return names


def _import_row(org: Organisation, row: StaffRow, teams: dict[str, Team], inviter) -> None:
    team_ids = []
    if row.team:
        team = teams.get(row.team.lower())
        if team is None:  # renamed away since the run began: recreate rather than lose it
            team = teams[row.team.lower()] = create_team(org, row.team)
        team_ids.append(team.id)
    try:
        add_person(
            org, name=row.name, email=row.email, team_ids=team_ids, role=row.role,
            job_title=row.job_title, patient_facing=row.patient_facing,
            start_date=row.start_date, invited_by=inviter,
        )
    except FieldError as problem:
        if problem.field != "email":
            raise
        # Already a member: added by hand while the import ran. Their record stays as is.


def _finish(job: ImportJob, status: str, error: str | None = None) -> None:
    job.status = status
    job.error = error
    job.finished_at = utcnow()

