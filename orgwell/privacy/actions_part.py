"""The actions' part (metrics "act on results"): teams' plans go with the organisation.

Actions are plans of a team, not personal data about anyone's answers: the organisation
export carries them whole. A person's own download lists the actions they wrote. Erasing a
person needs nothing here: `created_by_id` moves to the stand-in with every other user
reference (core part), and the final scrub replaces their name wherever a plan's "who" or
notes mention it.
"""
from __future__ import annotations

from sqlalchemy import select

from orgwell.extensions import db
from orgwell.metrics.action_models import Action
from orgwell.orgs.models import Membership, Organisation
from orgwell.privacy.registry import register
from orgwell.privacy.scope import jsonable, org_rows


def export_actions(org: Organisation):
    return {Action.__tablename__: org_rows(org.id, Action.__tablename__)}


def export_my_actions(membership: Membership):
    """The actions this person created in this organisation."""
    actions = db.session.scalars(
        select(Action).where(
            Action.organisation_id == membership.organisation_id,
            Action.created_by_id == membership.user_id,
        ).order_by(Action.id)
    )
    return {
        "actions_created": [
            {"team": a.team.label, "what": a.title, "who": a.owner_text,
             "due_on": jsonable(a.due_on), "started_on": jsonable(a.started_on),
             "status": a.status, "notes": a.notes}
            for a in actions
        ],
    }


register(
    "actions",
    order=30,
    tables=[Action.__tablename__],
    export=export_actions,
    export_member=export_my_actions,
)
