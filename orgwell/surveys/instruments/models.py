"""Stored instrument versions: the built-ins and each organisation's own, never edited in place.

A campaign points at one row (`instrument_versions.id`), so the items and scoring rules its
answers were given under stay exactly as they were. A change to an instrument is a new row with
the next version number. Built-in rows have no organisation; a partial unique index keeps each
(key, version) of them single even when two processes materialise them at once (NULLs never
collide in the ordinary unique constraint).
"""
from __future__ import annotations

import copy
import json
from datetime import datetime
from functools import cached_property
from threading import Lock

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from orgwell.database import UTCDateTime, utcnow
from orgwell.extensions import db
from orgwell.surveys.instruments.definition import Instrument, parse_definition

SOURCES = ("builtin", "upload", "custom")

# Parsed definitions by row id, shared by every request of the process: parsing (jsonschema
# validation and all) costs milliseconds, and a stored version never changes. The stored
# definition is kept beside it and compared on every hit (a dict comparison, microseconds), so
# an id that means another row -- a test database made again, a restored backup -- is parsed
# afresh rather than answered with someone else's instrument.
_PARSED: dict[int, tuple[dict, Instrument]] = {}
# The same, keyed by the definition's stored JSON text (the survey link reads the text: comparing
# two strings is cheaper than decoding the JSON into a dict on every request).
_PARSED_TEXT: dict[int, tuple[str, Instrument]] = {}
_PARSED_MAX = 512
_parsed_lock = Lock()


class InstrumentVersion(db.Model):
    __tablename__ = "instrument_versions"
    __table_args__ = (
        UniqueConstraint("organisation_id", "key", "version"),
        Index(
            "uq_instrument_versions_builtin_key_version",
            "key",
            "version",
            unique=True,
            sqlite_where=text("organisation_id IS NULL"),
            postgresql_where=text("organisation_id IS NULL"),
        ),
        CheckConstraint("source in ('builtin', 'upload', 'custom')", name="source_known"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None: a built-in instrument, available to every organisation.
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(40))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(10))
    # The definition as `Instrument.to_dict()` writes it; its "version" equals `version`.
    definition: Mapped[dict] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped[User | None] = relationship()  # noqa: F821

    @property
    def is_builtin(self) -> bool:
        return self.organisation_id is None

    @cached_property
    def instrument(self) -> Instrument:
        """The parsed definition, parsed once per process and row (rows are never changed)."""
        return parsed_definition(self.id, self.definition)


def parsed_definition(row_id: int | None, definition: dict) -> Instrument:
    """`parse_definition(definition)`, cached per process by the row id it is stored under."""
    return _parsed(_PARSED, row_id, definition, parse_definition, keep=copy.deepcopy)


def parsed_definition_text(row_id: int, stored: str) -> Instrument:
    """`parsed_definition` for the definition as the database stores it (JSON text)."""
    return _parsed(_PARSED_TEXT, row_id, stored,
                   lambda text: parse_definition(json.loads(text)), keep=str)


def _parsed(cache: dict, row_id: int | None, stored, parse, *, keep) -> Instrument:
    """parse(stored), kept in `cache` under `row_id` beside keep(stored), which a hit must
    equal (see _PARSED)."""
    hit = cache.get(row_id) if row_id is not None else None
    if hit is not None and hit[0] == stored:
        return hit[1]
    instrument = parse(stored)
    if row_id is not None:
        with _parsed_lock:
            if len(cache) >= _PARSED_MAX:
                cache.clear()  # many organisations' uploads: start over rather than grow
            cache[row_id] = (keep(stored), instrument)
    return instrument
