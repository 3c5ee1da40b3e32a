"""When people are hidden (team totals only, consultants, the leaders' digest), no number may
point at one person: the total, clinics and teams are decided by metrics.confidentiality (k =
5 people), so neither a small team nor the total minus the teams shown is ever shown. Also
per-team completion over time, and leaders' counts on the program list limited to their
teams."""
from __future__ import annotations

from datetime import timedelta

from orgwell.metrics.confidentiality import REASON_DIFFERENCING
from orgwell.programs import digest, progress, release
from orgwell.programs.learning import mark_complete
from orgwell.programs.models import today
from orgwell.programs.progress_csv import progress_csv
from tests import factories
from tests.programs.conftest import (
    MONDAY,
    assignment_of,
    enroll_teams,
    login,
    mails,
    member,
)

BASE = "/o/riverside/programs"
BIG = "North clinic › Big PT"
SMALL = ["North clinic", "North clinic › North PT"]
CLINIC = "North clinic (all teams)"
FEW = "fewer than 5 people"


def _big_team(world, db, size=5):
    big = factories.TeamFactory(organisation=world["org_x"], name="Big PT",
                                parent=world["clinic_a"])
    for _ in range(size):
        factories.MembershipFactory(organisation=world["org_x"], teams=[big])
    db.session.commit()
    return big


def test_small_teams_are_left_out_when_people_are_hidden(program, world, db, at):
    _big_team(world, db)
    result = enroll_teams(program, [world["clinic_a"]])
    shown = progress.cohort_progress(result.cohort, team_scope=None, show_people=True,
                                     day=today())
    assert [r.label for r in shown.teams] == [SMALL[0], BIG, SMALL[1]]  # people visible: all rows
    hidden = progress.cohort_progress(result.cohort, team_scope=None, show_people=False,
                                      day=today())
    # Big PT alone would leave 7 - 5 = 2 people (the clinic's own and North PT's) to be
    # worked out from the total, so it goes too; the clinic counts all seven.
    assert [(r.label, r.people) for r in hidden.teams] == [(CLINIC, 7)]
    assert [(h.label, h.reason) for h in hidden.hidden] == [
        (BIG, REASON_DIFFERENCING), (SMALL[1], FEW)]
    assert not hidden.total_hidden and hidden.total.people == 7


def test_small_teams_count_in_their_clinic_when_that_leaves_five(program, world, db, at):
    _big_team(world, db)
    for _ in range(3):
        factories.MembershipFactory(organisation=world["org_x"], teams=[world["team_a"]])
    db.session.commit()
    result = enroll_teams(program, [world["clinic_a"]])
    hidden = progress.cohort_progress(result.cohort, team_scope=None, show_people=False,
                                      day=today())
    # The clinic minus Big PT is 5 people (its own and North PT's): both can be shown.
    assert [(r.label, r.people) for r in hidden.teams] == [(CLINIC, 10), (BIG, 5)]
    assert [(h.label, h.reason) for h in hidden.hidden] == [(SMALL[1], FEW)]
    clinic = hidden.teams[0]
    assert clinic.released == 10 * 2  # two modules released each, nobody counted twice


def test_the_total_minus_the_teams_shown_never_gives_a_small_team_away(program, world, db, at):
    """The old rule showed Big PT (5) and the total (6): 6 - 5 was South PT's one person."""
    big = _big_team(world, db)
    result = enroll_teams(program, [big, world["team_b"]])
    data = progress.cohort_progress(result.cohort, team_scope=None, show_people=False,
                                    day=today())
    assert data.total.people == 6
    # Showing the total would leave 6 - 5 = 1; hiding it keeps both rows of 5.
    assert data.total_hidden and data.total_reason == REASON_DIFFERENCING
    assert [(r.label, r.people) for r in data.teams] == [(CLINIC, 5), (BIG, 5)]
    assert [(h.label, h.reason) for h in data.hidden] == [("South PT", FEW)]
    assert all(w.total is None for w in data.weeks)
    lines = progress_csv(data).strip().splitlines()  # the download shows the same rows
    assert [line.split(",")[:4] for line in lines[1:]] == [
        ["team", CLINIC, "", "5"], ["team", BIG, "", "5"]]


def test_a_total_of_fewer_than_five_is_hidden_too(program, world, db, at):
    result = enroll_teams(program, [world["team_a"], world["team_b"]])
    hidden = progress.cohort_progress(result.cohort, team_scope=None, show_people=False,
                                      day=today())
    assert hidden.teams == [] and hidden.total_hidden and hidden.total_reason == FEW
    assert [(h.label, h.reason) for h in hidden.hidden] == [
        ("North clinic (all teams)", FEW), ("North clinic › North PT", FEW), ("South PT", FEW)]
    assert all(w.total is None and w.teams == [] for w in hidden.weeks)


