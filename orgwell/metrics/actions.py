"""Acting on results: a team's plan (what, who, by when) and, in the same step, a program.

An action belongs to one team. Creating it may enroll the team in one of the organisation's
published programs, or in a library template copied for the occasion (the organisation's
existing copy of that template is reused, so acting twice does not make two programs). The
enrollment goes through `orgwell.programs.enrollment.enroll`, with the caller's team scope,
so a leader can act only for teams they lead. Survey waves of the team's campaigns that open
after the action are its follow-up; `actions_for` gives the dashboards the actions to mark on
their time axis. Services flush; the caller commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select

from orgwell.audit.services import record
from orgwell.extensions import db
from orgwell.metrics.action_models import ACTION_STATUSES, Action
from orgwell.orgs.models import Organisation, Team
from orgwell.orgs.services import FieldError
from orgwell.programs import enrollment, library
from orgwell.programs.models import Program, today
from orgwell.surveys.models import Campaign, CampaignTeam, Wave

NO_PROGRAM = ""
PROGRAM_PREFIX = "program:"
TEMPLATE_PREFIX = "template:"
# Enrollment must start within this many days of the action (as on the enroll page).
MAX_START_DAYS = 365


@dataclass(frozen=True)
class Plan:
    """What a form (or the demo) gives to create or change an action."""

    title: str
    owner_text: str
    due_on: date | None
    notes: str = ""


def program_choices(org: Organisation) -> list[tuple[str, str]]:
    """(value, label) of what a team may be enrolled in: the organisation's published programs,
    then library templates the organisation has no copy of yet ("copied when you save")."""
    programs = [
        p for p in db.session.scalars(
            select(Program).where(Program.organisation_id == org.id,
                                  Program.archived.is_(False)).order_by(Program.name)
        )
        if p.current_version is not None
    ]
    copied = {p.copied_from for p in programs if p.copied_from}
    options = [(f"{PROGRAM_PREFIX}{p.id}", p.name) for p in programs]
    options += [
        (f"{TEMPLATE_PREFIX}{t.key}", f"{t.name} (from the library: copied when you save)")
        for t in library.list_templates() if t.key not in copied
    ]
    return options


def accepted_choices(org: Organisation) -> set[str]:
    """Every program choice a submitted form may carry: those offered now, plus every library
    template (a page opened before someone copied the template still works: the copy is used).
    """
    values = {value for value, _label in program_choices(org)}
    return values | {f"{TEMPLATE_PREFIX}{t.key}" for t in library.list_templates()} | {NO_PROGRAM}


def resolve_program(org: Organisation, choice: str, *, created_by=None) -> Program | None:
    """The program a choice names, copying a library template into `org` when needed.

    Returns None for "no program". Raises FieldError("program") for anything not offered by
    `program_choices`. Flushes (when it copies).
    """
    choice = (choice or "").strip()
    if choice == NO_PROGRAM:
        return None
    if choice.startswith(PROGRAM_PREFIX) and choice[len(PROGRAM_PREFIX):].isascii() \
            and choice[len(PROGRAM_PREFIX):].isdigit():
        program = db.session.get(Program, int(choice[len(PROGRAM_PREFIX):]))
        if (program is None or program.organisation_id != org.id or program.archived
                or program.current_version is None):
            raise FieldError("program", "Choose one of the programs listed.")
        return program
    if choice.startswith(TEMPLATE_PREFIX):
        key = choice[len(TEMPLATE_PREFIX):]
        if library.get_template(key) is None:
            raise FieldError("program", "Choose one of the programs listed.")
        existing = db.session.scalar(
            select(Program).where(Program.organisation_id == org.id, Program.copied_from == key,
                                  Program.archived.is_(False)).order_by(Program.id)
        )
        if existing is not None and existing.current_version is not None:
            return existing
        return library.copy_template(org, key, created_by=created_by)
    raise FieldError("program", "Choose one of the programs listed.")


def check_plan(plan: Plan, *, started_on: date) -> None:
    """The rules of a plan, whatever form or script made it; raises FieldError."""
    if not (plan.title or "").strip():
        raise FieldError("title", "Say what the team will do.")
    if len(plan.title) > 200:
        raise FieldError("title", "Keep it under 200 characters.")
    if len(plan.owner_text or "") > 200:
        raise FieldError("owner_text", "Keep it under 200 characters.")
    if plan.due_on is not None and plan.due_on < started_on:
        raise FieldError("due_on", "Choose a date on or after the day the action was decided.")
    if len(plan.notes or "") > 5000:
        raise FieldError("notes", "Keep the notes under 5,000 characters.")


def create_action(
    org: Organisation,
    team: Team,
    plan: Plan,
    *,
    program_choice: str = NO_PROGRAM,
    start_on: date | None = None,
    team_scope: set[int] | None = None,
    created_by=None,
    started_on: date | None = None,
    notify: bool = True,
) -> Action:
    """Create `team`'s action and, when a program is chosen, enroll the team in it.

    `team_scope` is the caller's (a leader's teams; None for owners and consultants): the
    team and the enrollment must lie inside it. `start_on` is the enrollment's start date
    (required with a program). `started_on` is the day the action was decided (today by
    default; the demo passes past dates). Raises FieldError (field names match the form:
    title, owner_text, due_on, notes, program, start_on); the caller then rolls back, so
    nothing changes (a template copied on the way goes too). Flushes.
    """
    started_on = started_on or today()
    if team.organisation_id != org.id or (team_scope is not None and team.id not in team_scope):
        raise FieldError("team_id", "Choose a team you lead.")
    check_plan(plan, started_on=started_on)
    cohort = None
    if (program_choice or "").strip() != NO_PROGRAM:
        if start_on is None:
            raise FieldError("start_on", "Choose when the program starts.")
        if abs((start_on - started_on).days) > MAX_START_DAYS:
            raise FieldError("start_on", "Choose a start date within a year.")
        # Scope was checked above, so enrolling after a template copy does not fail on it;
        # should it fail anyway, the caller rolls back (the copy goes too).
        program = resolve_program(org, program_choice, created_by=created_by)
        result = enrollment.enroll(
            program, start_on=start_on, team_ids=[team.id], auto_enroll_joiners=True,
            team_scope=team_scope, created_by=created_by, notify=notify,
            name=f"{team.name} · {plan.title}"[:120],
        )
        cohort = result.cohort
    action = Action(
        organisation_id=org.id, team_id=team.id, title=plan.title.strip(),
        owner_text=(plan.owner_text or "").strip(), due_on=plan.due_on,
        notes=(plan.notes or "").strip(), started_on=started_on, status="open",
        cohort_id=cohort.id if cohort else None, created_by_id=getattr(created_by, "id", None),
    )
    db.session.add(action)
    db.session.flush()
    record("action_created", target=action, organisation_id=org.id,
           actor_id=getattr(created_by, "id", None), team_id=team.id,
           cohort_id=action.cohort_id)
    return action


def update_plan(action: Action, plan: Plan, *, changed_by=None) -> None:
    """Change what, who, by when and the notes. Raises FieldError. Flushes."""
    check_plan(plan, started_on=action.started_on)
    action.title = plan.title.strip()
    action.owner_text = (plan.owner_text or "").strip()
    action.due_on = plan.due_on
    action.notes = (plan.notes or "").strip()
    db.session.flush()
    record("action_updated", target=action, organisation_id=action.organisation_id,
           actor_id=getattr(changed_by, "id", None))


def set_status(action: Action, status: str, *, changed_by=None, day: date | None = None) -> None:
    """Mark an action open, done or dropped (done/dropped remember the day). Flushes."""
    if status not in ACTION_STATUSES:
        raise FieldError("status", "Choose open, done or dropped.")
    if status == action.status:
        return
    action.status = status
    action.closed_on = None if status == "open" else (day or today())
    db.session.flush()
    record("action_status_changed", target=action, organisation_id=action.organisation_id,
           actor_id=getattr(changed_by, "id", None), status=status)


# --- reading -------------------------------------------------------------------------------


def actions_of(org: Organisation, team_scope: set[int] | None, *, team_id: int | None = None,
               status: str | None = None) -> list[Action]:
    """The organisation's actions inside `team_scope` (None: all), newest first."""
    stmt = select(Action).where(Action.organisation_id == org.id)
    if team_scope is not None:
        stmt = stmt.where(Action.team_id.in_(team_scope or {-1}))
    if team_id is not None:
        stmt = stmt.where(Action.team_id == team_id)
    if status is not None:
        stmt = stmt.where(Action.status == status)
    return list(db.session.scalars(stmt.order_by(Action.started_on.desc(), Action.id.desc())))


