"""Instrument definitions: the built-in CBI files match the reference facts, and a broken
definition is refused with every problem, each naming where it is."""
from __future__ import annotations

import copy
import json

import pytest
import yaml

from orgwell.surveys.instruments.definition import DefinitionError, parse_definition
from orgwell.surveys.instruments.files import (
    DEFINITIONS_DIR,
    builtin,
    builtin_instruments,
    load_definition_text,
)

FREQUENCY = ["Always", "Often", "Sometimes", "Seldom", "Never/almost never"]
DEGREE = ["To a very high degree", "To a high degree", "Somewhat", "To a low degree",
          "To a very low degree"]


def small_definition() -> dict:
    """A valid two-scale definition that tests break one piece at a time."""
    return {
        "key": "energy",
        "name": "Energy check",
        "version": 1,
        "citation": "Written for the tests.",
        "licence": "Ours.",
        "answer_sets": {
            "often": [{"label": "Always", "value": 100}, {"label": "Sometimes", "value": 50},
                      {"label": "Never", "value": 0}],
        },
        "scales": [
            {"key": "drain", "name": "Drain", "min_answered": 2, "cutoff": 50,
             "direction": "higher_is_worse"},
            {"key": "rest", "name": "Rest", "min_answered": 1, "cutoff": None,
             "direction": "higher_is_better"},
        ],
        "items": [
            {"key": "e1", "text": "Drained?", "scale": "drain", "answer_set": "often"},
            {"key": "e2", "text": "Rested?", "scale": "drain", "answer_set": "often",
             "reversed": True},
            {"key": "e3", "text": "Slept well?", "scale": "rest", "answer_set": "often"},
        ],
    }


def problems_of(data) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        parse_definition(data)
    return caught.value.problems


# --- the built-in CBI ----------------------------------------------------------------------


def test_cbi_has_three_scales_of_the_reference_items():
    cbi = builtin("cbi")
    assert [item.key for item in cbi.items] == [f"q{n}" for n in range(1, 20)]
    assert {s.key: [i.key for i in cbi.items_in(s.key)] for s in cbi.scales} == {
        "personal": [f"q{n}" for n in range(1, 7)],
        "work": [f"q{n}" for n in range(7, 14)],
        "client": [f"q{n}" for n in range(14, 20)],
    }
    assert {s.key: s.min_answered for s in cbi.scales} == {"personal": 3, "work": 4, "client": 3}
    assert {s.cutoff for s in cbi.scales} == {50.0}
    assert {s.direction for s in cbi.scales} == {"higher_is_worse"}
    assert [s.key for s in cbi.scales if s.patient_facing_only] == ["client"]
    assert cbi.item("q4").text == 'How often do you think: "I can\'t take it anymore"?'
    assert cbi.item("q19").text == (
        "Do you sometimes wonder how long you will be able to continue working with clients?"
    )


def test_cbi_answer_sets_score_100_to_0_and_items_use_the_right_one():
    cbi = builtin("cbi")
    for key, labels in (("frequency", FREQUENCY), ("degree", DEGREE)):
        options = cbi.answer_sets[key].options
        assert [(o.label, o.value) for o in options] == list(zip(labels, [100, 75, 50, 25, 0],
                                                                 strict=True))
    degree_items = {"q7", "q8", "q9", "q14", "q15", "q16", "q17"}
    for item in cbi.items:
        assert item.answer_set == ("degree" if item.key in degree_items else "frequency")


def test_only_item_13_is_reversed():
    cbi = builtin("cbi")
    assert [item.key for item in cbi.items if item.reversed] == ["q13"]
    q13 = cbi.item("q13")
    assert [cbi.points(q13, label) for label in FREQUENCY] == [0, 25, 50, 75, 100]
    q12 = cbi.item("q12")
    assert [cbi.points(q12, label) for label in FREQUENCY] == [100, 75, 50, 25, 0]


