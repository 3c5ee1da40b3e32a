"""Properties of importing past results (`import_results`), for any file (hypothesis).

Whatever the text: an ImportedWave or ImportProblems, never another exception, and nothing
written on a refusal. For generated files mixing good and bad rows (unknown team, an answer
that is no option, a row without any answer, an unknown or repeated email, a stray cell),
in any spelling (BOM, CRLF, quoted cells, answer labels in any case): every bad line is named
and nothing is stored; a file of good rows only becomes exactly that many responses.
"""

from __future__ import annotations

import csv
import io
from datetime import date

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from orgwell.extensions import db
from orgwell.surveys.importer import ImportProblems, import_results
from orgwell.surveys.instruments.files import builtin
from orgwell.surveys.models import Campaign, Response, Wave

PROPERTY = settings(
    max_examples=50,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ON = date(2026, 3, 2)
CBI = builtin("cbi-work")
ITEMS = [item.key for item in CBI.items]
LABELS = {item.key: [o.label for o in CBI.options_for(item)] for item in CBI.items}
BAD_KINDS = ["team", "answer", "no_answer", "email", "stray"]


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _counts() -> tuple[int, int, int]:
    return _count(Response), _count(Wave), _count(Campaign)


@st.composite
def result_files(draw, world):
    """(text, lines of the bad rows, number of rows)."""
    with_email = draw(st.booleans())
    staff = [world["staff_a"].email, world["staff_b"].email]
    count = draw(st.integers(1, 10))
    bad_at = draw(st.sets(st.integers(0, count - 1), max_size=count))
    used: set[str] = set()
    rows = []
    for index in range(count):
        answers = [draw(st.sampled_from(["", *LABELS[key]])) for key in ITEMS]
        if not any(answers):
            answers[0] = LABELS[ITEMS[0]][0]
        answers = [draw(st.sampled_from([a, a.upper(), f"  {a.lower()} "])) for a in answers]
        team = draw(st.sampled_from(["North PT", "north pt", " South PT ", "NORTH CLINIC"]))
        email = ""
        if with_email:
            free = [e for e in staff if e not in used]
            email = draw(st.sampled_from(free)) if free and draw(st.booleans()) else ""
        stray = ""
        if index in bad_at:
            kind = draw(st.sampled_from(BAD_KINDS))
            if kind == "team":
                team = draw(st.sampled_from(["Nowhere", "Harbor PT", "<script>", "' OR 1=1"]))
            elif kind == "answer":
                answers[draw(st.integers(0, len(ITEMS) - 1))] = draw(
                    st.sampled_from(["Maybe", "=1+1", "5", "x" * 5_000])
                )
            elif kind == "no_answer":
                answers = [""] * len(ITEMS)
            elif kind == "email":
                email = draw(
                    st.sampled_from(
                        ["nobody@example.org", world["owner_y"].email, *sorted(used)]
                        if used
                        else ["nobody@x.org"]
                    )
                )
            else:
                stray = "stray"
        if email:
            used.add(email.casefold())
        rows.append([team, *answers, email, stray])
    out = io.StringIO()
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    writer = csv.writer(
        out,
        lineterminator=newline,
        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
    )
    writer.writerow(["team", *ITEMS, "email"])
    bad_lines = set()
    for index, row in enumerate(rows):
        if index in bad_at:
            bad_lines.add(out.getvalue().count("\n") + 1)
        writer.writerow(row if row[-1] else row[:-1])
    bom = draw(st.sampled_from(["", "\ufeff"]))
    return bom + out.getvalue(), bad_lines, count


@given(
    st.one_of(
        st.text(max_size=400), st.text(st.sampled_from(',"\n\r\ufeff team q7 Often'), max_size=200)
    )
)
@PROPERTY
def test_any_text_imports_or_names_its_problems(world, text):
    before = _counts()
    try:
        imported = import_results(world["org_x"], "cbi-work", ON, text)
    except ImportProblems as error:
        assert error.problems and all(isinstance(p, str) and p for p in error.problems)
        assert _counts() == before
    else:
        assert _count(Response) == before[0] + imported.responses
    finally:
        db.session.rollback()


@given(st.data())
@PROPERTY
def test_every_bad_line_is_named_and_a_good_file_is_imported_exactly(world, data):
    text, bad_lines, count = data.draw(result_files(world))
    before = _counts()
    try:
        imported = import_results(world["org_x"], "cbi-work", ON, text)
    except ImportProblems as error:
        named = {int(p.split(":")[0].split(",")[0].removeprefix("line ")) for p in error.problems}
        assert named == bad_lines, error.problems
        event("refused")
        assert _counts() == before
    else:
        assert bad_lines == set()
        assert imported.responses == count
        event("imported")
        assert _count(Response) == before[0] + count
    finally:
        db.session.rollback()
