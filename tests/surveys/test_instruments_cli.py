"""`orgwell instruments list|show|validate|score`: exact outputs, and bad input that exits 2
naming line and column with nothing on stdout."""
from __future__ import annotations

import json

import pytest
import yaml

from orgwell.surveys.instruments import library
from orgwell.surveys.instruments.files import builtin
from tests import factories
from tests.surveys.test_definition import small_definition

HEADER = "respondent," + ",".join(f"q{n}" for n in range(1, 20))


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def row(respondent: str, *cells: str) -> str:
    cells = list(cells) + [""] * (19 - len(cells))
    return ",".join([respondent, *cells])


def test_list_prints_each_key_and_name(cli):
    result = cli("instruments", "list")
    assert result.exit_code == 0
    assert result.stdout == (
        "cbi\tCopenhagen Burnout Inventory\n"
        "cbi-work\tCopenhagen Burnout Inventory, work-related pulse\n"
    )


def test_list_with_org_adds_its_own(cli, db):
    org = factories.OrganisationFactory(slug="riverside")
    other = factories.OrganisationFactory(slug="harbor")
    library.upload_definition(org, yaml.safe_dump(small_definition()), "e.yaml", None)
    foreign = small_definition() | {"key": "secret", "name": "Someone else's"}
    library.upload_definition(other, json.dumps(foreign), "s.json", None)
    db.session.commit()
    result = cli("instruments", "list", "--org", "riverside")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[2:] == ["energy\tEnergy check"]
    assert cli("instruments", "list", "--org", "nowhere").exit_code == 2


def test_show_json_lists_items_in_order_with_raw_options(cli):
    result = cli("instruments", "show", "cbi", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["key"] == "cbi" and data["version"] == 1
    assert [item["key"] for item in data["items"]] == [f"q{n}" for n in range(1, 20)]
    q13 = data["items"][12]
    assert {k: q13[k] for k in ("key", "text", "scale", "reversed")} == {
        "key": "q13",
        "text": "Do you have enough energy for family and friends during leisure time?",
        "scale": "work",
        "reversed": True,
    }
    # Values as defined (before reversal): Always is 100 here and scores 0.
    assert q13["options"] == [
        {"label": "Always", "value": 100}, {"label": "Often", "value": 75},
        {"label": "Sometimes", "value": 50}, {"label": "Seldom", "value": 25},
        {"label": "Never/almost never", "value": 0},
    ]
    assert data["items"][6]["options"][0] == {"label": "To a very high degree", "value": 100}
    assert data == builtin("cbi").to_dict()


def test_show_without_json_is_readable_and_unknown_keys_exit_2(cli):
    result = cli("instruments", "show", "cbi-work")
    assert result.exit_code == 0
    assert "work: Work-related burnout — 7 items, at least 4 answered, cut-off 50" in result.stdout
    assert "  q13 [reversed]: Do you have enough energy" in result.stdout
    missing = cli("instruments", "show", "mbi", "--json")
    assert missing.exit_code == 2
    assert missing.stdout == ""
    assert "no built-in instrument has the key “mbi”" in missing.stderr


def test_score_writes_scores_and_bands(cli, tmp_path):
    path = write(tmp_path, "paper.csv", "\n".join([
        HEADER,
        # personal: 100, 75, 50 -> 75 high; work: 7 x Always with q13 reversed -> 85.71 high
        row("anna", "Always", " often ", "SOMETIMES", "", "", "",
            *["To a very high degree"] * 3, "Always", "Always", "Always", "Always"),
        # personal: two answers only -> no score; client: 6 x Somewhat/Sometimes -> 50 high
        row("ben", "Never/almost never", "Seldom", "", "", "", "",
            "", "", "", "", "", "", "",
            "Somewhat", "Somewhat", "Somewhat", "Somewhat", "Sometimes", "Sometimes"),
        # client: 49 is impossible with CBI points; 3 answers 50, 50, 25 -> 41.67 below
        row("cara", "", "", "", "", "", "", "", "", "", "", "", "", "",
            "Somewhat", "Somewhat", "To a low degree"),
        "",
    ]) + "\n")
    result = cli("instruments", "score", "cbi", path)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == (
        "respondent,personal,personal_band,work,work_band,client,client_band\n"
        "anna,75.00,high,85.71,high,,\n"
        "ben,,,,,50.00,high\n"
        "cara,,,,,41.67,below\n"
    )


def test_score_optional_patient_facing_column(cli, tmp_path):
    path = write(tmp_path, "pf.csv", "respondent,patient_facing,q14,q15,q16\n"
                                     "front desk,no,Somewhat,Somewhat,Somewhat\n"
                                     "pt,yes,Somewhat,Somewhat,Somewhat\n"
                                     "aide,,Somewhat,Somewhat,Somewhat\n")
    result = cli("instruments", "score", "cbi", path)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1:] == [
        "front desk,,,,,,not_applicable",
        "pt,,,,,50.00,high",
        "aide,,,,,50.00,high",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (HEADER + "\n" + row("anna", "Alwayz") + "\n",
         "line 2, column 2 (q1): 'Alwayz' is not an answer to this item"),
        ("respondent,q1,q99\nanna,Always,\n",
         "line 1, column 3 (q99): unknown column"),
        ("respondent,q1\nanna,Always\nbob,Often\nAnna,Seldom\n",
         "line 4, column 1 (respondent): 'Anna' appears already on line 2."),
        ("q1,respondent\nOften,anna\n",
         "line 1, column 1 (q1): the first column must be 'respondent'."),
        ("q1,q2\nOften,Often\n", "line 1: the column 'respondent' is missing."),
        ("", "line 1: the file is empty."),
        ("\n \n", "line 1: the file is empty."),
        ("respondent,q1\n,Often\n", "line 2, column 1 (respondent): this cell must not be empty."),
        ("respondent,q1\nanna,Often,extra\n",
         "line 2, column 3: a value beyond the last column of the header."),
        ("respondent,q1,q1\nanna,Often,Often\n",
         "line 1, column 3 (q1): this column appears twice."),
        ("respondent,patient_facing,q1\nanna,maybe,Often\n",
         "line 2, column 2 (patient_facing): 'maybe' is not yes or no."),
        ("respondent,q7\nanna,Always\n",  # a frequency label on a degree item
         "line 2, column 2 (q7): 'Always' is not an answer to this item"),
    ],
)
def test_bad_cells_exit_2_naming_line_and_column_with_nothing_on_stdout(
    cli, tmp_path, text, message
):
    result = cli("instruments", "score", "cbi", write(tmp_path, "bad.csv", text))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"bad.csv: {message}" in result.stderr