def test_cbi_work_is_the_work_scale_alone_with_the_same_rules():
    cbi, pulse = builtin("cbi"), builtin("cbi-work")
    assert [s.key for s in pulse.scales] == ["work"]
    assert pulse.scale("work") == cbi.scale("work")
    assert pulse.items == cbi.items_in("work")
    assert pulse.estimated_minutes == 1
    assert pulse.citation == cbi.citation


def test_citation_and_licence_are_shown_and_only_free_instruments_ship():
    for instrument in builtin_instruments():
        assert "Kristensen TS" in instrument.citation
        assert "Work & Stress 2005;19(3):192-207" in instrument.citation
        assert "Free to use" in instrument.licence
    assert sorted(p.name for p in DEFINITIONS_DIR.iterdir()) == ["cbi-work.yaml", "cbi.yaml"]
    with pytest.raises(KeyError):
        builtin("mbi")


def test_patient_wording_replaces_clients_and_keeps_capitals():
    cbi = builtin("cbi")
    for item in cbi.items_in("client"):
        assert "clients" in item.text
        assert "clients" not in cbi.item_text(item, "patients")
        assert "patients" in cbi.item_text(item, "patients")
    assert cbi.item_text(cbi.item("q14"), "patients") == (
        "Do you find it hard to work with patients?"
    )
    assert cbi.item_text(cbi.item("q14")) == "Do you find it hard to work with clients?"
    data = small_definition()
    data["items"][0]["text"] = "Clients and clientship: clients?"
    data["substitutions"] = {"patients": {"clients": "patients"}}
    energy = parse_definition(data)
    assert energy.item_text(energy.item("e1"), "patients") == "Patients and clientship: patients?"


def test_answer_labels_match_ignoring_case_and_spaces():
    cbi = builtin("cbi")
    q1 = cbi.item("q1")
    assert cbi.option_value(q1, "  never/ALMOST never ") == 0
    assert cbi.option_value(q1, 75) == 75
    with pytest.raises(ValueError, match="not an answer to q1"):
        cbi.option_value(q1, "Alway")
    with pytest.raises(ValueError):
        cbi.option_value(q1, 60)
    with pytest.raises(ValueError):
        cbi.option_value(q1, True)


def test_to_dict_reads_back_and_lists_items_with_raw_options():
    cbi = builtin("cbi")
    data = cbi.to_dict()
    assert parse_definition(json.loads(json.dumps(data))) == cbi
    q13 = data["items"][12]
    assert q13["key"] == "q13" and q13["reversed"] is True and q13["scale"] == "work"
    assert q13["options"][0] == {"label": "Always", "value": 100}


# --- refusing broken definitions -----------------------------------------------------------


def test_every_fit_problem_is_listed_with_its_place():
    data = small_definition()
    data["items"][0]["scale"] = "nowhere"
    data["items"][1]["answer_set"] = "missing"
    data["items"].append({"key": "e1", "text": "Again?", "scale": "rest", "answer_set": "often"})
    data["items"].append({"key": "team", "text": "Team?", "scale": "rest", "answer_set": "often"})
    data["scales"][1]["min_answered"] = 5
    data["scales"].append({"key": "empty", "name": "Empty", "min_answered": 1,
                           "direction": "higher_is_worse"})
    data["answer_sets"]["often"].append({"label": "ALWAYS", "value": 75})
    problems = problems_of(data)
    expected = [
        "answer_sets.often[3].label",
        "items[0].scale: no scale has the key 'nowhere'",
        "items[1].answer_set: no answer set has the key 'missing'",
        "items[3].key: 'e1' is used by an earlier item",
        "items[4].key: 'team' is reserved",
        "scales[0].min_answered: 2 is more than the 1 item(s) of scale 'drain'",
        "scales[1].min_answered: 5 is more than the 3 item(s)",
        "scales[2]: no item belongs to scale 'empty'",
    ]
    for fragment in expected:
        assert any(fragment in problem for problem in problems), (fragment, problems)
    assert len(problems) == len(expected)


