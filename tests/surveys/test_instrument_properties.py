"""Instrument definitions, the other way round from test_schema_fuzz: generated valid ones
survive every round trip, and the upload page, fed any mutated file, answers a saved version
or a list of problems (never a 5xx) and stores nothing when it refuses."""

from __future__ import annotations

import copy
import io
import json

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from orgwell.extensions import db
from orgwell.surveys.instruments.definition import parse_definition
from orgwell.surveys.instruments.files import builtin_instruments, load_definition_text
from orgwell.surveys.instruments.models import InstrumentVersion
from tests import factories
from tests.surveys.test_schema_fuzz import CBI_DICT, CBI_PATHS, documents

keys = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)
instrument_keys = st.from_regex(r"[a-z0-9][a-z0-9-]{0,11}", fullmatch=True)
words = (
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=30)
    .map(lambda s: " ".join(s.split()))
    .filter(bool)
)


@st.composite
def definitions(draw):
    """A valid definition: distinct keys and labels, numbers with at most two decimals."""
    values = sorted(draw(st.sets(st.integers(-10_000, 10_000), min_size=2, max_size=6)))
    labels = draw(
        st.lists(words, min_size=len(values), max_size=len(values), unique_by=str.casefold)
    )
    scale_keys = draw(st.lists(keys, min_size=1, max_size=3, unique=True))
    item_keys = draw(st.lists(keys, min_size=len(scale_keys), max_size=8, unique=True))
    scales = [
        {
            "key": key,
            "name": draw(words),
            "min_answered": 1,
            "direction": draw(st.sampled_from(["higher_is_worse", "higher_is_better"])),
            "cutoff": draw(st.one_of(st.none(), st.sampled_from([v / 100 for v in values]))),
        }
        for key in scale_keys
    ]
    items = [
        {
            "key": key,
            "text": draw(words),
            "answer_set": "a",
            "scale": scale_keys[n] if n < len(scale_keys) else draw(st.sampled_from(scale_keys)),
            "reversed": draw(st.booleans()),
        }
        for n, key in enumerate(item_keys)
    ]
    return {
        "key": draw(instrument_keys),
        "name": draw(words),
        "version": draw(st.integers(1, 99)),
        "citation": draw(words),
        "licence": draw(words),
        "answer_sets": {
            "a": [
                {"label": label, "value": value / 100}
                for label, value in zip(labels, values, strict=True)
            ]
        },
        "scales": scales,
        "items": items,
    }


@given(definitions())
@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
def test_valid_definitions_round_trip_through_dict_yaml_and_json(data):
    instrument = parse_definition(data)
    as_dict = instrument.to_dict()
    assert parse_definition(as_dict).to_dict() == as_dict
    assert (
        load_definition_text(yaml.safe_dump(as_dict, allow_unicode=True), "x.yaml").to_dict()
        == as_dict
    )
    assert load_definition_text(json.dumps(as_dict), "x.json").to_dict() == as_dict


def test_every_builtin_round_trips():
    for instrument in builtin_instruments():
        as_dict = instrument.to_dict()
        assert parse_definition(as_dict).to_dict() == as_dict
        assert load_definition_text(yaml.safe_dump(as_dict), "x.yaml").to_dict() == as_dict


def _versions() -> int:
    return db.session.scalar(select(func.count()).select_from(InstrumentVersion))


@given(
    mutations=st.lists(
        st.tuples(st.sampled_from(CBI_PATHS), st.one_of(st.just("delete"), documents)), max_size=3
    ),
    key=instrument_keys,
    as_json=st.booleans(),
    junk=st.sampled_from(["", "\n: [", "\t\x07", "\n---\nx: 1"]),
)
@settings(
    deadline=None,
    max_examples=30,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_upload_page_saves_or_lists_problems_never_a_5xx(
    client, world, mutations, key, as_json, junk
):
    data = copy.deepcopy(CBI_DICT) | {"key": key}
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
            continue
    try:
        text = (json.dumps(data, default=str) if as_json else yaml.safe_dump(data)) + junk
    except yaml.YAMLError:
        return
    if not getattr(client, "logged_in", False):  # the client lives across examples
        client.post(
            "/login", data={"email": world["owner_x"].email, "password": factories.PASSWORD}
        )
        client.logged_in = True
    before = _versions()
    response = client.post(
        "/o/riverside/instruments/upload",
        data={
            "file": (
                io.BytesIO(text.encode("utf-8", "surrogatepass")),
                "fuzz.json" if as_json else "fuzz.yaml",
            )
        },
    )
    assert response.status_code in (200, 302)
    if response.status_code == 200:  # the page again, listing the problems
        assert _versions() == before
        assert "problem" in response.get_data(as_text=True).lower()
    else:  # saved, or the same definition again: its stored version
        assert _versions() in (before, before + 1)
