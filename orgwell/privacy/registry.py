"""Each domain's contribution to the data rights: export, erasure and organisation deletion.

A domain registers one `Part` naming the tables it owns. `orgwell.privacy` never knows a
domain's tables by heart: exporting, erasing a person and deleting an organisation walk the
registered parts in order. tests/privacy/test_registry.py fails when a table that belongs to
an organisation (it has an `organisation_id`, or a foreign key leading to one) is in no
part's `tables`, so a new table cannot be forgotten by the deletion.

The part modules are listed in PART_MODULES (explicitly, like the worker's task modules) and
imported by `load_parts()`.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orgwell.orgs.models import Membership, Organisation
    from orgwell.privacy.deletion import DeletionContext
    from orgwell.privacy.erasure import ErasureContext

# table name -> rows (dicts of JSON-able values); an iterable so big tables can stream.
Tables = dict[str, Iterable[dict]]

PART_MODULES = [
    "orgwell.privacy.core_parts",
    "orgwell.privacy.programs_part",
    "orgwell.privacy.surveys_part",
    "orgwell.privacy.metrics_part",
    "orgwell.privacy.actions_part",
    "orgwell.privacy.exports_part",
]


@dataclass(frozen=True)
class Part:
    """One domain's share.

    tables        the tables whose rows of an organisation `delete_org` removes (generically,
                  children before parents, by the foreign keys: see privacy.scope).
    order         parts run in ascending order: domains that point at memberships first.
    export        fn(org) -> Tables for the owner's organisation export (never private text).
    export_member fn(membership) -> Tables for the person's own "download my data".
    erase_member  fn(ctx) de-identifies the person in this domain, keeping every aggregate.
    delete_org    fn(ctx) runs before the rows go (e.g. to find the people who belonged only
                  to the organisation); it may append follow-ups to ctx.after.
    """

    domain: str
    tables: tuple[str, ...]
    order: int = 50
    export: Callable[[Organisation], Tables] | None = None
    export_member: Callable[[Membership], Tables] | None = None
    erase_member: Callable[[ErasureContext], None] | None = None
    delete_org: Callable[[DeletionContext], None] | None = None
    notes: tuple[str, ...] = field(default=())


_PARTS: dict[str, Part] = {}


def register(domain: str, *, tables: Iterable[str], **hooks) -> Part:
    """Register (or replace) the part of `domain`; returns it."""
    part = Part(domain, tuple(tables), **hooks)
    _PARTS[domain] = part
    return part


def load_parts() -> None:
    """Import every part module so that its `register` calls have run (idempotent)."""
    for name in PART_MODULES:
        importlib.import_module(name)


def parts() -> list[Part]:
    """The registered parts in the order they run."""
    load_parts()
    return sorted(_PARTS.values(), key=lambda p: (p.order, p.domain))


def covered_tables() -> set[str]:
    """Every table some part deletes when an organisation is deleted."""
    return {table for part in parts() for table in part.tables}
