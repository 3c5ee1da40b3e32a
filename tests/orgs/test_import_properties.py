"""Properties of the staff CSV import, for any file (hypothesis), through the import service.

Whatever the bytes: no exception, and either a job with no errors or errors with no job.
For generated files mixing good and bad rows, in any spelling a spreadsheet may use (byte-order
mark, CRLF, every cell quoted, a newline inside a quoted name, header in another case):
every bad row is reported by its line and nothing is stored; a file of good rows only
becomes exactly those people.
"""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from orgwell.auth.models import User
from orgwell.extensions import db
from orgwell.orgs import imports
from orgwell.orgs.models import ImportJob, Membership

PROPERTY = settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
HEADER = ["name", "email", "team", "role", "job_title", "patient_facing", "start_date"]

names = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs", "Cc", "Zl", "Zp"]),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() and s.strip()[0] not in "=+-@")
teams = st.sampled_from(["", "North PT", "south pt", "New team <b>", "Équipe 'A'; --"])
good_cells = st.fixed_dictionaries(
    {
        "name": names,
        "team": teams,
        "role": st.sampled_from(["", "staff", "Leader", "OWNER"]),
        "job_title": st.just(""),
        "patient_facing": st.sampled_from(["", "yes", "No", "y", "0"]),
        "start_date": st.sampled_from(["", "2026-01-31", "2024-02-29"]),
    }
)
# Each bad kind breaks one cell in a way the importer must name.
BAD = {
    "email": "not-an-email",
    "role": "boss",
    "patient_facing": "maybe",
    "start_date": "2026-02-30",
    "name": "x" * 121,
    "job_title": "Astronaut",
}


@st.composite
def staff_files(draw):
    """(file bytes, lines of the bad rows, emails of the good rows)."""
    count = draw(st.integers(1, 12))
    bad_at = draw(st.sets(st.integers(0, count - 1), max_size=count))
    rows, emails = [], []
    for index in range(count):
        cells = draw(good_cells)
        cells["email"] = f"person{index}.{draw(st.integers(0, 99))}@example.org"
        if index in bad_at:
            kind = draw(st.sampled_from(sorted(BAD)))
            cells[kind] = BAD[kind]
        else:
            emails.append(cells["email"])
        rows.append(cells)
    good = [i for i in range(count) if i not in bad_at]
    if good and draw(st.booleans()):  # a row repeated: only the copy is reported
        bad_at.add(len(rows))
        rows.append(dict(rows[draw(st.sampled_from(good))]))
    if draw(st.booleans()):  # a newline inside a quoted name shifts later lines
        rows[0]["name"] = rows[0]["name"] + "\nJr"
    header = [draw(st.sampled_from([c, c.upper(), c.replace("_", " ").title()])) for c in HEADER]
    out = io.StringIO()
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    writer = csv.writer(out, quoting=quoting, lineterminator=newline)
    writer.writerow(header)
    bad_lines = set()
    for index, cells in enumerate(rows):
        line = out.getvalue().count("\n") + 1
        if index in bad_at:
            bad_lines.add(line)
        writer.writerow([cells[c] for c in HEADER])
    text = out.getvalue() + draw(st.sampled_from(["", newline, newline * 3]))
    bom = draw(st.sampled_from([b"", b"\xef\xbb\xbf"]))
    return bom + text.encode(), bad_lines, emails


def _jobs() -> int:
    return db.session.scalar(select(func.count()).select_from(ImportJob))


def _member_emails(org) -> set[str]:
    return set(
        db.session.scalars(
            select(func.lower(User.email))
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == org.id)
        )
    )


@given(
    data=st.one_of(
        st.binary(max_size=400),
        st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.sampled_from(
            [
                b"\xff\xfename,email\n",
                b"name;email\nA;a@b.org\n",
                b"\x00",
                b'name,email\n"A,a@b.org\n',
                b"name,email\n=1+1,a@b.org\n",
            ]
        ),
    )
)
@PROPERTY
def test_any_bytes_give_a_job_or_errors_never_an_exception(world, data):
    before = _jobs()
    try:
        job, checked = imports.prepare_import(world["org_x"], "fuzz.csv", data)
        if checked.errors:
            assert job is None and _jobs() == before
            assert all(e.line >= 1 and e.message for e in checked.errors)
        else:
            assert job is not None and job.total == len(checked.rows) > 0
    finally:
        db.session.rollback()


@given(staff_files())
@PROPERTY
def test_every_bad_row_is_reported_and_a_good_file_is_imported_exactly(world, case):
    data, bad_lines, emails = case
    org = world["org_x"]
    jobs, members = _jobs(), _member_emails(org)
    try:
        job, checked = imports.prepare_import(org, "staff.csv", data)
        if bad_lines:
            assert job is None and _jobs() == jobs
            assert {e.line for e in checked.errors} == bad_lines, checked.errors
            event("refused")
            return
        assert checked.errors == []
        assert [row.email for row in checked.rows] == emails
        assert imports.confirm_import(job)
        for _ in imports.run_import(job.id):
            pass
        assert _member_emails(org) == members | set(emails)
        event("imported")
    finally:
        db.session.rollback()


@given(st.sampled_from([";", "\t", "|"]), st.integers(1, 5))
@PROPERTY
def test_another_delimiter_is_refused_at_the_header(world, delimiter, count):
    lines = [delimiter.join(["name", "email"])]
    lines += [delimiter.join([f"P {i}", f"p{i}@example.org"]) for i in range(count)]
    try:
        job, checked = imports.prepare_import(world["org_x"], "x.csv", "\n".join(lines).encode())
        assert job is None
        assert [e.line for e in checked.errors] == [1] * len(checked.errors)
    finally:
        db.session.rollback()
