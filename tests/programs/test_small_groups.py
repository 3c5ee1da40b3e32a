"""When people are hidden (team totals only, consultants, the leaders' digest), no number may
point at one person: teams of fewer than 5 are merged or left out. Also per-team completion
over time, and leaders' counts on the program list limited to their teams."""
from __future__ import annotations

from datetime import timedelta

from orgwell.programs import digest, progress, release
from orgwell.programs.learning import mark_complete
from orgwell.programs.models import today
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
    assert [(r.label, r.people) for r in hidden.teams] == [(BIG, 5)]
    assert hidden.hidden == SMALL and not hidden.total_hidden  # 2 people: not merged
    assert hidden.total.people == 7


def test_small_teams_merge_into_other_teams_when_that_reaches_five(program, world, db, at):
    _big_team(world, db)
    for _ in range(3):
        factories.MembershipFactory(organisation=world["org_x"], teams=[world["team_a"]])
    db.session.commit()
    result = enroll_teams(program, [world["clinic_a"]])
    hidden = progress.cohort_progress(result.cohort, team_scope=None, show_people=False,
                                      day=today())
    assert [(r.label, r.people) for r in hidden.teams] == [
        (BIG, 5), ("Other teams (fewer than 5 people each)", 5)]
    assert hidden.hidden == []
    other = hidden.teams[1]
    assert other.released == 5 * 2  # two modules released each, nobody counted twice


def test_a_total_of_fewer_than_five_is_hidden_too(program, world, db, at):
    result = enroll_teams(program, [world["team_a"], world["team_b"]])
    hidden = progress.cohort_progress(result.cohort, team_scope=None, show_people=False,
                                      day=today())
    assert hidden.teams == [] and hidden.total_hidden
    assert hidden.hidden == ["North clinic › North PT", "South PT"]
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
        assert "Not shown (fewer than 5 people" in page.text, who
        assert "Totals are not shown" in page.text, who
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
    assert "Big PT: 5 enrolled" in text
    assert "North PT:" not in text and "North clinic:" not in text
    assert "Not shown (fewer than 5 people" in text and "North clinic › North PT" in text
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
