"""An instrument definition in memory: immutable dataclasses, parsed and checked from JSON/YAML.

Everything downstream (forms, scoring, charts, exports, the CLI) works from an `Instrument`, so an
organisation's licensed instrument behaves exactly like the built-in CBI. `parse_definition`
collects every problem before refusing, because a person fixing a file wants the whole list.
Answers are stored as the option's own value; `points()` applies reversal. Reading files
(JSON/YAML text, the built-in definitions) is in files.py.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from orgwell.surveys.instruments.schema import schema_problems

# Column names the survey CSV files use for other things; an item may not take one.
RESERVED_ITEM_KEYS = frozenset({"respondent", "patient_facing", "team", "email", "date"})
DIRECTIONS = ("higher_is_worse", "higher_is_better")


class DefinitionError(ValueError):
    """A definition that cannot be used; `problems` lists every reason, each naming where."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class AnswerOption:
    label: str
    value: float


@dataclass(frozen=True)
class AnswerSet:
    key: str
    options: tuple[AnswerOption, ...]

    @property
    def low(self) -> float:
        return min(o.value for o in self.options)

    @property
    def high(self) -> float:
        return max(o.value for o in self.options)


@dataclass(frozen=True)
class Item:
    key: str
    text: str
    scale: str
    answer_set: str
    reversed: bool = False


@dataclass(frozen=True)
class Scale:
    key: str
    name: str
    min_answered: int
    cutoff: float | None
    direction: str  # "higher_is_worse" | "higher_is_better"
    patient_facing_only: bool = False
    meaning: str = ""


