"""Instrument definitions from text and files: JSON or YAML, read defensively, and the built-ins.

The parsing and checking of the document itself is `definition.parse_definition`.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from orgwell.surveys.instruments.definition import DefinitionError, Instrument, parse_definition

DEFINITIONS_DIR = Path(__file__).parent / "definitions"
BUILTIN_KEYS = ("cbi", "cbi-work")
MAX_FLOW_DEPTH = 32


def load_definition_text(text: str, filename: str = "") -> Instrument:
    """Parse a JSON or YAML definition (JSON when the name ends .json or the text starts '{').

    Raises DefinitionError for unreadable text too, naming the line where the parser stopped.
    YAML anchors and aliases are refused: they let a small file expand into a huge document.
    """
    return parse_definition(read_document(text, filename))


def read_document(text: str, filename: str = "") -> Any:
    """The JSON/YAML document in `text`, or DefinitionError saying where it is unreadable."""
    if filename.lower().endswith(".json") or text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            raise DefinitionError(
                [f"line {error.lineno}, column {error.colno}: not valid JSON ({error.msg})."]
            ) from None
        except RecursionError:
            raise DefinitionError(["the file: nested too deeply."]) from None
    depth = _flow_depth(text)
    if depth > MAX_FLOW_DEPTH:
        raise DefinitionError(
            [f"the file: brackets nested {depth} deep; at most {MAX_FLOW_DEPTH} are allowed."]
        )
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            if isinstance(event, yaml.AliasEvent):
                mark = event.start_mark
                raise DefinitionError(
                    [f"line {mark.line + 1}, column {mark.column + 1}: "
                     "YAML aliases (*name) are not allowed; write the value out."]
                )
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        place = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        raise DefinitionError([f"{place}not valid YAML ({error.problem or error})."]) from None
    except yaml.YAMLError as error:
        raise DefinitionError([f"the file: not valid YAML ({error})."]) from None
    except RecursionError:
        raise DefinitionError(["the file: nested too deeply."]) from None


def _flow_depth(text: str) -> int:
    """The deepest nesting of [ and { (quotes ignored: an over-estimate is harmless).

    PyYAML's scanner slows down with the square of flow nesting, so a small file of brackets
    could keep a web worker busy for minutes; a definition never needs more than a few levels.
    """
    depth = deepest = 0
    for char in text:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}" and depth:
            depth -= 1
    return deepest


@cache
def builtin(key: str) -> Instrument:
    """A built-in instrument by key ("cbi", "cbi-work"); KeyError for any other key."""
    if key not in BUILTIN_KEYS:
        raise KeyError(key)
    path = DEFINITIONS_DIR / f"{key}.yaml"
    return load_definition_text(path.read_text(encoding="utf-8"), path.name)


def builtin_instruments() -> list[Instrument]:
    return [builtin(key) for key in BUILTIN_KEYS]
