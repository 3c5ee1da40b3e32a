"""Replacing a person's name and email address wherever free text holds them.

Used by the erasure as a safety net after each domain did its own part: a leader's note
"Alex is on leave", a mail body "Hello Alex", a staff import row. Names are replaced as
whole words (ignoring case), so "Al" does not eat the "al" of "clinical".
"""
from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import JSON, ColumnElement, Table, Text, cast, or_, select, true, update

from orgwell.extensions import db
from orgwell.privacy.scope import org_links, stored_forms, text_columns

REPLACEMENT = "[erased]"


def _pattern(needles: Iterable[str]) -> re.Pattern | None:
    words = sorted({n.strip() for n in needles if n and n.strip()}, key=len, reverse=True)
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def scrub_value(value, pattern: re.Pattern):
    """`value` with every match replaced: strings, and strings inside lists and dicts."""
    if isinstance(value, str):
        return pattern.sub(REPLACEMENT, value)
    if isinstance(value, list):
        return [scrub_value(v, pattern) for v in value]
    if isinstance(value, dict):
        return {scrub_value(k, pattern): scrub_value(v, pattern) for k, v in value.items()}
    return value


def scrub_table(table: Table, where: ColumnElement[bool], needles: Iterable[str]) -> int:
    """Replace the needles in every text column of the matching rows; returns rows changed."""
    needles = [n for n in needles if n and n.strip()]
    pattern = _pattern(needles)
    if pattern is None:
        return 0
    pk = list(table.primary_key.columns)
    changed = 0
    for column in text_columns(table):
        searchable = cast(column, Text) if isinstance(column.type, JSON) else column
        found = or_(*(
            searchable.icontains(form, autoescape=True)
            for needle in needles for form in stored_forms(needle)
        ))
        rows = db.session.execute(select(*pk, column).where(where, found)).all()
        for row in rows:
            new_value = scrub_value(row[-1], pattern)
            if new_value == row[-1]:
                continue
            db.session.execute(
                update(table)
                .where(*(c == v for c, v in zip(pk, row[:-1], strict=True)))
                .values({column.name: new_value})
                .execution_options(synchronize_session=False)
            )
            changed += 1
    return changed


def scrub_organisation(org_id: int, needles: Iterable[str], skip: Iterable[str] = ()) -> int:
    """Scrub every table that belongs to the organisation (but `skip`); rows changed."""
    needles = list(needles)
    skipped = set(skip)
    return sum(
        scrub_table(link.table, link.condition(org_id), needles)
        for name, link in org_links().items() if name not in skipped
    )


def scrub_everywhere(table: Table, needles: Iterable[str]) -> int:
    """Scrub all rows of `table` (for tables that also hold rows of no organisation)."""
    return scrub_table(table, true(), needles)