def test_every_bad_cell_is_reported_at_once(cli, tmp_path):
    text = "respondent,q1,q2\nanna,Alwys,Often\nbob,Often,Oftn\nanna,,\n"
    result = cli("instruments", "score", "cbi", write(tmp_path, "bad.csv", text))
    assert result.exit_code == 2 and result.stdout == ""
    assert [line.split(":")[1].strip() for line in result.stderr.splitlines()] == [
        "line 2, column 2 (q1)", "line 3, column 3 (q2)", "line 4, column 1 (respondent)",
    ]


def test_score_reads_a_bom_and_multiline_cells_count_lines(cli, tmp_path):
    text = '\ufeffrespondent,q1\n"two\nlines",Often\nbob,Oftn\n'
    result = cli("instruments", "score", "cbi", write(tmp_path, "bom.csv", text))
    assert result.exit_code == 2
    assert "bom.csv: line 4, column 2 (q1): 'Oftn'" in result.stderr
    ok = cli("instruments", "score", "cbi-work",
             write(tmp_path, "ok.csv", "\ufeffRespondent,Q7\nx,somewhat\n"))
    assert ok.exit_code == 0
    assert ok.stdout == "respondent,work,work_band\nx,,\n"


def test_score_refuses_files_that_are_not_utf8(cli, tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("respondent,q1\nJosé,Often\n".encode("latin-1"))
    result = cli("instruments", "score", "cbi", str(path))
    assert result.exit_code == 2 and result.stdout == ""
    assert "latin.csv: not UTF-8 text" in result.stderr


def test_score_with_an_organisations_own_instrument(cli, db, tmp_path):
    org = factories.OrganisationFactory(slug="riverside")
    library.upload_definition(org, yaml.safe_dump(small_definition()), "e.yaml", None)
    db.session.commit()
    path = write(tmp_path, "e.csv", "respondent,e1,e2,e3\nx,Always,Always,Never\n")
    result = cli("instruments", "score", "energy", path, "--org", "riverside")
    assert result.exit_code == 0, result.stderr
    # e2 is reversed: Always scores 0 -> drain (100 + 0) / 2 = 50 high; rest has no cut-off.
    assert result.stdout == "respondent,drain,drain_band,rest,rest_band\nx,50.00,high,0.00,\n"
    assert cli("instruments", "score", "energy", path).exit_code == 2


def test_validate_lists_every_problem(cli, tmp_path):
    good = write(tmp_path, "good.yaml", yaml.safe_dump(small_definition()))
    result = cli("instruments", "validate", good)
    assert result.exit_code == 0
    assert result.stdout == "good.yaml: OK, “Energy check” (energy): 3 items in 2 scale(s).\n"
    broken = small_definition()
    broken["items"][0]["scale"] = "nowhere"
    broken["scales"][0]["min_answered"] = 9
    result = cli("instruments", "validate", write(tmp_path, "bad.json", json.dumps(broken)))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "bad.json: items[0].scale: no scale has the key 'nowhere'.",
        "bad.json: scales[0].min_answered: 9 is more than the 1 item(s) of scale 'drain'.",
    ]


def test_score_rounds_the_exact_mean_half_up_and_bands_the_unrounded_one(cli, db, tmp_path):
    """62.125 prints 62.13 (a float format would print 62.12); the band is decided on the
    exact 62.125, so against a cut-off of 62.13 it is "below" although 62.13 is printed."""
    definition = small_definition()
    definition["answer_sets"]["often"] = [
        {"label": "Always", "value": 62.25}, {"label": "Sometimes", "value": 62},
        {"label": "Never", "value": 0},
    ]
    definition["scales"][0]["cutoff"] = 62.13
    definition["items"][1]["reversed"] = False
    org = factories.OrganisationFactory(slug="riverside")
    library.upload_definition(org, yaml.safe_dump(definition), "e.yaml", None)
    db.session.commit()
    path = write(tmp_path, "e.csv", "respondent,e1,e2,e3\nx,Always,Sometimes,Always\n")
    result = cli("instruments", "score", "energy", path, "--org", "riverside")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "respondent,drain,drain_band,rest,rest_band\nx,62.13,below,62.25,\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('respondent,q7\n"A,Somewhat\n', "line 2, column 1 (respondent): unreadable CSV"),
        ('respondent,q7\nA,"Somewhat"x\n', "line 2, column 2 (q7): unreadable CSV"),
    ],
)
def test_a_broken_quote_exits_2_naming_line_and_column(cli, tmp_path, text, message):
    result = cli("instruments", "score", "cbi-work", write(tmp_path, "quote.csv", text))
    assert result.exit_code == 2 and result.stdout == ""
    assert f"quote.csv: {message}" in result.stderr
