"""The staff CSV parser: every kind of error with its line number, and a property test."""
from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orgwell.orgs.importer import (
    COLUMNS,
    ROLES,
    StaffRow,
    new_team_names,
    parse_staff_csv,
)
from orgwell.orgs.models import JOB_TITLES

HEADER = ",".join(COLUMNS)


def parse(text: str | bytes, **kwargs):
    data = text.encode() if isinstance(text, str) else text
    return parse_staff_csv(data, **kwargs)


def messages(errors) -> list[tuple[int, str]]:
    return [(error.line, error.message) for error in errors]


def test_a_good_file_gives_rows_with_defaults_and_normalised_values():
    rows, errors = parse(
        f"{HEADER}\n"
        "Jane Doe,Jane@Example.org,North PT,Leader,pt,no,2024-03-01\n"
        "  Bob   Stone ,bob@example.org,,,,,\n"
    )
    assert errors == []
    assert rows == [
        StaffRow(2, "Jane Doe", "jane@example.org", "North PT", "leader", "PT", False,
                 date(2024, 3, 1)),
        StaffRow(3, "Bob Stone", "bob@example.org", None, "staff", None, True, None),
    ]


def test_only_name_and_email_columns_are_required_and_header_is_flexible():
    rows, errors = parse("\ufeffName,E-mail\r\nAnn,ann@example.org\r\n")
    assert errors == [] and rows[0].email == "ann@example.org"
    rows, errors = parse("email,name,Job Title\nann@example.org,Ann,front desk\n")
    assert errors == [] and rows[0].job_title == "Front desk"


