"""The owner's organisation export (a ZIP of JSON Lines) and a member's own data (JSON).

The organisation export holds one `<table>.jsonl` file per table of every registered part,
a `manifest.json` (row counts) and a `README.txt` saying what is left out and why. It is
built synchronously while the owner waits: rows stream from the database in batches of 500
into a temporary file that stays in memory up to 16 MB and spills to disk beyond, so memory
stays bounded whatever the organisation's size; the request takes as long as writing the
rows does (seconds for a practice of a few hundred people).
"""
from __future__ import annotations

import json
import tempfile
import zipfile
from typing import IO

from orgwell.database import utcnow
from orgwell.orgs.models import Membership, Organisation
from orgwell.privacy.registry import parts
from orgwell.privacy.scope import jsonable

SPOOL_MAX_BYTES = 16 * 1024 * 1024

README = """OrgWell export of {name} ({slug}), made {made} UTC.

One file per table, JSON Lines: one JSON object per line. manifest.json counts the rows.

Left out on purpose:
- reflections and practice-log notes: they are private to each staff member, who can
  download them from their own "Download my data" page;
- passwords, link tokens, API tokens and IP addresses;
- mail bodies (they contain personal links);
- who was invited to or answered which survey: survey_answers.jsonl holds answers with
  their wave and team only; a wave with fewer than k answers is left out and the team is
  withheld (null) where fewer than k people of that team answered.
"""


def _dump(row: dict) -> bytes:
    return json.dumps(row, default=jsonable, ensure_ascii=False).encode() + b"\n"


def write_organisation_export(org: Organisation, out: IO[bytes]) -> dict[str, int]:
    """Write the ZIP to `out`; returns the row count per file."""
    counts: dict[str, int] = {}
    made = utcnow().replace(microsecond=0)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for part in parts():
            if part.export is None:
                continue
            for table, rows in part.export(org).items():
                n = 0
                with archive.open(f"{table}.jsonl", "w") as handle:
                    for row in rows:
                        handle.write(_dump(row))
                        n += 1
                counts[table] = n
        archive.writestr("manifest.json", json.dumps({
            "organisation": {"id": org.id, "name": org.name, "slug": org.slug},
            "made_at": made.isoformat(), "format": "jsonl", "rows": counts,
        }, indent=2))
        archive.writestr("README.txt", README.format(
            name=org.name, slug=org.slug, made=made.strftime("%Y-%m-%d %H:%M")
        ))
    return counts


def organisation_export_chunks(org: Organisation, chunk_size: int = 64 * 1024):
    """The export's bytes, built when the first chunk is asked for (inside the response).

    Nothing is opened until then, so a response that is never read leaves nothing behind.
    """
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_BYTES) as out:
        write_organisation_export(org, out)
        out.seek(0)
        while chunk := out.read(chunk_size):
            yield chunk


def member_export(membership: Membership) -> dict:
    """Everything OrgWell holds about the person in this organisation, as one document."""
    sections: dict[str, list[dict]] = {}
    for part in parts():
        if part.export_member is None:
            continue
        for name, rows in part.export_member(membership).items():
            sections[name] = [{k: jsonable(v) for k, v in row.items()} for row in rows]
    return {
        "organisation": membership.organisation.name,
        "made_at": utcnow().replace(microsecond=0).isoformat(),
        **sections,
    }


def member_export_bytes(membership: Membership) -> bytes:
    return json.dumps(member_export(membership), indent=2, ensure_ascii=False).encode()


def export_filename(org: Organisation) -> str:
    return f"orgwell-{org.slug}-{utcnow():%Y%m%d}.zip"