def test_leaders_with_team_totals_only_and_consultants_see_no_small_team(
    client, world, db, program, at
):
    from orgwell.programs.progress import save_settings

    result = enroll_teams(program, [world["clinic_a"], world["team_b"]])
    mark_complete(assignment_of(program, member(world, "staff_a"), "compassion-reading"))
    save_settings(world["org_x"].id, leaders_see_people=False)
    db.session.commit()
    url = f"{BASE}/{program.id}/cohorts/{result.cohort.id}"
    for who in ("leader_a", "consultant_x"):
        client.post("/logout")
        login(client, world[who])
        page = client.get(url)
        assert page.status_code == 200
        assert "Not shown, so that nobody can be singled out" in page.text, who
        assert "North clinic › North PT (fewer than 5 people)" in page.text, who
        assert "Totals are not shown: fewer than 5 people" in page.text, who
        assert "50%" not in page.text, who  # staff_a's own completion rate
        csv_text = client.get(f"{url}/progress.csv").text
        assert csv_text.strip().splitlines() == [
            "group,name,teams,enrolled,released,completed,overdue,excused,completion_rate"]
        listing = client.get(f"{BASE}/{program.id}/")
        assert "Fewer than 5 people: totals not shown" in listing.text
    client.post("/logout")
    login(client, world["owner_x"])
    settings = client.get(f"{BASE}/settings")
    assert "only owners can excuse someone" in settings.text
    assert "50%" in client.get(url).text  # owners see every team


def test_the_leaders_digest_leaves_out_small_teams_when_people_are_hidden(
    program, world, db, at
):
    from orgwell.programs.progress import save_settings

    big = _big_team(world, db)
    enroll_teams(program, [world["clinic_a"], world["team_b"]])
    save_settings(world["org_x"].id, leaders_see_people=False)
    db.session.commit()
    assert big.parent_id == world["clinic_a"].id
    digest.send_weekly_digest(today())
    db.session.commit()
    to_leader = next(m for m in mails("programs.digest") if m.to_addr == world["leader_a"].email)
    text = to_leader.text_body
    # The same decision as the page: Big PT would give away the clinic's other 2 people.
    assert "North clinic (all teams): 7 enrolled" in text
    assert "Big PT:" not in text and "North PT:" not in text and "North clinic:" not in text
    assert f"North clinic › North PT ({FEW})" in text
    assert f"North clinic › Big PT ({REASON_DIFFERENCING})" in text
    assert "Total: " in text  # 7 people, the clinic's own
    assert "Not shown, so that nobody can be singled out:" in text
    to_owner = next(m for m in mails("programs.digest") if m.to_addr == world["owner_x"].email)
    assert "South PT: 1 enrolled" in to_owner.text_body  # owners see every team


def test_completion_over_time_is_per_team(program, world, db, at):
    result = enroll_teams(program, [world["team_a"], world["team_b"]])
    at(MONDAY + timedelta(days=3))
    mark_complete(assignment_of(program, member(world, "staff_a"), "compassion-reading"))
    db.session.commit()
    at(MONDAY + timedelta(days=15))
    release.release_due(today())
    db.session.commit()
    data = progress.cohort_progress(result.cohort, team_scope=None, show_people=True,
                                    day=today())
    assert [r.label for r in data.teams] == ["North clinic › North PT", "South PT"]
    first = data.weeks[0]
    assert first.week_ending == MONDAY + timedelta(days=6)
    north, south = first.teams
    assert (north.released, north.completed, north.rate) == (2, 1, 50)
    assert (south.released, south.completed, south.rate) == (2, 0, 0)
    assert (first.total.released, first.total.completed) == (4, 1)
    assert [w.week_ending for w in data.weeks] == [
        MONDAY + timedelta(days=d) for d in (6, 13, 15)]


def test_completion_over_time_table_shows_a_column_per_team(client, world, db, program, at):
    result = enroll_teams(program, [world["team_a"], world["team_b"]])
    mark_complete(assignment_of(program, member(world, "staff_a"), "compassion-reading"))
    db.session.commit()
    login(client, world["owner_x"])
    page = client.get(f"{BASE}/{program.id}/cohorts/{result.cohort.id}").text
    table = page[page.index('id="weeks-title"'):]
    table = table[:table.index("</table>")]
    assert "North clinic › North PT</th>" in table and "South PT</th>" in table
    assert "50% " in table and "0% " in table


def test_leaders_see_program_counts_of_their_teams_only(client, world, db, program, at):
    enroll_teams(program, [world["team_a"], world["team_b"]])
    scope = {world["clinic_a"].id, world["team_a"].id}
    [mine] = progress.program_summaries(world["org_x"].id, scope)
    assert mine.active == 1
    [everyone] = progress.program_summaries(world["org_x"].id)
    assert everyone.active == 2
    login(client, world["leader_a"])
    page = client.get(f"{BASE}/").text
    row = page[page.index(program.name):]
    row = row[:row.index("</tr>")]
    assert '<td class="text-end">1</td>' in row and '<td class="text-end">2</td>' not in row
