"""The instruments an organisation can use: built-ins, uploaded definitions and custom pulses.

Services flush, never commit. Lookups always go through the organisation (its own rows plus the
built-ins), so another organisation's instrument does not exist for the caller. Nothing is ever
updated in place: uploading a key again or editing a custom pulse adds the next version, and a
campaign keeps the version it was created with.
"""
from __future__ import annotations

import importlib
import math
import re
from dataclasses import dataclass, replace

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from orgwell.audit.services import record
from orgwell.extensions import db
from orgwell.surveys.instruments.definition import DefinitionError, Instrument, parse_definition
from orgwell.surveys.instruments.files import (
    BUILTIN_KEYS,
    builtin,
    builtin_instruments,
    load_definition_text,
)
from orgwell.surveys.instruments.models import InstrumentVersion

MAX_UPLOAD_BYTES = 200 * 1024
# Page names under /o/<slug>/instruments/ that an instrument key would hide.
RESERVED_KEYS = frozenset({"upload", "new-pulse"}) | frozenset(BUILTIN_KEYS)
PULSE_MAX_ITEMS = 10

# The answer sets a custom pulse can use: (label shown in the form, options high to low).
PULSE_ANSWER_SETS = {
    "frequency": (
        "How often (Always … Never), as in the CBI",
        [("Always", 100), ("Often", 75), ("Sometimes", 50), ("Seldom", 25),
         ("Never/almost never", 0)],
    ),
    "agree": (
        "Agreement (Strongly agree … Strongly disagree)",
        [("Strongly agree", 100), ("Agree", 75), ("Neither agree nor disagree", 50),
         ("Disagree", 25), ("Strongly disagree", 0)],
    ),
}


class UnknownInstrument(KeyError):
    """No instrument (or no such version of it) is available to the organisation."""


