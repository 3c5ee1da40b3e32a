"""Programs' reactions to people joining teams, going on leave, coming back and leaving.

`create_app` calls `register_program_hooks`, so the web app and the worker (both built by
it) react the same way; importing this module changes nothing. It also adds the "Program
chosen" step to the owner's checklist. Both lists are process-wide and tests build many
apps, so registering is idempotent.
"""
from __future__ import annotations

from sqlalchemy import func, select

from orgwell.extensions import db
from orgwell.orgs import services as org_services
from orgwell.orgs.events import subscribe
from orgwell.programs import enrollment
from orgwell.programs.models import Cohort, Program


def on_membership_event(event: str, membership, **details) -> None:
    if event == "joined_teams":
        enrollment.enroll_joiner(membership, details["team_ids"], details["on"])
    elif event == "leave_started":
        enrollment.start_leave(membership, details["on"])
    elif event == "leave_ended":
        enrollment.end_leave(membership, details["on"])
    elif event == "left":
        enrollment.close_for_leaver(membership, details["on"])


def program_chosen(org) -> org_services.ChecklistItem:
    """Checklist step: a program exists and someone is enrolled in it."""
    programs = db.session.scalar(select(func.count(Program.id)).filter_by(organisation_id=org.id))
    cohorts = db.session.scalar(select(func.count(Cohort.id)).filter_by(organisation_id=org.id))
    return org_services.ChecklistItem(
        "program", "Program chosen", bool(programs and cohorts),
        "Copy a ready program from the library and enroll a team.", "programs.index",
    )


def register_program_hooks(app=None) -> None:
    """Subscribe to membership events and add the checklist step, once per process."""
    subscribe(on_membership_event)
    if program_chosen not in org_services.CHECKLIST_STEPS:
        org_services.CHECKLIST_STEPS.append(program_chosen)