@dataclass(frozen=True)
class Instrument:
    key: str
    name: str
    version: int
    citation: str
    licence: str
    answer_sets: dict[str, AnswerSet]
    items: tuple[Item, ...]
    scales: tuple[Scale, ...]
    substitutions: dict[str, dict[str, str]] = field(default_factory=dict)
    estimated_minutes: int = 1

    # dict fields make the generated hash fail; an instrument is identified by key and version.
    def __hash__(self) -> int:
        return hash((self.key, self.version))

    def item(self, key: str) -> Item:
        """The item with this key (KeyError if none)."""
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    def scale(self, key: str) -> Scale:
        """The scale with this key (KeyError if none)."""
        for scale in self.scales:
            if scale.key == key:
                return scale
        raise KeyError(key)

    def items_in(self, scale_key: str) -> tuple[Item, ...]:
        return tuple(item for item in self.items if item.scale == scale_key)

    def options_for(self, item: Item) -> tuple[AnswerOption, ...]:
        """The item's answer options in display order (as written in the definition)."""
        return self.answer_sets[item.answer_set].options

    def item_text(self, item: Item, wording: str | None = None) -> str:
        """The item's text with the named substitution applied (e.g. "patients").

        Whole words only, keeping a leading capital ("Clients" -> "Patients"). None, or a
        wording this instrument does not offer, gives the text as written.
        """
        replacements = self.substitutions.get(wording or "", {})
        text = item.text
        for old, new in replacements.items():
            text = re.sub(
                rf"\b{re.escape(old)}\b",
                lambda m, new=new: new[:1].upper() + new[1:] if m.group(0)[:1].isupper() else new,
                text,
                flags=re.IGNORECASE,
            )
        return text

    def option_value(self, item: Item, label_or_value) -> float:
        """The stored value of an answer given by label (any case, spaces trimmed) or value.

        Raises ValueError naming the allowed labels when it matches none.
        """
        options = self.options_for(item)
        if isinstance(label_or_value, str):
            wanted = " ".join(label_or_value.split()).casefold()
            for option in options:
                if option.label.casefold() == wanted:
                    return option.value
        elif not isinstance(label_or_value, bool) and isinstance(label_or_value, int | float):
            for option in options:
                if option.value == label_or_value:
                    return option.value
        allowed = ", ".join(o.label for o in options)
        raise ValueError(f"{label_or_value!r} is not an answer to {item.key} (one of: {allowed})")

    def points(self, item: Item, label_or_value) -> float:
        """The points an answer scores, after reversal."""
        return float(self.points_exact(item, self.option_value(item, label_or_value)))

    def points_exact(self, item: Item, value: float) -> Decimal:
        """Points after reversal as an exact decimal of the values as written.

        Reversal mirrors the answer set: low + high - value (Always 100 -> 0 on CBI item 13).
        Decimal of the shortest repr keeps 0.1 + 0.2 == 0.3, so cut-offs behave as written.
        """
        value = self.option_value(item, value)
        if not item.reversed:
            return exact(value)
        answer_set = self.answer_sets[item.answer_set]
        return exact(answer_set.low) + exact(answer_set.high) - exact(value)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: storage, `show --json`, downloads. `parse_definition` reads it back.

        Each item also carries its answer options (raw values as defined, before reversal).
        """
        return {
            "key": self.key,
            "name": self.name,
            "version": self.version,
            "citation": self.citation,
            "licence": self.licence,
            "estimated_minutes": self.estimated_minutes,
            "answer_sets": {
                key: [_option_dict(o) for o in answer_set.options]
                for key, answer_set in self.answer_sets.items()
            },
            "scales": [_scale_dict(scale) for scale in self.scales],
            "items": [
                {
                    "key": item.key,
                    "text": item.text,
                    "scale": item.scale,
                    "answer_set": item.answer_set,
                    "reversed": item.reversed,
                    "options": [_option_dict(o) for o in self.options_for(item)],
                }
                for item in self.items
            ],
            "substitutions": {name: dict(pairs) for name, pairs in self.substitutions.items()},
        }


def exact(value: float) -> Decimal:
    """A float as the decimal it was written as (its shortest repr)."""
    return Decimal(repr(float(value)))


def plain_number(value: float) -> int | float:
    """100.0 -> 100 for files and pages; other values unchanged."""
    return int(value) if float(value).is_integer() else value


def _option_dict(option: AnswerOption) -> dict[str, Any]:
    return {"label": option.label, "value": plain_number(option.value)}


def _scale_dict(scale: Scale) -> dict[str, Any]:
    return {
        "key": scale.key,
        "name": scale.name,
        "min_answered": scale.min_answered,
        "cutoff": None if scale.cutoff is None else plain_number(scale.cutoff),
        "direction": scale.direction,
        "patient_facing_only": scale.patient_facing_only,
        "meaning": scale.meaning,
    }


def parse_definition(data: Any) -> Instrument:
    """Check `data` (a parsed JSON/YAML document) and build the Instrument.

    Raises DefinitionError listing every schema problem, or, when the shape is right, every
    problem with how the parts fit together.
    """
    try:
        problems = schema_problems(data)
    except RecursionError:
        problems = ["the file: nested too deeply."]
    if problems:
        raise DefinitionError(problems)
    problems = _fit_problems(data)
    if problems:
        raise DefinitionError(problems)
    return _build(data)


def _fit_problems(data: dict) -> list[str]:
    """Cross-references, duplicates and counts the schema cannot express."""
    problems: list[str] = []
    for set_key, options in data["answer_sets"].items():
        seen: set[str] = set()
        for i, option in enumerate(options):
            label = " ".join(option["label"].split()).casefold()
            if not label:
                problems.append(f"answer_sets.{set_key}[{i}].label: must not be blank.")
            elif label in seen:
                problems.append(
                    f"answer_sets.{set_key}[{i}].label: {option['label']!r} appears twice "
                    "(labels are matched ignoring case)."
                )
            seen.add(label)
        if len({o["value"] for o in options}) < 2:
            problems.append(f"answer_sets.{set_key}: needs at least two different values.")

    scale_keys = [s["key"] for s in data["scales"]]
    for i, key in enumerate(scale_keys):
        if key in scale_keys[:i]:
            problems.append(f"scales[{i}].key: {key!r} is used by an earlier scale.")
    item_keys: list[str] = []
    for i, item in enumerate(data["items"]):
        key = item["key"]
        if key.casefold() in (k.casefold() for k in item_keys):
            problems.append(f"items[{i}].key: {key!r} is used by an earlier item.")
        if key.casefold() in RESERVED_ITEM_KEYS:
            problems.append(f"items[{i}].key: {key!r} is reserved for a CSV column.")
        item_keys.append(key)
        if item["scale"] not in scale_keys:
            problems.append(f"items[{i}].scale: no scale has the key {item['scale']!r}.")
        answer_set = data["answer_sets"].get(item["answer_set"])
        if answer_set is None:
            problems.append(
                f"items[{i}].answer_set: no answer set has the key {item['answer_set']!r}."
            )
        elif "options" in item and _options(item["options"]) != _options(answer_set):
            problems.append(
                f"items[{i}].options: differ from answer set {item['answer_set']!r} "
                "(leave them out, or copy them exactly)."
            )

    for i, scale in enumerate(data["scales"]):
        members = [item for item in data["items"] if item["scale"] == scale["key"]]
        if not members:
            problems.append(f"scales[{i}]: no item belongs to scale {scale['key']!r}.")
            continue
        if scale["min_answered"] > len(members):
            problems.append(
                f"scales[{i}].min_answered: {scale['min_answered']} is more than the "
                f"{len(members)} item(s) of scale {scale['key']!r}."
            )
        cutoff = scale.get("cutoff")
        sets = [data["answer_sets"][m["answer_set"]] for m in members
                if m["answer_set"] in data["answer_sets"]]
        if cutoff is not None and sets:
            low = min(o["value"] for s in sets for o in s)
            high = max(o["value"] for s in sets for o in s)
            if not low <= cutoff <= high:
                problems.append(
                    f"scales[{i}].cutoff: {cutoff} is outside the scale's points "
                    f"({plain_number(low)} to {plain_number(high)})."
                )
    return problems


def _options(options: list[dict]) -> list[tuple[str, float]]:
    return [(o["label"], float(o["value"])) for o in options]


def _build(data: dict) -> Instrument:
    answer_sets = {
        key: AnswerSet(
            key,
            tuple(AnswerOption(" ".join(o["label"].split()), float(o["value"])) for o in options),
        )
        for key, options in data["answer_sets"].items()
    }
    items = tuple(
        Item(i["key"], i["text"].strip(), i["scale"], i["answer_set"], i.get("reversed", False))
        for i in data["items"]
    )
    scales = tuple(
        Scale(
            key=s["key"],
            name=s["name"].strip(),
            min_answered=s["min_answered"],
            cutoff=None if s.get("cutoff") is None else float(s["cutoff"]),
            direction=s["direction"],
            patient_facing_only=s.get("patient_facing_only", False),
            meaning=s.get("meaning", "").strip(),
        )
        for s in data["scales"]
    )
    return Instrument(
        key=data["key"],
        name=data["name"].strip(),
        version=data["version"],
        citation=data["citation"].strip(),
        licence=data["licence"].strip(),
        answer_sets=answer_sets,
        items=items,
        scales=scales,
        substitutions={k: dict(v) for k, v in data.get("substitutions", {}).items()},
        # About ten seconds an item, rounded up to whole minutes, unless the file says.
        estimated_minutes=data.get("estimated_minutes", max(1, -(-len(items) // 6))),
    )