def test_cutoff_outside_the_points_and_mismatched_options_are_refused():
    data = small_definition()
    data["scales"][0]["cutoff"] = 150
    data["items"][0]["options"] = [{"label": "Yes", "value": 1}, {"label": "No", "value": 0}]
    problems = problems_of(data)
    assert any(p.startswith("scales[0].cutoff: 150 is outside") for p in problems)
    assert any(p.startswith("items[0].options: differ") for p in problems)


def test_schema_problems_are_all_listed_before_anything_else():
    data = small_definition()
    del data["citation"]
    data["version"] = "one"
    data["scales"][0]["direction"] = "up"
    data["items"][2]["key"] = "3 bad"
    data["colour"] = "blue"
    data["items"][0]["scale"] = "nowhere"  # a fit problem: not reported while shape is wrong
    problems = problems_of(data)
    assert len(problems) == 5, problems
    joined = "\n".join(problems)
    assert "the file: 'citation' is required." in joined
    assert "version: 'one' is not of type 'integer'" in joined
    assert "scales[0].direction" in joined
    assert "items[2].key: '3 bad' is not allowed here" in joined
    assert "unknown field(s) ('colour' was unexpected)" in joined


def test_values_json_cannot_hold_are_refused_with_their_place():
    data = small_definition()
    data["answer_sets"]["often"][0]["value"] = float("nan")
    data["items"][0][3] = "number key"
    problems = problems_of(data)
    assert "answer_sets.often[0].value: nan is not a finite number." in problems
    assert "items[0]: the name 3 must be text." in problems


def test_a_definition_that_is_not_a_mapping_is_refused():
    for data in ([1, 2], None, "text", 3):
        assert problems_of(data) == [
            "the file: must be a mapping of fields (key: ..., name: ..., items: ...)."
        ]


# --- reading files ---------------------------------------------------------------------------


def test_yaml_and_json_texts_give_the_same_instrument():
    data = small_definition()
    from_yaml = load_definition_text(yaml.safe_dump(data), "energy.yaml")
    from_json = load_definition_text(json.dumps(data), "energy.json")
    assert from_yaml == from_json == parse_definition(copy.deepcopy(data))


def test_unreadable_files_name_the_line():
    with pytest.raises(DefinitionError) as caught:
        load_definition_text('{"key": "x",\n "name": }', "x.json")
    assert caught.value.problems[0].startswith("line 2, column 10: not valid JSON")
    with pytest.raises(DefinitionError) as caught:
        load_definition_text("key: x\nitems: [a, b\nname: y\n", "x.yaml")
    assert caught.value.problems[0].startswith("line 3, column 5: not valid YAML")


def test_yaml_aliases_are_refused():
    text = "a: &x [1, 2]\nb: *x\n"
    with pytest.raises(DefinitionError) as caught:
        load_definition_text(text, "bomb.yaml")
    assert caught.value.problems == [
        "line 2, column 4: YAML aliases (*name) are not allowed; write the value out."
    ]


def test_yaml_dates_and_deep_nesting_are_refused_cleanly():
    with pytest.raises(DefinitionError) as caught:
        load_definition_text("key: 2024-01-01\n", "d.yaml")
    assert caught.value.problems == [
        "key: date values are not allowed (write text in quotes)."
    ]
    with pytest.raises(DefinitionError) as caught:
        load_definition_text("[" * 100_000 + "]" * 100_000, "deep.yaml")
    assert caught.value.problems == [
        "the file: brackets nested 100000 deep; at most 32 are allowed."
    ]
    with pytest.raises(DefinitionError):
        load_definition_text("a:\n" + "".join(" " * n + "b:\n" for n in range(1, 400)), "i.yaml")
    with pytest.raises(DefinitionError):
        load_definition_text("{\"a\":" * 5000 + "1" + "}" * 5000, "deep.json")
