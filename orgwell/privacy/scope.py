"""Which rows of a table belong to an organisation, found by walking the foreign keys.

A table belongs to organisations when it has an `organisation_id` column, or a foreign key
to a table that does (teams -> organisations, program_practice_entries -> assignments ->
organisations ...). `org_links()` derives that for the whole schema, so the deletion, the
export and the coverage test agree on one definition, and a table added later is found
without anyone listing it here.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, Column, ColumnElement, String, Table, delete, select, update

from orgwell.extensions import db

ORGANISATIONS = "organisations"
USERS = "users"
# Never written to an organisation export, whatever table they turn up in.
SECRET_COLUMNS = frozenset(
    {"password_hash", "token_hash", "token_nonce", "id_hash", "reflection_text"}
)
YIELD_PER = 500


@dataclass(frozen=True)
class Link:
    """How a table reaches an organisation: `column` equals the organisation's id, or
    (with `parent`) points at `target`, a column of a table that reaches one itself."""

    table: Table
    column: Column
    parent: Link | None = None
    target: Column | None = None

    def condition(self, org_id: int) -> ColumnElement[bool]:
        """SQL: this table's rows of the organisation `org_id`."""
        if self.parent is None:
            return self.column == org_id
        return self.column.in_(
            select(self.target).where(self.parent.condition(org_id)).scalar_subquery()
        )


def org_links(metadata=None) -> dict[str, Link]:
    """Table name -> Link, for every table whose rows belong to an organisation."""
    metadata = metadata or db.metadata
    orgs = metadata.tables[ORGANISATIONS]
    links: dict[str, Link] = {ORGANISATIONS: Link(orgs, orgs.c.id)}
    changed = True
    while changed:
        changed = False
        for table in metadata.sorted_tables:
            if table.name in links:
                continue
            link = _direct_link(table) or _parent_link(table, links)
            if link is not None:
                links[table.name] = link
                changed = True
    return links


def _direct_link(table: Table) -> Link | None:
    if "organisation_id" in table.c:
        return Link(table, table.c.organisation_id)
    return None


def _parent_link(table: Table, links: dict[str, Link]) -> Link | None:
    # Required foreign keys first: a row always has a parent through them.
    candidates = sorted(
        (fk for fk in table.foreign_keys if fk.column.table is not table),
        key=lambda fk: (fk.parent.nullable, fk.parent.name),
    )
    for fk in candidates:
        parent = links.get(fk.column.table.name)
        if parent is not None:
            return Link(table, fk.parent, parent, fk.column)
    return None


def tables_in_delete_order(names: Iterable[str], metadata=None) -> list[Table]:
    """The named tables, children before parents."""
    metadata = metadata or db.metadata
    wanted = set(names)
    return [t for t in reversed(metadata.sorted_tables) if t.name in wanted]


def delete_org_rows(org_id: int, names: Iterable[str]) -> dict[str, int]:
    """Delete the organisation's rows of the named tables, children first; counts by table."""
    links = org_links()
    counts = {}
    for table in tables_in_delete_order(names):
        link = links.get(table.name)
        if link is None:
            continue
        result = db.session.execute(delete(table).where(link.condition(org_id)))
        counts[table.name] = result.rowcount
    return counts


def count_org_rows(org_id: int, name: str) -> int:
    """How many rows of table `name` belong to the organisation."""
    from sqlalchemy import func

    link = org_links()[name]
    return db.session.scalar(select(func.count()).select_from(link.table).where(
        link.condition(org_id)))


# --- reading rows ---------------------------------------------------------------------------


def jsonable(value):
    """A column value as JSON can carry it: dates in ISO 8601, decimals as strings."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def rows_of(
    table: Table, where: ColumnElement[bool], *, exclude: Iterable[str] = ()
) -> Iterator[dict]:
    """Stream the matching rows of `table` as dicts, leaving out `exclude` and secrets."""
    skip = set(exclude) | SECRET_COLUMNS
    columns = [c for c in table.c if c.name not in skip]
    pk = list(table.primary_key.columns)
    stmt = select(*columns).where(where).order_by(*pk).execution_options(yield_per=YIELD_PER)
    for row in db.session.execute(stmt):
        yield {key: jsonable(value) for key, value in row._mapping.items()}


def org_rows(org_id: int, name: str, *, exclude: Iterable[str] = ()) -> Iterator[dict]:
    """Stream the organisation's rows of table `name` (secrets and `exclude` left out)."""
    link = org_links()[name]
    return rows_of(link.table, link.condition(org_id), exclude=exclude)


# --- erasing --------------------------------------------------------------------------------


def user_reference_columns(table: Table) -> list[Column]:
    """The columns of `table` that point at users.id."""
    return [fk.parent for fk in table.foreign_keys if fk.column.table.name == USERS]


def repoint_user_references(org_id: int, old_user_id: int, new_user_id: int) -> None:
    """In every row of the organisation, make references to one user point at another.

    Used when an erased person keeps their account for another organisation: this
    organisation's records (their membership, what they created or excused) move to the
    anonymous stand-in, so nothing here still leads to them.
    """
    for link in org_links().values():
        for column in user_reference_columns(link.table):
            db.session.execute(
                update(link.table)
                .where(column == old_user_id, link.condition(org_id))
                .values({column.name: new_user_id})
                .execution_options(synchronize_session=False)
            )


def text_columns(table: Table) -> list[Column]:
    """Columns that may hold free text: strings and JSON, not keys."""
    keys = {c.name for c in table.primary_key.columns}
    keys |= {fk.parent.name for fk in table.foreign_keys}
    return [
        c for c in table.c
        if c.name not in keys and isinstance(c.type, String | JSON)
    ]


def stored_forms(needle: str) -> list[str]:
    """How `needle` may appear inside a column: as is, and escaped inside JSON."""
    escaped = json.dumps(needle)[1:-1]
    return [needle] if escaped == needle else [needle, escaped]
