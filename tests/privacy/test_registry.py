"""Every table that belongs to an organisation is deleted with it: no table can be forgotten."""
from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table

from orgwell.extensions import db
from orgwell.privacy.registry import covered_tables, parts
from orgwell.privacy.scope import org_links


def test_every_table_linked_to_an_organisation_is_covered_by_delete_org(app):
    linked = set(org_links())
    missing = linked - covered_tables()
    assert missing == set(), (
        f"tables of an organisation that no privacy part deletes: {sorted(missing)}; "
        "register them in orgwell/privacy (registry.register(..., tables=[...]))"
    )


def test_parts_name_only_real_tables(app):
    assert covered_tables() <= set(db.metadata.tables)


def test_a_new_table_linked_through_another_table_is_found(app):
    """The walk follows foreign keys, so a table two steps from organisations counts too."""
    metadata = MetaData()
    for table in db.metadata.sorted_tables:
        table.to_metadata(metadata)
    Table("team_notes", metadata, Column("id", Integer, primary_key=True),
          Column("team_id", ForeignKey("teams.id")))
    Table("note_likes", metadata, Column("id", Integer, primary_key=True),
          Column("note_id", ForeignKey("team_notes.id")))
    Table("site_news", metadata, Column("id", Integer, primary_key=True))
    linked = set(org_links(metadata))
    assert {"team_notes", "note_likes"} <= linked
    assert "site_news" not in linked and "users" not in linked
    assert {"team_notes", "note_likes"} - covered_tables() == {"team_notes", "note_likes"}


def test_every_domain_contributes_its_part(app):
    domains = {part.domain for part in parts()}
    assert {"orgs", "auth", "audit", "notifications", "programs", "surveys"} <= domains
