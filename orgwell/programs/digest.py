"""The weekly digest to leaders: overdue and completion counts per team in their scope.

Owners get the whole organisation, leaders their teams (and the teams inside their
clinics). When the organisation hides people from leaders, the groups shown are those the
cohort page and its CSV show (breakdown.team_breakdown: one confidentiality decision), each
hidden one named with the reason. One mail per person and ISO week (key
`programs.digest:<membership>:<year>-W<week>`), so the job may run every hour. Only counts:
no names, no reflections. Flushes.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from orgwell.access import leader_team_ids
from orgwell.extensions import db
from orgwell.notifications.services import queue_mail
from orgwell.orgs.models import Membership
from orgwell.programs.breakdown import team_breakdown
from orgwell.programs.models import Enrollment, Program
from orgwell.programs.progress import current_teams_of, may_see_people, scoped_assignments
from orgwell.programs.release import already_queued, external_url


def week_key(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def send_weekly_digest(day: date) -> int:
    """Queue this week's digest for every owner and leader with enrolled people in scope.

    Returns the number of mails queued now (0 on a repeat run the same week).
    """
    org_ids = db.session.scalars(
        select(Enrollment.organisation_id).where(Enrollment.status.in_(("active", "completed")))
        .distinct()
    ).all()
    queued = 0
    for org_id in sorted(org_ids):
        cohort_ids = _active_cohort_ids(org_id)
        if not cohort_ids:
            continue
        leaders = db.session.scalars(
            select(Membership).where(
                Membership.organisation_id == org_id, Membership.status == "active",
                Membership.role.in_(("owner", "leader")),
            ).order_by(Membership.id)
        )
        for member in leaders:
            queued += _digest_for(member, cohort_ids, day)
    return queued


def _active_cohort_ids(org_id: int) -> list[int]:
    return db.session.scalars(
        select(Enrollment.cohort_id)
        .join(Program, Program.id == Enrollment.program_id)
        .where(Enrollment.organisation_id == org_id, Enrollment.status == "active",
               Program.archived.is_(False))
        .distinct()
    ).all()


def _digest_for(member: Membership, cohort_ids: list[int], day: date) -> int:
    key = f"programs.digest:{member.id}:{week_key(day)}"
    if already_queued(key):
        return 0
    scope = None if member.role == "owner" else leader_team_ids(member)
    if scope is not None and not scope:
        return 0
    assignments = scoped_assignments(cohort_ids, scope)
    if not assignments:
        return 0
    teams_of = current_teams_of({a.membership_id for a in assignments})
    # Leaders who may not see people get no team row that would single someone out.
    hide = not may_see_people(member.organisation_id, member.role)
    found = team_breakdown(assignments, teams_of, scope, day, hide_small=hide)
    org = member.organisation
    queue_mail(
        key, member.user.email, "programs_digest", organisation_id=org.id,
        person=member.user, organisation=org, rows=found.rows,
        total=None if found.total_hidden else found.total, hidden=found.hidden, day=day,
        week=week_key(day), scope_all=scope is None,
        programs_url=external_url("programs.index", slug=org.slug),
    )
    return 1
