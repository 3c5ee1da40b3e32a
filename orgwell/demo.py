"""`orgwell demo`: demo practices, staff and one account for each role, idempotently.

Every demo account, staff included, gets the password `orgwell-demo`, so the demo sends no
invitation mail. Running the command again changes nothing: organisations are created with
their staff only when their slug is free, and accounts only when their email is.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from orgwell.auth.models import User
from orgwell.auth.passwords import hash_password
from orgwell.extensions import db
from orgwell.orgs.models import ConsultantGrant, Membership, Organisation, Team, TeamAssignment
from orgwell.orgs.services import create_organisation, create_team

DEMO_PASSWORD = "orgwell-demo"
CONSULTING_FIRM = "FlexHealth Consulting"

# (email, name, what the account shows) — printed by `orgwell demo` and `orgwell run-all`.
DEMO_ACCOUNTS = [
    ("admin@orgwell.example", "Alex Morgan", "site admin"),
    ("owner@riverside.example", "Maria Alvarez", "owner of Riverside Physical Therapy"),
    ("leader@riverside.example", "Dana Whitfield", "leader of the Riverside North clinic"),
    ("staff@riverside.example", "Sam Rivera", "PT in North Outpatient, Riverside"),
    ("owner@harbor.example", "Grace Lee", "owner of Harbor Rehab"),
    ("consultant@flexhealth.example", "Jordan Blake", f"consultant, {CONSULTING_FIRM}"),
]
_NAMES = {email: name for email, name, _ in DEMO_ACCOUNTS}

# Riverside: clinic -> (job titles attached to the clinic itself, {team: job titles}).
# Shaped so that the results show something real with k = 5: every team but one has enough
# people (eight who see patients, who alone answer the client-related scale) to pass k in
# nearly every monthly wave; front desks work inside the teams they serve, so that no clinic
# keeps a block of two or three people of its own (the clinic minus its teams would reveal
# them, and the confidentiality rules would hide a team or the clinic in every wave). The one
# small team, Downtown Hand Therapy (four people), is always under k; Downtown's own staff
# (front desk, floating clinicians, and the owner, added in `riverside`) keep the clinic minus
# its shown team at k or more, so hiding the small team costs nothing else. The leader and
# Sam are added to North Outpatient in `riverside` (10 people there in all).
RIVERSIDE = {
    "Riverside North": (
        [],
        {"North Outpatient": ["Front desk", "PT", "PT", "PT", "PT", "PTA", "PTA", "Aide"],
         "North Sports Rehab": ["Front desk", "PT", "PT", "PT", "PTA", "PTA", "PTA", "Aide",
                                "Aide"]},
    ),
    "Riverside South": (
        [],
        {"South Outpatient": ["Manager", "Front desk", "PT", "PT", "PT", "PT", "PTA", "PTA",
                              "PTA", "Aide"],
         "South Pediatrics": ["Front desk", "PT", "PT", "OT", "OT", "OT", "SLP", "SLP", "PTA"]},
    ),
    "Riverside East": (
        [],
        {"East Outpatient": ["Manager", "Front desk", "PT", "PT", "PT", "PT", "PTA", "PTA",
                             "PTA", "OT", "Aide", "Aide"]},
    ),
    "Riverside Downtown": (
        ["Front desk", "Front desk", "PT", "PTA", "Aide"],
        {"Downtown Outpatient": ["PT", "PT", "PT", "PT", "PTA", "PTA", "PTA", "Aide"],
         "Downtown Hand Therapy": ["OT", "OT", "OT", "COTA"]},
    ),
}
# People on leave, and one who left: the states a real practice has, taken where they leave
# enough people who answer (the largest team; a manager, who has no client-related score).
# (team, job title): the first such person.
ON_LEAVE = [("East Outpatient", "PT"), ("South Outpatient", "Manager")]
LEFT = ("East Outpatient", "PTA")
HARBOR = {"Harbor Rehab Main": (["Front desk"], {"Harbor Outpatient": [
    "PT", "PT", "PTA", "PTA", "Aide", "OT"]})}

# Made-up staff names, paired once so that every demo person has a distinct name.
STAFF_NAMES = [
    "Aisha Abbott", "Ben Bishop", "Carmen Castillo", "Diego Delgado", "Elena Ellison",
    "Farah Fischer", "Gabriel Gallagher", "Hannah Hoffman", "Isaac Ibarra", "Jasmine Jensen",
    "Kevin Kaplan", "Lauren Lindqvist", "Marcus Mendoza", "Nadia Nakamura", "Owen Okafor",
    "Priya Patel", "Quentin Quinn", "Rosa Ramirez", "Samuel Schultz", "Tara Thompson",
    "Umar Underwood", "Valerie Vasquez", "Wesley Whitaker", "Ximena Xiong", "Yusuf Yamamoto",
    "Zoe Zimmerman", "Adrian Adeyemi", "Bianca Brennan", "Caleb Chowdhury", "Daniela Dubois",
    "Ethan Estrada", "Fiona Fitzgerald", "Grant Gupta", "Hiro Harrington", "Ivy Iverson",
    "Jonah Johansson", "Keisha Kowalski", "Liam Lombardi", "Mei Morales", "Nathan Nguyen",
    "Olivia O'Connell", "Pedro Park", "Rachel Rossi", "Sofia Sandoval", "Theo Tanaka",
    "Uma Uddin", "Victor Vargas", "Whitney Walsh", "Xavier Young", "Yara Zhang", "Zach Bauer",
    "Amara Carver", "Brooke Dawson", "Colin Evans", "Destiny Foster", "Emil Greene",
    "Gloria Hughes", "Hector Ingram", "Imani Jordan", "Jared Keller", "Kira Lambert",
    "Luca Mercer", "Maya Novak", "Noah Ortiz", "Ada Okonkwo", "Bruno Silva", "Chloe Pham",
    "Dev Raman", "Esther Kim", "Felix Horvath", "Greta Lindgren", "Hamza Siddiqui",
    "Ines Moreau", "Jamal Price", "Lena Vogel", "Marco Bianchi",
]
NOT_PATIENT_FACING = {"Front desk", "Manager", "Other"}


@dataclass
class Tally:
    """What one run created, so that a second run can say it changed nothing."""

    users: int = 0
    organisations: int = 0
    grants: int = 0
    programs: int = 0
    campaigns: int = 0

    @property
    def anything(self) -> bool:
        return bool(
            self.users or self.organisations or self.grants or self.programs or self.campaigns
        )


class Demo:
    """Builds the demo data in the current session; `run()` flushes, the command commits."""

    def __init__(self) -> None:
        self.password_hash = hash_password(DEMO_PASSWORD)  # argon2 is slow: hash once
        self.tally = Tally()
        self.random = random.Random(2025)  # the same people and dates on every machine
        self.names = self._name_pool()

    def run(self) -> Tally:
        admin = self.user("admin@orgwell.example", is_site_admin=True)
        riverside = self.riverside()
        harbor = self.harbor()
        consultant = self.user("consultant@flexhealth.example", consulting_firm=CONSULTING_FIRM)
        for org in (riverside, harbor):
            self.grant(consultant, org, admin)
        db.session.flush()
        self.programs_and_surveys(riverside)
        return self.tally

    def programs_and_surveys(self, org: Organisation) -> None:
        """Riverside North's prehab cohort and 18 months of surveys around its start, so that
        the dashboards have a before and an after. Each seeder adds nothing the second time."""
        from orgwell.metrics.rebuild import rebuild_org
        from orgwell.programs.demo import north_cohort_start, seed_programs
        from orgwell.surveys.demo import seed_surveys

        self.tally.programs += seed_programs(org)
        self.tally.campaigns += seed_surveys(org, north_cohort_start())
        self.demo_action(org, north_cohort_start())
        # Closed waves got their rollups when they closed; this adds the open wave's
        # headcounts and the program weeks, which the hourly job would otherwise fill later.
        rebuild_org(org)

    # --- organisations ---------------------------------------------------------------------

    def riverside(self) -> Organisation:
        owner = self.user("owner@riverside.example", can_create_organisations=True)
        org, created = self.organisation("Riverside Physical Therapy", "riverside", owner)
        if not created:
            return org
        teams = self.places(org, RIVERSIDE)
        # The owner works from Downtown, the practice's first clinic (someone on no team
        # would be a block of one above the clinics, and hide a clinic in every wave).
        self.set_membership(org, owner, "Manager", date(2011, 3, 1), teams["Riverside Downtown"])
        leader = self.user("leader@riverside.example")
        # Dana leads the clinic and sits with its outpatient team, where her answers count
        # (alone at the clinic level she would be a block of one, as above).
        self.member(org, leader, "Manager",
                    [teams["Riverside North"], teams["North Outpatient"]], role="leader",
                    started=date(2015, 9, 14))
        staff = self.user("staff@riverside.example")
        self.member(org, staff, "PT", [teams["North Outpatient"]], started=date(2021, 2, 1))
        members = self.staff(org, teams, RIVERSIDE)
        for place in ON_LEAVE:
            members[place].on_leave = True
        self.leave(members[LEFT], date.today() - timedelta(days=45))
        return org

    def harbor(self) -> Organisation:
        owner = self.user("owner@harbor.example", can_create_organisations=True)
        org, created = self.organisation("Harbor Rehab", "harbor", owner)
        if not created:
            return org
        teams = self.places(org, HARBOR)
        self.set_membership(org, owner, "PT", date(2018, 5, 7), teams["Harbor Rehab Main"])
        self.staff(org, teams, HARBOR)
        return org

    def demo_action(self, org: Organisation, program_start: date) -> None:
        """The leader's plan for Riverside North, decided the week its program began, so the
        dashboards show an action on the time axis and what followed it."""
        from orgwell.metrics import actions
        from orgwell.metrics.action_models import Action

        if db.session.scalar(select(Action.id).filter_by(organisation_id=org.id)):
            return
        north = db.session.scalar(select(Team).filter_by(organisation_id=org.id,
                                                         name="Riverside North"))
        leader = db.session.scalar(select(User).filter_by(email="leader@riverside.example"))
        plan = actions.Plan(
            title="Protect documentation time: two 30-minute blocks a week per clinician",
            owner_text="Dana Whitfield",
            due_on=program_start + timedelta(days=42),
            notes="Agreed after the spring check-ins showed work-related burnout rising.",
        )
        action = actions.create_action(org, north, plan, created_by=leader,
                                       started_on=program_start, notify=False)
        finished = program_start + timedelta(days=40)
        actions.set_status(action, "done", changed_by=leader, day=finished)

    def organisation(self, name: str, slug: str, owner: User) -> tuple[Organisation, bool]:
        existing = db.session.scalar(select(Organisation).filter_by(slug=slug))
        if existing is not None:
            return existing, False
        self.tally.organisations += 1
        return create_organisation(name, slug, owner), True

    def places(self, org: Organisation, layout: dict) -> dict[str, Team]:
        teams = {}
        for clinic_name, (_, inner) in layout.items():
            clinic = teams[clinic_name] = create_team(org, clinic_name)
            for team_name in inner:
                teams[team_name] = create_team(org, team_name, clinic.id)
        return teams

    def staff(self, org: Organisation, teams: dict[str, Team],
              layout: dict) -> dict[tuple[str, str], Membership]:
        """Generated staff for every clinic and team in `layout`; returns the first person of
        each (team name, job title)."""
        domain = org.slug + ".example"
        first_of: dict[tuple[str, str], Membership] = {}
        for clinic_name, (own, inner) in layout.items():
            places = [(clinic_name, title) for title in own]
            places += [(t, title) for t, titles in inner.items() for title in titles]
            for team_name, title in places:
                first, last = self.names.pop()
                email = f"{first}.{last}@{domain}".lower().replace("'", "")
                person = self.user(email, name=f"{first} {last}")
                member = self.member(org, person, title, [teams[team_name]])
                first_of.setdefault((team_name, title), member)
        return first_of

    # --- people ----------------------------------------------------------------------------

    def user(self, email: str, name: str | None = None, **attrs) -> User:
        existing = db.session.scalar(select(User).filter_by(email=email))
        if existing is not None:
            return existing
        user = User(email=email, name=name or _NAMES[email], password_hash=self.password_hash,
                    **attrs)
        db.session.add(user)
        db.session.flush()
        self.tally.users += 1
        return user

    def member(self, org, user, job_title, teams, *, role="staff", started=None) -> Membership:
        membership = Membership(user_id=user.id, organisation_id=org.id, role=role)
        db.session.add(membership)
        db.session.flush()
        self.describe(membership, job_title, started or self.start_date(), teams)
        return membership

    def set_membership(self, org, user, job_title, started, *teams) -> None:
        """Fill in the owner's membership, which create_organisation made bare."""
        membership = db.session.scalar(
            select(Membership).filter_by(organisation_id=org.id, user_id=user.id)
        )
        self.describe(membership, job_title, started, teams)

    def describe(self, membership, job_title, started, teams) -> None:
        membership.job_title = job_title
        membership.patient_facing = job_title not in NOT_PATIENT_FACING
        membership.start_date = started
        for team in teams:
            db.session.add(TeamAssignment(membership=membership, team=team, started_on=started))
        db.session.flush()

    def leave(self, membership: Membership, left_on: date) -> None:
        membership.status = "left"
        membership.left_on = left_on
        for assignment in membership.team_assignments:
            assignment.ended_on = left_on

    def grant(self, consultant: User, org: Organisation, granted_by: User) -> None:
        existing = db.session.scalar(
            select(ConsultantGrant).filter_by(consultant_id=consultant.id, organisation_id=org.id)
        )
        if existing is None:
            db.session.add(ConsultantGrant(consultant_id=consultant.id, organisation_id=org.id,
                                           granted_by_id=granted_by.id))
            self.tally.grants += 1

    # --- made-up details -------------------------------------------------------------------

    def start_date(self) -> date:
        return date(2012, 1, 9) + timedelta(days=self.random.randrange(0, 13 * 365))

    def _name_pool(self) -> list[tuple[str, str]]:
        pool = [tuple(n.split(" ", 1)) for n in STAFF_NAMES if n not in _NAMES.values()]
        self.random.shuffle(pool)
        return pool


def account_summary() -> list[str]:
    """One line per demo account that exists in the database."""
    existing = set(
        db.session.scalars(select(User.email).where(User.email.in_(list(_NAMES))))
    )
    return [
        f"  {email:<32} {what}" for email, _, what in DEMO_ACCOUNTS if email in existing
    ]


@click.command("demo")
@with_appcontext
def demo_command():
    """Load the demo practices and accounts (safe to run again: it adds nothing twice)."""
    tally = Demo().run()
    db.session.commit()
    if tally.anything:
        click.echo(
            f"Demo data loaded: {tally.organisations} organisations, {tally.users} accounts, "
            f"{tally.grants} consultant grants"
            + (", Riverside's program cohorts" if tally.programs else "")
            + (", Riverside's survey history" if tally.campaigns else "")
            + "."
        )
    else:
        click.echo("Demo data already present; nothing changed.")
    click.echo(f"Demo accounts (password: {DEMO_PASSWORD}):")
    for line in account_summary():
        click.echo(line)
