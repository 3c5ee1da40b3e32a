"""What the staff home page shows about a person's learning (rendered by
templates/programs/my/_home_card.html): programs in progress with their percentage, and the
module due next across all of them."""
from __future__ import annotations

from flask import url_for

from orgwell.programs.learning import my_programs, next_due
from orgwell.programs.models import today


def home_card(membership) -> dict:
    """The learning card's data for `membership` (call it in a request: it builds links).

    Returns {"programs": [{"name", "progress", "url"}], "next": {"title", "program", "url",
    "due_on", "when"} or None, "url": the My learning page}.
    """
    slug = membership.organisation.slug
    cards = my_programs(membership, include_finished=False)
    upcoming = next_due([a for card in cards for a in card.assignments])
    return {
        "programs": [
            {"name": card.program.name, "progress": card.progress,
             "url": url_for("learning.index", slug=slug)}
            for card in cards
        ],
        "next": _next(upcoming, slug),
        "url": url_for("learning.index", slug=slug),
    }


def _next(assignment, slug: str) -> dict | None:
    if assignment is None:
        return None
    due = assignment.due_on
    day = today()
    if due is None:
        when = "no due date"
    elif due < day:
        when = f"overdue since {due:%d %b}"
    elif due == day:
        when = "due today"
    else:
        when = f"due {due:%d %b}"
    return {
        "title": assignment.module.title,
        "program": assignment.enrollment.program.name,
        "url": url_for("learning.module", slug=slug, assignment_id=assignment.id),
        "due_on": due,
        "when": when,
    }
