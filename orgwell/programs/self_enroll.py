"""Staff joining a program on their own (programs flagged `self_enroll`).

A self-enrollment is an ordinary enrollment (source "self") in a cohort of one that starts
today, made through the same enrollment service leaders use, so release, reminders and
progress work the same. Services flush; the view commits.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from orgwell.extensions import db
from orgwell.orgs.services import FieldError
from orgwell.programs import enrollment as enrolling
from orgwell.programs.learning import LearningError
from orgwell.programs.models import Enrollment, Program, today


def self_enroll_choices(membership) -> list[Program]:
    """Open programs the person may join: flagged, published, not archived, not joined yet."""
    active = set(db.session.scalars(
        select(Enrollment.program_id).filter_by(membership_id=membership.id, status="active")
    ))
    programs = db.session.scalars(
        select(Program).where(
            Program.organisation_id == membership.organisation_id,
            Program.self_enroll.is_(True),
            Program.archived.is_(False),
        ).order_by(Program.name)
    )
    return [p for p in programs if p.current_version is not None and p.id not in active]


def enroll_self(membership, program: Program, day: date | None = None) -> Enrollment:
    """Enroll `membership` in `program` from `day` (today); releases what is due at once.

    Raises LearningError when the program is not open for joining or they are already in it.
    """
    if program not in self_enroll_choices(membership):
        raise LearningError("This program is not open for you to join.", "program_id")
    day = day or today()
    try:
        result = enrolling.enroll(
            program, start_on=day, membership_ids=[membership.id], source="self",
            created_by=membership.user, name=f"{membership.user.name} (joined on their own)",
            day=day,
        )
    except FieldError as problem:
        raise LearningError(problem.message, "program_id") from problem
    if not result.enrolled:
        raise LearningError("You are already in this program.", "program_id")
    return result.enrolled[0]