class PulseError(ValueError):
    """A custom pulse that cannot be saved; `field` names the form field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


@dataclass(frozen=True)
class Available:
    """One instrument an organisation can use: its latest version and all versions."""

    latest: InstrumentVersion
    versions: tuple[InstrumentVersion, ...]  # newest first

    @property
    def instrument(self) -> Instrument:
        return self.latest.instrument

    @property
    def is_builtin(self) -> bool:
        return self.latest.is_builtin


def sync_builtins() -> list[InstrumentVersion]:
    """Store each built-in definition file as a row, once; returns the latest built-in rows.

    A built-in file whose content differs from its latest row becomes the next version rather
    than changing the row, so campaigns keep what they were answered under. Safe to run at
    once from several processes (the loser of a race finds the winner's row).
    """
    rows = []
    for instrument in builtin_instruments():
        latest = _latest_row(None, instrument.key)
        if latest is not None and _same(latest.instrument, instrument):
            rows.append(latest)
            continue
        version = latest.version + 1 if latest is not None else instrument.version
        rows.append(_insert(None, replace(instrument, version=version), "builtin", None))
    return rows


def available_instruments(org) -> list[Available]:
    """Built-ins first (in their fixed order), then the organisation's own by name."""
    sync_builtins()
    rows = db.session.scalars(
        select(InstrumentVersion)
        .where(_visible_to(org))
        .order_by(InstrumentVersion.version.desc())
    ).all()
    by_key: dict[tuple[bool, str], list[InstrumentVersion]] = {}
    for row in rows:
        by_key.setdefault((row.is_builtin, row.key), []).append(row)
    found = [Available(versions[0], tuple(versions)) for versions in by_key.values()]

    def order(item: Available):
        if item.is_builtin:
            return (0, BUILTIN_KEYS.index(item.latest.key), "")
        return (1, 0, item.latest.name.casefold())

    return sorted(found, key=order)


def get_version(org, key: str, version: int | None = None) -> tuple[InstrumentVersion, Instrument]:
    """The row and instrument `key` (the latest version when `version` is None).

    Looks at the organisation's own instruments and the built-ins only.
    Raises UnknownInstrument when there is no such key or version.
    """
    owner_id = None if key in BUILTIN_KEYS else org.id
    query = select(InstrumentVersion).where(
        _owned_by(owner_id), InstrumentVersion.key == key
    )
    if version is not None:
        query = query.where(InstrumentVersion.version == version)
    query = query.order_by(InstrumentVersion.version.desc()).limit(1)
    row = db.session.scalar(query)
    if owner_id is None and not _builtin_current(row, key, version):
        # The built-in file is not stored yet, or changed with a deploy: store it, once. The
        # usual case (the latest row is the file) costs the one query above, not a sync.
        sync_builtins()
        row = db.session.scalar(query)
    if row is None:
        raise UnknownInstrument(key if version is None else f"{key} v{version}")
    return row, row.instrument


def available_versions(org, key: str) -> list[InstrumentVersion]:
    """Every stored version of one of the organisation's own instruments, newest first."""
    return list(db.session.scalars(
        select(InstrumentVersion)
        .where(_owned_by(org.id), InstrumentVersion.key == key)
        .order_by(InstrumentVersion.version.desc())
    ))


def upload_definition(org, text: str | bytes, filename: str, actor) -> InstrumentVersion:
    """Store an uploaded JSON/YAML definition as the organisation's next version of its key.

    The file's own `version` is replaced by the next free number. Raises DefinitionError with
    every problem (nothing is stored then): unreadable or too large files, schema and
    consistency problems, a built-in or reserved key.
    """
    if isinstance(text, bytes):
        if len(text) > MAX_UPLOAD_BYTES:
            raise DefinitionError([_too_large(len(text))])
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise DefinitionError(
                [f"the file: not UTF-8 text (byte {error.start + 1}); save it as UTF-8."]
            ) from None
    if len(text.encode("utf-8")) > MAX_UPLOAD_BYTES:
        raise DefinitionError([_too_large(len(text.encode("utf-8")))])
    instrument = load_definition_text(text, filename)
    if instrument.key in RESERVED_KEYS:
        what = "a built-in instrument" if instrument.key in BUILTIN_KEYS else "a page name"
        raise DefinitionError(
            [f"key: {instrument.key!r} is {what}; give your instrument its own key."]
        )
    latest = _latest_row(org.id, instrument.key)
    if latest is not None and latest.source == "custom":
        raise DefinitionError(
            [f"key: {instrument.key!r} is a custom pulse built on the pages; edit it there "
             "or give the file another key."]
        )
    if latest is not None and _same(latest.instrument, instrument):
        return latest  # the same content again is not a new version
    row = _new_version(org, instrument, "upload", actor, latest)
    record("instrument_uploaded", target=row, organisation_id=org.id,
           actor_id=getattr(actor, "id", None), key=row.key, version=row.version)
    return row


def create_custom_pulse(
    org,
    name: str,
    items: list[str],
    answer_set: str,
    scale_name: str,
    cutoff: float | None,
    actor,
    *,
    direction: str = "higher_is_worse",
    key: str | None = None,
) -> InstrumentVersion:
    """Build a one-scale pulse from 1-10 statements; a new version when `key` names one.

    The minimum answered is half the statements, rounded up. Raises PulseError naming the
    field (bad statements, unknown answer set, a name another instrument uses).
    """
    name = " ".join(name.split())
    statements = [" ".join(s.split()) for s in items if s.strip()]
    if not 1 <= len(statements) <= PULSE_MAX_ITEMS:
        raise PulseError("items", f"Write 1 to {PULSE_MAX_ITEMS} statements, one per line.")
    if answer_set not in PULSE_ANSWER_SETS:
        raise PulseError("answer_set", "Choose one of the answer sets offered.")
    latest = None
    if key is None:
        key = pulse_key(name)
        if key in RESERVED_KEYS or _latest_row(org.id, key) is not None:
            raise PulseError("name", "An instrument with this name exists already; "
                                     "edit it, or choose another name.")
    else:
        latest = _latest_row(org.id, key)
        if latest is None or latest.source != "custom":
            raise UnknownInstrument(key)
    scale_key = "pulse"
    data = {
        "key": key,
        "name": name,
        "version": 1,
        "citation": f"Custom pulse written by {org.name}; not a validated instrument.",
        "licence": f"Written by {org.name} for its own use.",
        "estimated_minutes": 1,
        "answer_sets": {
            answer_set: [{"label": label, "value": value}
                         for label, value in PULSE_ANSWER_SETS[answer_set][1]],
        },
        "scales": [{
            "key": scale_key,
            "name": " ".join(scale_name.split()) or name,
            "min_answered": math.ceil(len(statements) / 2),
            "cutoff": cutoff,
            "direction": direction,
            "meaning": "The mean of your answers on a 0-100 scale.",
        }],
        "items": [
            {"key": f"p{i}", "text": text, "scale": scale_key, "answer_set": answer_set}
            for i, text in enumerate(statements, start=1)
        ],
    }
    try:
        instrument = parse_definition(data)
    except DefinitionError as error:
        raise PulseError("items", " ".join(error.problems)) from None
    if latest is not None and _same(latest.instrument, instrument):
        return latest
    row = _new_version(org, instrument, "custom", actor, latest)
    record("instrument_pulse_saved", target=row, organisation_id=org.id,
           actor_id=getattr(actor, "id", None), key=row.key, version=row.version)
    return row


def pulse_key(name: str) -> str:
    """A URL-safe key from a pulse name: "Team energy check" -> "pulse-team-energy-check"."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:33].strip("-")
    return f"pulse-{slug}" if slug else "pulse"


def is_in_use(row: InstrumentVersion) -> bool:
    """Whether any campaign uses this version (then it must never change: it never does)."""
    try:
        campaign = importlib.import_module("orgwell.surveys.models").Campaign
        column = campaign.instrument_version_id
    except (ImportError, AttributeError):
        return False  # no campaigns exist in this installation yet
    return db.session.scalar(select(column).where(column == row.id).limit(1)) is not None


# --- helpers -------------------------------------------------------------------------------


def _owned_by(organisation_id: int | None):
    if organisation_id is None:
        return InstrumentVersion.organisation_id.is_(None)
    return InstrumentVersion.organisation_id == organisation_id


def _visible_to(org):
    return or_(InstrumentVersion.organisation_id.is_(None),
               InstrumentVersion.organisation_id == org.id)


def _latest_row(organisation_id: int | None, key: str) -> InstrumentVersion | None:
    return db.session.scalar(
        select(InstrumentVersion)
        .where(_owned_by(organisation_id), InstrumentVersion.key == key)
        .order_by(InstrumentVersion.version.desc())
        .limit(1)
    )


def _builtin_current(row: InstrumentVersion | None, key: str, version: int | None) -> bool:
    """Whether `row`, the answer to a built-in lookup, needs no sync first: it is the file's
    content, or an older version asked for by number (those are never changed)."""
    if row is None:
        return False
    if version is not None:
        return True
    return _same(row.instrument, builtin(key))


def _same(stored: Instrument, new: Instrument) -> bool:
    return stored == replace(new, version=stored.version)


def _new_version(org, instrument: Instrument, source: str, actor, latest) -> InstrumentVersion:
    version = (latest.version + 1) if latest is not None else 1
    return _insert(org.id, replace(instrument, version=version), source, actor)


def _insert(organisation_id, instrument: Instrument, source: str, actor) -> InstrumentVersion:
    """Add one version; a concurrent insert of the same version ends as a clear refusal."""
    row = InstrumentVersion(
        organisation_id=organisation_id,
        key=instrument.key,
        version=instrument.version,
        name=instrument.name,
        source=source,
        definition=instrument.to_dict(),
        created_by_id=getattr(actor, "id", None),
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        if organisation_id is None:
            # Another process stored this built-in version first: use theirs.
            return db.session.scalar(
                select(InstrumentVersion).where(
                    _owned_by(None), InstrumentVersion.key == instrument.key,
                    InstrumentVersion.version == instrument.version,
                )
            )
        raise DefinitionError(
            [f"key: version {instrument.version} of {instrument.key!r} was saved by someone "
             "else a moment ago; try again."]
        ) from None
    return row


def _too_large(size: int) -> str:
    return (f"the file: {size // 1024} kB is more than the {MAX_UPLOAD_BYTES // 1024} kB "
            "a definition may have.")

