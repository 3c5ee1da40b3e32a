"""Figure exports (PNG or PDF through kaleido) that the worker renders while the user waits.

An `ExportJob` remembers what was asked (format, the results filters as a query string, and
the caller's scope at the time: a leader's teams), how far the worker got (`processed` of
`total` figures) and where the finished ZIP lies (`file_path`, inside the instance folder).
The scope is stored, not recomputed, so the file shows exactly what the page showed; every
number still comes through `orgwell.metrics.queries`.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from orgwell.database import UTCDateTime, utcnow
from orgwell.extensions import db

EXPORT_FORMATS = ("png", "pdf")
EXPORT_STATUSES = ("queued", "running", "done", "failed")


class ExportJob(db.Model):
    """One request for the figures of a results page as image or PDF files."""

    __tablename__ = "metric_export_jobs"
    __table_args__ = (
        CheckConstraint("format in ('png', 'pdf')", name="export_format_known"),
        CheckConstraint(
            "status in ('queued', 'running', 'done', 'failed')", name="export_status_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    format: Mapped[str] = mapped_column(String(4))
    # The results filters as the page had them ("scale=work&team=3"), parsed again by the job.
    query: Mapped[str] = mapped_column(String(500), default="")
    # The caller's team scope when they asked: a list of team ids (leaders), or None (all).
    team_scope: Mapped[list | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    total: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(String(500))
    file_path: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")