def teams_related(team: Team) -> set[int]:
    """The team, the clinic it belongs to, and the teams inside it (a clinic's campaign
    covers its teams; a clinic's action follows up on waves of its teams' campaigns)."""
    ids = {team.id}
    if team.parent_id is not None:
        ids.add(team.parent_id)
    ids |= set(db.session.scalars(select(Team.id).where(Team.parent_id == team.id)))
    return ids


def team_campaign_ids(team: Team) -> list[int]:
    """Campaigns that survey this team: organisation-wide ones and those naming it (or its
    clinic, or one of its teams)."""
    stmt = select(Campaign.id).where(
        Campaign.organisation_id == team.organisation_id,
        or_(
            Campaign.audience == "organisation",
            Campaign.id.in_(select(CampaignTeam.campaign_id).where(
                CampaignTeam.team_id.in_(teams_related(team)))),
        ),
    )
    return list(db.session.scalars(stmt))


def follow_up_waves(action: Action) -> list[Wave]:
    """Waves of the team's campaigns opened after the action was decided, oldest first.

    Scheduled (not yet opened) waves are left out: they have no answers to show yet.
    """
    campaign_ids = team_campaign_ids(action.team)
    if not campaign_ids:
        return []
    return list(db.session.scalars(
        select(Wave).where(Wave.campaign_id.in_(campaign_ids), Wave.opens_on > action.started_on,
                           Wave.status != "scheduled")
        .order_by(Wave.opens_on, Wave.id)
    ))


def baseline_wave(action: Action) -> Wave | None:
    """The team's last wave opened on or before the action's day: what it answered to."""
    campaign_ids = team_campaign_ids(action.team)
    if not campaign_ids:
        return None
    return db.session.scalar(
        select(Wave).where(Wave.campaign_id.in_(campaign_ids),
                           Wave.opens_on <= action.started_on, Wave.status == "closed")
        .order_by(Wave.opens_on.desc(), Wave.id.desc()).limit(1)
    )


def actions_for(
    org: Organisation, team_scope: set[int] | None
) -> list[tuple[date, str, list[int]]]:
    """(date, label, team ids) of the actions to mark on the results' time axis.

    Dropped actions are left out; actions on the same day with the same plan for several
    teams are not merged (each team has its own). Oldest first, like the axis.
    """
    marks = []
    for action in reversed(actions_of(org, team_scope)):
        if action.status == "dropped":
            continue
        label = f"Action: {action.title}"
        if action.cohort is not None:
            label += f" (+ {action.cohort.program.name})"
        marks.append((action.started_on, label[:160], [action.team_id]))
    return marks
