"""The surveys part of a member's home page: what is waiting for them, and until when."""
from __future__ import annotations

from flask import url_for

from orgwell.surveys.my_results import open_surveys


def home_card(membership) -> dict:
    """What the staff home shows about surveys for `membership`.

    Returns {"open": [{"name", "instrument", "minutes", "closes_at", "closes_label",
    "url"}, ...] (soonest
    deadline first), "count", "my_surveys_url"}. Needs a request context (it builds URLs).
    """
    slug = membership.organisation.slug
    surveys = open_surveys(membership)
    return {
        "open": [
            {
                "name": survey.name,
                "instrument": survey.instrument,
                "minutes": survey.minutes,
                "closes_at": survey.closes_at,
                "closes_label": survey.closes_label,
                "url": url_for("surveys_my.answer", slug=slug,
                               invitation_id=survey.invitation_id),
            }
            for survey in surveys
        ],
        "count": len(surveys),
        "my_surveys_url": url_for("surveys_my.index", slug=slug),
    }
