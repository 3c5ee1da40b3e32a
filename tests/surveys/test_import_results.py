"""`orgwell surveys import-results`: all rows valid or nothing imported, every problem named."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from orgwell.extensions import db
from orgwell.surveys.models import Campaign, Response, ResponseScore, Wave

WORK_ITEMS = ["q7", "q8", "q9", "q10", "q11", "q12", "q13"]
HIGH = ["To a high degree"] * 3 + ["Often"] * 3 + ["Seldom"]  # 75 each, q13 reversed: 75
LOW = ["To a low degree"] * 3 + ["Seldom"] * 3 + ["Often"]  # 25 each


def _csv(tmp_path, lines: list[str], name="results.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def _row(team: str, answers: list[str], email: str | None = None) -> str:
    cells = [team, *answers] + ([email] if email is not None else [])
    return ",".join(cells)


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_good_file_becomes_one_closed_anonymous_wave(cli, world, tmp_path):
    path = _csv(tmp_path, [
        "team," + ",".join(WORK_ITEMS),
        _row("North PT", HIGH),
        _row("north pt", LOW),
        _row(" South PT ", HIGH[:4] + ["", "", ""]),
    ])
    result = cli("surveys", "import-results", "riverside", "--instrument", "cbi-work",
                 "--date", "2026-03-02", path)
    assert result.exit_code == 0, result.output
    assert "Imported 3 responses" in result.output
    wave = db.session.scalar(select(Wave))
    assert (wave.status, wave.source, wave.opens_on) == ("closed", "import", date(2026, 3, 2))
    assert wave.responded_count == 3
    campaign = db.session.get(Campaign, wave.campaign_id)
    assert (campaign.name, campaign.mode, campaign.status) == (
        "Imported results (cbi-work)", "anonymous", "ended")
    responses = db.session.scalars(select(Response)).all()
    assert {r.team_id for r in responses} == {world["team_a"].id, world["team_b"].id}
    assert all(r.membership_id is None and r.submitted_on == date(2026, 3, 2) for r in responses)
    scores = sorted(db.session.scalars(select(ResponseScore.score)).all())
    assert scores == [25.0, 75.0, 75.0]


def test_every_bad_row_is_reported_and_nothing_imported(cli, world, tmp_path):
    path = _csv(tmp_path, [
        "team," + ",".join(WORK_ITEMS),
        _row("North PT", HIGH),
        _row("Nowhere", HIGH),
        _row("South PT", ["Maybe"] + HIGH[1:]),
        _row("", HIGH),
    ])
    result = cli("surveys", "import-results", "riverside", "--instrument", "cbi-work",
                 "--date", "2026-03-02", path)
    assert result.exit_code == 2
    assert "line 3" in result.output and "Nowhere" in result.output
    assert "line 4" in result.output and "'Maybe'" in result.output
    assert "line 5" in result.output
    assert "nothing imported" in result.output
    assert _count(Response) == 0 and _count(Wave) == 0 and _count(Campaign) == 0


def test_rows_without_answers_and_unknown_columns_are_refused(cli, world, tmp_path):
    path = _csv(tmp_path, [
        "team," + ",".join(WORK_ITEMS),
        _row("North PT", [""] * 7),
    ])
    result = cli("surveys", "import-results", "riverside", "--instrument", "cbi-work",
                 "--date", "2026-03-02", path)
    assert result.exit_code == 2 and "line 2: no answer at all" in result.output
    path = _csv(tmp_path, ["team,q7,shoe_size", "North PT,Somewhat,42"], "cols.csv")
    result = cli("surveys", "import-results", "riverside", "--instrument", "cbi-work",
                 "--date", "2026-03-02", path)
    assert result.exit_code == 2 and "shoe_size" in result.output
    assert _count(Response) == 0


def test_emails_link_answers_in_a_confidential_campaign(cli, world, tmp_path):
    staff_a, staff_b = world["staff_a"], world["staff_b"]
    path = _csv(tmp_path, [
        "team," + ",".join(WORK_ITEMS) + ",email",
        _row("North PT", HIGH, staff_a.email.upper()),
        _row("South PT", LOW, ""),
    ])
    result = cli("surveys", "import-results", "riverside", "--instrument", "cbi-work",
                 "--date", "2026-04-01", path)
    assert result.exit_code == 0, result.output
    campaign = db.session.scalar(select(Campaign))
    assert campaign.mode == "confidential"
    linked = db.session.scalars(select(Response.membership_id)).all()
    assert sorted(linked, key=str) == sorted(
        [staff_a.memberships[0].id, None], key=str
    )
    assert staff_b.memberships[0].id not in linked


def test_unknown_or_foreign_emails_and_duplicates_are_refused(cli, world, tmp_path):
    path = _csv(tmp_path, [
        "team," + ",".join(WORK_ITEMS) + ",email",
        _row("North PT", HIGH, world["owner_y"].email),  # a member of Harbor, not Riverside
        _row("North PT", HIGH, world["staff_a"].email),
        _row("North PT", LOW, world["staff_a"].email),
    ])
    result = cli("surveys", "import-results", "riverside", "--instrument", "cbi-work",
                 "--date", "2026-04-01", path)
    assert result.exit_code == 2
    assert "line 2" in result.output and "not a current staff member" in result.output
    assert "line 4" in result.output and "appears already on line 3" in result.output
    assert _count(Response) == 0


def test_the_same_date_twice_and_bad_arguments(cli, world, tmp_path):
    path = _csv(tmp_path, ["team," + ",".join(WORK_ITEMS), _row("North PT", HIGH)])
    args = ["surveys", "import-results", "riverside", "--instrument", "cbi-work",
            "--date", "2026-03-02", path]
    assert cli(*args).exit_code == 0
    again = cli(*args)
    assert again.exit_code == 2 and "already imported" in again.output
    assert _count(Response) == 1
    unknown = cli("surveys", "import-results", "riverside", "--instrument", "mbi",
                  "--date", "2026-03-02", path)
    assert unknown.exit_code == 2 and "no instrument 'mbi'" in unknown.output
    bad_date = cli("surveys", "import-results", "riverside", "--instrument", "cbi-work",
                   "--date", "02/03/2026", path)
    assert bad_date.exit_code == 2
    nowhere = cli("surveys", "import-results", "nowhere", "--instrument", "cbi-work",
                  "--date", "2026-03-02", path)
    assert nowhere.exit_code == 2


def test_bad_cells_and_rows_without_answers_are_reported_together(cli, world, tmp_path):
    path = _csv(tmp_path, [
        "team," + ",".join(WORK_ITEMS),
        _row("North PT", HIGH),
        _row("North PT", [""] * 7),
        _row("Nowhere", HIGH),
        _row("South PT", [""] * 7),
    ])
    result = cli("surveys", "import-results", "riverside", "--instrument", "cbi-work",
                 "--date", "2026-03-02", path)
    assert result.exit_code == 2
    assert "line 3: no answer at all" in result.output
    assert "line 4, column 1 (team)" in result.output and "Nowhere" in result.output
    assert "line 5: no answer at all" in result.output
    assert "4 problem(s)" not in result.output and "3 problem(s)" in result.output
    assert _count(Response) == 0 and _count(Wave) == 0
