"""The built-in template library: listing templates and copying one into an organisation."""
from __future__ import annotations

from orgwell.audit.services import record
from orgwell.database import utcnow
from orgwell.extensions import db
from orgwell.programs import builder
from orgwell.programs.catalogue import TEMPLATES, TEMPLATES_BY_KEY, Template
from orgwell.programs.models import Program


def list_templates() -> list[Template]:
    return list(TEMPLATES)


def get_template(key: str) -> Template | None:
    return TEMPLATES_BY_KEY.get(key)


def copy_template(org, key: str, *, created_by=None) -> Program:
    """Copy template `key` into `org` as a program with a published version 1.

    The copy is the organisation's own: leaders may change it without touching the template
    or other organisations. Raises KeyError for an unknown key. Flushes.
    """
    template = TEMPLATES_BY_KEY[key]
    program = builder.create_program(
        org, name=template.name, description=template.description,
        audience=template.audience, created_by=created_by, self_enroll=template.self_enroll,
        reminder_days_before=list(template.reminder_days_before), copied_from=template.key,
    )
    for step, fields in template.modules:
        builder.add_module(program, {
            **fields, "release_offset_days": step.release, "due_offset_days": step.due,
            "required": step.required, "module_key": step.module,
        })
    version = program.draft_version
    version.published_at = utcnow()
    version.published_by_id = getattr(created_by, "id", None)
    db.session.flush()
    record("program_copied", target=program, organisation_id=org.id,
           actor_id=getattr(created_by, "id", None), template=key)
    return program
