"""A person's continuing-education transcript and their program certificates.

The transcript lists the external CE courses the person completed (provider, course number,
hours, completion date) with the total hours; licensing boards ask for exactly these facts.
OrgWell's own modules (readings, reflections, practice logs) carry no CE credit and are not
listed. The facts come from the module version the person completed, so a later edit of the
program never changes a transcript. A certificate exists only for a completed program.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from orgwell.extensions import db
from orgwell.programs.csvsafe import safe_cell
from orgwell.programs.models import Assignment, Enrollment, Module

CSV_COLUMNS = (
    "completed_on", "course_title", "provider", "course_number", "presenter", "level",
    "ce_hours", "program",
)


@dataclass(frozen=True)
class CourseLine:
    completed_on: date
    title: str
    provider: str
    course_number: str
    presenter: str
    level: str
    hours: Decimal
    program: str


@dataclass(frozen=True)
class Transcript:
    person: str
    organisation: str
    lines: list[CourseLine]

    @property
    def total_hours(self) -> Decimal:
        return sum((line.hours for line in self.lines), Decimal("0"))


def transcript_for(membership) -> Transcript:
    """The completed external courses of `membership`, oldest first."""
    rows = db.session.scalars(
        select(Assignment)
        .join(Module, Assignment.module_id == Module.id)
        .where(
            Assignment.membership_id == membership.id,
            Assignment.status == "completed",
            Module.kind == "course",
        )
        .order_by(Assignment.completed_at, Assignment.id)
    )
    return Transcript(
        person=membership.user.name,
        organisation=membership.organisation.name,
        lines=[_line(a) for a in rows],
    )


def _line(assignment: Assignment) -> CourseLine:
    module = assignment.module
    return CourseLine(
        completed_on=assignment.completed_at.date(),
        title=module.title,
        provider=module.provider or "",
        course_number=module.course_number or "",
        presenter=module.presenter or "",
        level=module.level or "",
        hours=Decimal(module.ce_hours or 0),
        program=assignment.enrollment.program.name,
    )


def hours_text(hours: Decimal) -> str:
    """2 -> "2", 1.5 -> "1.5", 0.25 -> "0.25" (no trailing zeros)."""
    text = f"{Decimal(hours).quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def transcript_csv(transcript: Transcript) -> str:
    """The transcript as CSV: one row per course, then a total row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for line in transcript.lines:
        writer.writerow([
            line.completed_on.isoformat(), safe_cell(line.title), safe_cell(line.provider),
            safe_cell(line.course_number), safe_cell(line.presenter), safe_cell(line.level),
            hours_text(line.hours), safe_cell(line.program),
        ])
    writer.writerow(["total", "", "", "", "", "", hours_text(transcript.total_hours), ""])
    return out.getvalue()


@dataclass(frozen=True)
class Certificate:
    person: str
    organisation: str
    program: str
    completed_on: date
    started_on: date
    modules: list[str]  # titles of the completed modules
    ce_hours: Decimal  # CE hours of the external courses among them


def certificate_for(enrollment: Enrollment) -> Certificate | None:
    """The certificate of a completed enrollment; None while it is not completed."""
    if enrollment.status != "completed" or enrollment.completed_on is None:
        return None
    done = [a for a in enrollment.assignments if a.status == "completed"]
    done.sort(key=lambda a: (a.module.position, a.id))
    hours = sum(
        (Decimal(a.module.ce_hours or 0) for a in done if a.module.kind == "course"),
        Decimal("0"),
    )
    membership = enrollment.membership
    return Certificate(
        person=membership.user.name,
        organisation=membership.organisation.name,
        program=enrollment.program.name,
        completed_on=enrollment.completed_on,
        started_on=enrollment.start_on,
        modules=[a.module.title for a in done],
        ce_hours=hours,
    )
