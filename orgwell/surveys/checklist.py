"""The "Survey scheduled" step of the owner's first-run checklist.

Imported by orgwell/surveys/views.py, so that every app built by create_app has the step.
"""
from __future__ import annotations

from sqlalchemy import select

from orgwell.extensions import db
from orgwell.orgs import services as org_services
from orgwell.surveys.models import Campaign


def survey_scheduled(org) -> org_services.ChecklistItem:
    """Done once the organisation has an active campaign (or any campaign that sent a wave)."""
    done = db.session.scalar(
        select(Campaign.id).where(
            Campaign.organisation_id == org.id,
            (Campaign.status == "active") | Campaign.locked_at.is_not(None),
        ).limit(1)
    ) is not None
    return org_services.ChecklistItem(
        "survey", "Survey scheduled", done,
        "Schedule the one-minute monthly burnout check-in for your staff.", "surveys.create",
    )


def register() -> None:
    if survey_scheduled not in org_services.CHECKLIST_STEPS:
        org_services.CHECKLIST_STEPS.append(survey_scheduled)


register()
