"""Whatever a definition file holds, loading it ends in an Instrument or a DefinitionError
listing problems: never another exception (which would be a 500 on the upload page)."""
from __future__ import annotations

import copy
import datetime as dt
import json

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orgwell.surveys.instruments.definition import DefinitionError, Instrument, parse_definition
from orgwell.surveys.instruments.files import builtin, load_definition_text

FIELD_NAMES = ["key", "name", "version", "citation", "licence", "answer_sets", "scales", "items",
               "label", "value", "scale", "answer_set", "reversed", "min_answered", "cutoff",
               "direction", "text", "substitutions", "options", "estimated_minutes",
               "patient_facing_only", "meaning"]

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=12),
    st.sampled_from(["cbi", "q1", "work", "frequency", "higher_is_worse", "Always"]),
    st.dates(), st.binary(max_size=4),
)
keys = st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=8), st.integers(),
                 st.booleans(), st.none())
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5),
                            st.dictionaries(keys, inner, max_size=6)),
    max_leaves=40,
)


def outcome(load) -> None:
    try:
        result = load()
    except DefinitionError as error:
        assert error.problems, "a refusal must say why"
        assert all(isinstance(p, str) and p for p in error.problems)
    else:
        assert isinstance(result, Instrument)


@given(documents)
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_any_document_is_an_instrument_or_a_definition_error(document):
    outcome(lambda: parse_definition(document))


def _paths(value, here=()):
    yield here
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, (*here, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _paths(inner, (*here, index))


CBI_DICT = builtin("cbi").to_dict()
CBI_PATHS = [path for path in _paths(CBI_DICT) if path]


@given(st.lists(st.tuples(st.sampled_from(CBI_PATHS), st.one_of(st.just("delete"), documents)),
                min_size=1, max_size=4))
@settings(suppress_health_check=[HealthCheck.too_slow])
def test_mutated_cbi_definitions_never_crash(mutations):
    data = copy.deepcopy(CBI_DICT)
    for path, change in mutations:
        parent = data
        try:
            for part in path[:-1]:
                parent = parent[part]
            if change == "delete":
                del parent[path[-1]]
            else:
                parent[path[-1]] = change
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed this place
    outcome(lambda: parse_definition(data))


@given(st.text(max_size=300))
def test_any_text_is_an_instrument_or_a_definition_error(text):
    outcome(lambda: load_definition_text(text, "fuzz.yaml"))
    outcome(lambda: load_definition_text(text, "fuzz.json"))


@given(documents)
def test_any_yaml_dump_is_an_instrument_or_a_definition_error(document):
    try:
        text = yaml.safe_dump(document)
    except yaml.YAMLError:
        return
    outcome(lambda: load_definition_text(text, "fuzz.yaml"))
    try:
        as_json = json.dumps(document, default=str)
    except (TypeError, ValueError):
        return
    outcome(lambda: load_definition_text(as_json, "fuzz.json"))


def test_yaml_only_values_are_problems_not_crashes():
    """Dates, bytes and non-text keys (which YAML can produce) are named, not fed to jsonschema."""
    try:
        parse_definition({"key": dt.date(2024, 1, 1), 1: 2, "name": b"x"})
    except DefinitionError as error:
        assert error.problems == [
            "key: date values are not allowed (write text in quotes).",
            "name: bytes values are not allowed (write text in quotes).",
            "the file: the name 1 must be text.",
        ]
    else:
        raise AssertionError("a date key was accepted")