def test_yes_no_values():
    for value, expected in [("yes", True), ("TRUE", True), ("1", True), ("y", True),
                            ("no", False), ("False", False), ("0", False), ("", True)]:
        rows, errors = parse(f"name,email,patient_facing\nA,a@example.org,{value}\n")
        assert errors == [] and rows[0].patient_facing is expected, value


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_returned():
    text = (
        f"{HEADER}\n"
        "Good Person,good@example.org,North,staff,PT,yes,2024-01-01\n"   # 2
        ",noname@example.org,,,,,\n"                                        # 3
        "Bad Email,not-an-email,,,,,\n"                                     # 4
        "Twin,good@example.org,,,,,\n"                                      # 5
        "Member,member@example.org,,,,,\n"                                  # 6
        "Boss,boss@example.org,,boss,,,\n"                                  # 7
        "Late,late@example.org,,,,,01/02/2024\n"                            # 8
        "Maybe,maybe@example.org,,,,maybe,\n"                               # 9
        "Wizard,wiz@example.org,,,Wizard,,\n"                               # 10
        "Extra,extra@example.org,,,,,,surplus\n"                            # 11
        "Feb,feb@example.org,,,,,2023-02-30\n"                              # 12
    )
    rows, errors = parse(text, member_emails={"member@example.org"})
    assert rows == []
    found = messages(errors)
    assert [line for line, _ in found] == [3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    text_of = dict(found)
    assert "name is missing" in text_of[3]
    assert "not a valid email" in text_of[4]
    assert "lines 2 and 5" in text_of[5] and "good@example.org" in text_of[5]
    assert "already a member" in text_of[6]
    assert "unknown role “boss”" in text_of[7]
    assert "YYYY-MM-DD" in text_of[8]
    assert "yes or no" in text_of[9]
    assert "unknown job title “Wizard”" in text_of[10]
    assert "8 values but the header has 7 columns" in text_of[11]
    assert "YYYY-MM-DD" in text_of[12]


def test_a_row_with_several_problems_reports_each():
    rows, errors = parse(f"{HEADER}\n,bad,,chief,,perhaps,yesterday\n")
    assert rows == []
    assert len(errors) == 5 and {e.line for e in errors} == {2}


def test_duplicates_are_found_even_when_the_first_row_has_other_problems():
    rows, errors = parse("name,email,role\nA,dup@example.org,chief\nB,DUP@example.org,\n")
    assert [(e.line, "lines 2 and 3" in e.message) for e in errors] == [(2, False), (3, True)]


def test_line_numbers_count_blank_lines_and_multi_line_quoted_values():
    text = 'name,email\n\nA,a@example.org\n"Multi\nLine",bad\nC,c@example.org\n'
    rows, errors = parse(text)
    assert messages(errors) == [(4, "“bad” is not a valid email address.")]


def test_file_level_problems():
    assert messages(parse(b"")[1])[0][0] == 1
    assert "empty" in parse(b"")[1][0].message
    assert "empty" in parse("\n\n  \n")[1][0].message
    assert "no people" in parse("name,email\n")[1][0].message
    bad = parse(b"name,email\nA,a@example.org\nB\xe9,b@example.org\n")[1]
    assert [(e.line, "not UTF-8" in e.message) for e in bad] == [(3, True)]
    nul = parse(b"name,email\nA,a@example.org\x00\n")[1]
    assert nul[0].line == 2 and "NUL" in nul[0].message


def test_header_problems():
    errors = parse("name,email,colour,Salary\nA,a@example.org,red,1\n")[1]
    assert len(errors) == 1 and errors[0].line == 1
    assert "“colour”" in errors[0].message and "“Salary”" in errors[0].message
    errors = parse("Jane,jane@example.org\n")[1]
    assert errors[0].line == 1 and any("missing: name, email" in e.message for e in errors)
    errors = parse("name,email,email\nA,a@example.org,b@example.org\n")[1]
    assert any("repeated: email" in e.message for e in errors)


def test_too_many_rows():
    body = "".join(f"P{i},p{i}@example.org\n" for i in range(6))
    rows, errors = parse("name,email\n" + body, max_rows=5)
    assert rows == []
    assert errors[-1].line == 7 and "more than 5 people" in errors[-1].message


def test_over_long_values_are_errors_not_crashes():
    long_name = "x" * 121
    errors = parse(f"name,email,team\n{long_name},a@example.org,{'t' * 121}\n")[1]
    assert {e.line for e in errors} == {2}
    assert any("name is longer" in e.message for e in errors)
    assert any("team name is longer" in e.message for e in errors)
    huge = parse("name,email\n" + "y" * 200_000 + ",a@example.org\n")[1]
    assert huge and huge[0].line == 2


def test_unknown_teams_are_not_errors_but_listed_once_in_file_order():
    rows, errors = parse(
        "name,email,team\nA,a@example.org,South\nB,b@example.org,north pt\n"
        "C,c@example.org,south\nD,d@example.org,East\n"
    )
    assert errors == []
    assert new_team_names(rows, ["North PT"]) == ["South", "East"]


def test_rows_survive_a_json_round_trip():
    rows, _ = parse(f"{HEADER}\nJane,jane@example.org,T,owner,OT,no,2024-02-29\n")
    assert StaffRow.from_json(rows[0].to_json()) == rows[0]


CELLS = st.one_of(
    st.sampled_from(["", "yes", "no", "maybe", "2024-01-02", "2024-13-40", "x@example.org",
                     "bad@", "PT", "Aide", "owner", "boss", '"', ",", "\n", "\r", "\x00"]),
    st.text(max_size=12),
)


@st.composite
def csv_texts(draw):
    header = draw(st.lists(st.sampled_from([*COLUMNS, "extra", ""]), min_size=0, max_size=8))
    lines = [",".join(header)]
    for _ in range(draw(st.integers(0, 6))):
        lines.append(",".join(draw(st.lists(CELLS, max_size=9))))
    return "\n".join(lines)


def _check_result(rows, errors):
    assert isinstance(rows, list) and isinstance(errors, list)
    if errors:
        assert rows == []
        assert all(error.line >= 1 and error.message for error in errors)
    else:
        assert rows, "a file without errors has people"
        emails = [row.email for row in rows]
        assert len(emails) == len(set(emails))
        for row in rows:
            assert row.name and len(row.name) <= 120
            assert "@" in row.email and row.email == row.email.lower()
            assert row.role in ROLES
            assert row.job_title is None or row.job_title in JOB_TITLES
            assert isinstance(row.patient_facing, bool)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(csv_texts(), st.text(max_size=300)))
def test_any_text_gives_errors_or_valid_rows(text):
    _check_result(*parse(text))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_never_raise(data):
    _check_result(*parse_staff_csv(data))


def test_unnamed_trailing_columns_are_ignored_unless_filled():
    rows, errors = parse("name,email,,\nA,a@example.org,,\n")
    assert errors == [] and len(rows) == 1
    rows, errors = parse("name,email,,\nA,a@example.org,,oops\n")
    assert [(e.line, "no name" in e.message) for e in errors] == [(2, True)]
