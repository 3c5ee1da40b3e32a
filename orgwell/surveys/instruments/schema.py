"""The JSON Schema of an instrument definition file, and its problems in plain words.

The schema checks shape only (types, required fields, key patterns, sizes); whether the parts
fit together (an item naming a scale that exists, enough items for a scale's minimum) is checked
in `definition.py`. Keys are restricted because item keys become CSV column names and scale keys
become report column names.
"""
from __future__ import annotations

import math
from typing import Any

from jsonschema import Draft202012Validator

INSTRUMENT_KEY = r"^[a-z0-9][a-z0-9-]{0,39}$"
ITEM_KEY = r"^[A-Za-z][A-Za-z0-9_]{0,39}$"
SCALE_KEY = r"^[a-z][a-z0-9_]{0,39}$"
SET_KEY = r"^[a-z][a-z0-9_-]{0,39}$"

# Bounds keep a definition something a person answers on a phone, and scores finite.
MAX_ITEMS = 200
MAX_OPTIONS = 15
MAX_VALUE = 1_000_000

_text = {"type": "string", "minLength": 1}
_option = {
    "type": "object",
    "required": ["label", "value"],
    "additionalProperties": False,
    "properties": {
        "label": {"type": "string", "minLength": 1, "maxLength": 120},
        "value": {"type": "number", "minimum": -MAX_VALUE, "maximum": MAX_VALUE},
    },
}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "OrgWell survey instrument",
    "type": "object",
    "required": ["key", "name", "version", "citation", "licence", "answer_sets", "scales",
                 "items"],
    "additionalProperties": False,
    "properties": {
        "key": {"type": "string", "pattern": INSTRUMENT_KEY},
        "name": {**_text, "maxLength": 120},
        "version": {"type": "integer", "minimum": 1},
        "citation": {**_text, "maxLength": 2000},
        "licence": {**_text, "maxLength": 2000},
        "estimated_minutes": {"type": "integer", "minimum": 1, "maximum": 120},
        "answer_sets": {
            "type": "object",
            "minProperties": 1,
            "propertyNames": {"pattern": SET_KEY},
            "additionalProperties": {
                "type": "array", "minItems": 2, "maxItems": MAX_OPTIONS, "items": _option,
            },
        },
        "scales": {
            "type": "array",
            "minItems": 1,
            "maxItems": 20,
            "items": {
                "type": "object",
                "required": ["key", "name", "min_answered", "direction"],
                "additionalProperties": False,
                "properties": {
                    "key": {"type": "string", "pattern": SCALE_KEY},
                    "name": {**_text, "maxLength": 120},
                    "min_answered": {"type": "integer", "minimum": 1},
                    "cutoff": {
                        "type": ["number", "null"],
                        "minimum": -MAX_VALUE,
                        "maximum": MAX_VALUE,
                    },
                    "direction": {"enum": ["higher_is_worse", "higher_is_better"]},
                    "patient_facing_only": {"type": "boolean"},
                    "meaning": {"type": "string", "maxLength": 2000},
                },
            },
        },
        "items": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_ITEMS,
            "items": {
                "type": "object",
                "required": ["key", "text", "scale", "answer_set"],
                "additionalProperties": False,
                "properties": {
                    "key": {"type": "string", "pattern": ITEM_KEY},
                    "text": {**_text, "maxLength": 500},
                    "scale": {"type": "string"},
                    "answer_set": {"type": "string"},
                    "reversed": {"type": "boolean"},
                    # Written by `Instrument.to_dict` for readers; must match the answer set.
                    "options": {"type": "array", "items": _option},
                },
            },
        },
        "substitutions": {
            "type": "object",
            "propertyNames": {"pattern": SET_KEY},
            "additionalProperties": {
                "type": "object",
                "minProperties": 1,
                "propertyNames": {"minLength": 1, "maxLength": 60},
                "additionalProperties": {"type": "string", "minLength": 1, "maxLength": 60},
            },
        },
    },
}

_VALIDATOR = Draft202012Validator(SCHEMA)


def where(path) -> str:
    """`items[3].scale` from a jsonschema path deque ("the file" for the top level)."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "the file"


def json_problems(data: Any, path: tuple = ()) -> list[str]:
    """Values a JSON document cannot hold (YAML dates, non-text keys, NaN), each with its place.

    Checked before the schema because jsonschema assumes JSON values (a number as a mapping
    key would crash its pattern checks).
    """
    problems: list[str] = []
    stack: list[tuple[tuple, Any]] = [(path, data)]
    while stack:
        here, value = stack.pop()
        if isinstance(value, dict):
            for key, inner in value.items():
                if not isinstance(key, str):
                    problems.append(f"{where(here)}: the name {key!r} must be text.")
                else:
                    stack.append((here + (key,), inner))
        elif isinstance(value, list):
            stack.extend((here + (i,), inner) for i, inner in enumerate(value))
        elif isinstance(value, float) and not math.isfinite(value):
            problems.append(f"{where(here)}: {value!r} is not a finite number.")
        elif value is not None and not isinstance(value, str | int | float | bool):
            problems.append(
                f"{where(here)}: {type(value).__name__} values are not allowed "
                "(write text in quotes)."
            )
    return sorted(problems)


def schema_problems(data: Any) -> list[str]:
    """Every way `data` breaks the schema, each naming where, in document order."""
    problems = json_problems(data)
    if problems:
        return problems
    errors = sorted(_VALIDATOR.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    return [f"{where(error.absolute_path)}: {_message(error)}" for error in errors]


def _message(error) -> str:
    """jsonschema's message, shortened where it would print a whole sub-document."""
    if error.validator == "type" and not error.absolute_path:
        return "must be a mapping of fields (key: ..., name: ..., items: ...)."
    if error.validator == "required":
        missing = error.message.split(" is a required property")[0]
        return f"{missing} is required."
    if error.validator == "additionalProperties":
        return error.message.replace("Additional properties are not allowed", "unknown field(s)")
    if error.validator == "pattern":
        return f"{error.instance!r} is not allowed here (use letters, digits, '_' or '-')."
    if error.validator in ("type", "enum") and isinstance(error.instance, dict | list):
        kind = "a mapping" if isinstance(error.instance, dict) else "a list"
        return f"{kind} is not allowed here ({error.validator}: {error.validator_value!r})."
    message = error.message
    return message if len(message) <= 300 else message[:297] + "..."
