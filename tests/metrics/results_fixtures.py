"""A practice with real survey results for the results pages, report and export tests.

`results_world()` builds "Riverside Physical Therapy": clinic 1 with teams of 8, 6 and 3
people (the 3 is always hidden), clinic 2 with 2 people of its own and teams of 9 and 7,
enrolled in a program between the first and second survey. Three closed waves answered by
90% of the audience the real way (stored responses, hooks, close). Plus an owner, a leader of
clinic 1, a staff member, a consultant (FlexHealth Consulting) and a second organisation.
"""
from __future__ import annotations

import random
from datetime import date

from orgwell.extensions import db
from orgwell.programs import enrollment, library
from tests import factories, snapshots
from tests.metrics.conftest import answer_wave, close_wave, make_practice, open_survey_wave

WAVE_DATES = (date(2024, 3, 4), date(2024, 6, 3), date(2024, 9, 2))
PROGRAM_START = date(2024, 4, 1)
K = 5


def results_world() -> dict:
    return snapshots.reuse("results_world", _build_results_world)


def _build_results_world() -> dict:
    practice = make_practice([(0, [8, 6, 3]), (2, [9, 7])], slug="riverside",
                             name="Riverside Physical Therapy")
    org = practice.org
    owner = factories.MembershipFactory(organisation=org, role="owner").user
    leader = factories.MembershipFactory(
        organisation=org, role="leader", teams=[practice.clinics[0]]
    ).user
    staff = factories.MembershipFactory(organisation=org, teams=[practice.teams[0]]).user
    grant = factories.ConsultantGrantFactory(organisation=org)
    other = make_practice([(0, [6])], slug="harbor", name="Harbor Rehab")
    other_owner = factories.MembershipFactory(organisation=other.org, role="owner").user
    db.session.commit()

    rng = random.Random(20240304)
    program = library.copy_template(org, "stress-reset")
    db.session.flush()
    for number, opens_on in enumerate(WAVE_DATES):
        if number == 1:
            enrollment.enroll(program, start_on=PROGRAM_START, team_ids=[practice.clinics[1].id],
                              notify=False, day=PROGRAM_START)
            db.session.commit()
        wave = open_survey_wave(practice, opens_on, k=K)
        answer_wave(wave, rng, rate=0.9)
        close_wave(wave)
    return {
        "practice": practice, "org": org, "owner": owner, "leader": leader, "staff": staff,
        "consultant": grant.consultant, "other": other, "other_owner": other_owner,
        "program": program,
    }


def login(client, user) -> None:
    response = client.post("/login", data={"email": user.email, "password": factories.PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
