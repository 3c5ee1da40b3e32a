"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json.

Written out by hand rather than generated from the views: the document is a promise to API
clients, and a test (tests/api/test_openapi.py) checks it against the OpenAPI 3.1
meta-schema and against every /api/v1 route in the app, so neither can drift alone.
Schemas use JSON Schema 2020-12, as OpenAPI 3.1 does (a nullable value is a type list).
"""
from __future__ import annotations

from flask import current_app

from orgwell.access import ANONYMOUS, allow
from orgwell.api.openapi_metrics import METRIC_PATHS, METRIC_SCHEMAS
from orgwell.api.openapi_parts import ERRORS, SLUG, error, json_body, nullable, ref
from orgwell.api.params import DEFAULT_LIMIT, MAX_LIMIT
from orgwell.api.views import bp
from orgwell.programs.models import ASSIGNMENT_STATUSES, ENROLLMENT_STATUSES, MODULE_KINDS

OPENAPI_VERSION = "3.1.0"


@bp.get("/openapi.json")
@allow(ANONYMOUS)
def openapi_document():
    """The API description; public, as it holds no data."""
    return document(current_app.config["BASE_URL"])


def _list_of(item: str) -> dict:
    return {
        "type": "object",
        "required": ["items", "total", "limit", "offset", "next_offset"],
        "properties": {
            "items": {"type": "array", "items": ref(item)},
            "total": {"type": "integer", "minimum": 0, "description": "Rows matching, all pages."},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
            "next_offset": nullable(
                "integer", description="Offset of the next page; null on the last page."
            ),
        },
    }


LIMIT = {
    "name": "limit", "in": "query", "required": False,
    "description": f"Page size (default {DEFAULT_LIMIT}, at most {MAX_LIMIT}).",
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
}
OFFSET = {
    "name": "offset", "in": "query", "required": False,
    "description": "Rows to skip.",
    "schema": {"type": "integer", "minimum": 0, "default": 0},
}
TEAM = {
    "name": "team", "in": "query", "required": False,
    "description": "Only people currently in this team (a clinic includes its teams). "
    "Must be a team you can see.",
    "schema": {"type": "integer", "minimum": 1},
}
PROGRAM = {
    "name": "program", "in": "query", "required": False,
    "description": "Only this program.",
    "schema": {"type": "integer", "minimum": 1},
}

SCOPE_NOTE = (
    "Owners see everyone in the organisation; leaders the people currently in the teams "
    "they lead (403 when the organisation shows leaders team aggregates only); staff only "
    "themselves; consultants are refused (403). A person's reflection text and practice "
    "notes are never included. Unknown or malformed query parameters answer 400."
)

SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error", "status"],
        "properties": {
            "error": {"type": "string", "description": "What went wrong, in plain words."},
            "status": {"type": "integer", "description": "The HTTP status code."},
            "parameter": {
                "type": "string", "description": "The query parameter at fault (400 only).",
            },
        },
    },
    "Me": {
        "type": "object",
        "required": ["id", "email", "name", "site_admin", "organisations"],
        "properties": {
            "id": {"type": "integer"},
            "email": {"type": "string", "format": "email"},
            "name": {"type": "string"},
            "site_admin": {"type": "boolean"},
            "organisations": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["slug", "name", "role"],
                    "properties": {
                        "slug": {"type": "string"},
                        "name": {"type": "string"},
                        "role": {"enum": ["owner", "leader", "staff", "consultant"]},
                    },
                },
            },
        },
    },
    "Module": {
        "type": "object",
        "required": ["key", "position", "kind", "title", "required"],
        "properties": {
            "key": {"type": "string", "description": "Stable across program versions."},
            "position": {"type": "integer"},
            "kind": {"enum": list(MODULE_KINDS)},
            "title": {"type": "string"},
            "required": {"type": "boolean"},
            "estimated_minutes": {"type": "integer"},
            "release_offset_days": {"type": "integer"},
            "due_offset_days": {"type": "integer"},
            "provider": nullable("string"),
            "course_number": nullable("string"),
            "ce_hours": nullable("number"),
            "level": nullable("string"),
            "url": nullable("string", format="uri"),
        },
    },
    "Program": {
        "type": "object",
        "required": ["id", "name", "self_enroll", "archived", "version", "modules"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "description": {"type": "string"},
            "audience": {"type": "string"},
            "self_enroll": {"type": "boolean"},
            "archived": {"type": "boolean"},
            "version": nullable("integer", description="Current published version."),
            "published_at": nullable("string", format="date-time"),
            "modules": {"type": "array", "items": ref("Module")},
        },
    },
    "Enrollment": {
        "type": "object",
        "required": ["id", "program_id", "membership_id", "start_on", "status", "progress"],
        "properties": {
            "id": {"type": "integer"},
            "program_id": {"type": "integer"},
            "program_name": {"type": "string"},
            "cohort_id": {"type": "integer"},
            "membership_id": {"type": "integer"},
            "person": {"type": "string"},
            "start_on": {"type": "string", "format": "date"},
            "status": {"enum": list(ENROLLMENT_STATUSES)},
            "completed_on": nullable("string", format="date"),
            "closed_on": nullable("string", format="date"),
            "source": {"type": "string", "description": "leader, team, joiner or self."},
            "progress": {
                "type": "object",
                "required": ["required", "done", "percent"],
                "properties": {
                    "required": {"type": "integer"},
                    "done": {"type": "integer"},
                    "percent": {"type": "integer", "minimum": 0, "maximum": 100},
                },
            },
        },
    },
    "Assignment": {
        "type": "object",
        "required": ["id", "enrollment_id", "membership_id", "module", "status", "release_on"],
        "properties": {
            "id": {"type": "integer"},
            "enrollment_id": {"type": "integer"},
            "program_id": {"type": "integer"},
            "membership_id": {"type": "integer"},
            "person": {"type": "string"},
            "module": {
                "type": "object",
                "required": ["key", "title", "kind", "required"],
                "properties": {
                    "key": {"type": "string"},
                    "title": {"type": "string"},
                    "kind": {"enum": list(MODULE_KINDS)},
                    "required": {"type": "boolean"},
                },
            },
            "status": {
                "enum": [*ASSIGNMENT_STATUSES, "overdue"],
                "description": "overdue: released, not done, due date passed.",
            },
            "release_on": {"type": "string", "format": "date"},
            "due_on": nullable("string", format="date",
                                description="null while the person is on leave."),
            "released_at": nullable("string", format="date-time"),
            "completed_at": nullable("string", format="date-time"),
            "excused_at": nullable("string", format="date-time"),
            "closed_at": nullable("string", format="date-time"),
        },
    },
}


def _list_operation(op_id: str, summary: str, item: str, parameters: list,
                    description: str, bad_request: bool = True) -> dict:
    responses = {"200": json_body(_list_of(item), f"A page of {item.lower()}s."), **ERRORS}
    if bad_request:
        responses["400"] = error("A query parameter is unknown or has a bad value.")
    return {
        "get": {
            "operationId": op_id,
            "summary": summary,
            "description": description,
            "tags": ["programs"],
            "parameters": [SLUG, *parameters, LIMIT, OFFSET],
            "responses": responses,
        }
    }


def paths() -> dict:
    return {
        "/api/v1/me": {
            "get": {
                "operationId": "getMe",
                "summary": "Who the token belongs to",
                "tags": ["account"],
                "responses": {
                    "200": json_body(ref("Me"), "The caller and the organisations they can open."),
                    "401": ERRORS["401"],
                },
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "getOpenApi",
                "summary": "This document",
                "tags": ["meta"],
                "security": [],
                "responses": {
                    "200": {
                        "description": "The OpenAPI 3.1 document.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
        "/api/v1/orgs/{slug}/programs": _list_operation(
            "listPrograms", "Programs of the organisation", "Program", [],
            "Every program with the modules of its current published version. Staff see "
            "only published programs that are not archived. Consultants may call this.",
        ),
        "/api/v1/orgs/{slug}/enrollments": _list_operation(
            "listEnrollments", "Enrollments you may see", "Enrollment",
            [TEAM, PROGRAM, {
                "name": "status", "in": "query", "required": False,
                "schema": {"enum": list(ENROLLMENT_STATUSES)},
            }],
            SCOPE_NOTE,
        ),
        "/api/v1/orgs/{slug}/assignments": _list_operation(
            "listAssignments", "Module assignments you may see", "Assignment",
            [TEAM, PROGRAM, {
                "name": "status", "in": "query", "required": False,
                "description": "A stored status, or `overdue` (released, not done, past due); "
                "`available` excludes overdue ones.",
                "schema": {"enum": [*ASSIGNMENT_STATUSES, "overdue"]},
            }],
            SCOPE_NOTE,
        ),
        **METRIC_PATHS,
    }


def document(base_url: str) -> dict:
    """The whole OpenAPI document, with `base_url` as the server."""
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "OrgWell API",
            "version": "1",
            "summary": "Read-only access to an organisation's OrgWell data.",
            "description": (
                "Authenticate with a personal token (`orgwell tokens create EMAIL`) sent as "
                "`Authorization: Bearer <token>`. Every answer is scoped by your role in the "
                "organisation named in the path. Errors are JSON: `{\"error\", \"status\"}`."
            ),
            "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"},
        },
        "servers": [{"url": base_url.rstrip("/")}],
        "security": [{"bearerToken": []}],
        "tags": [
            {"name": "account", "description": "The caller."},
            {"name": "programs", "description": "Resilience programs and their assignments."},
            {"name": "metrics", "description": "Confidential survey aggregates."},
            {"name": "meta", "description": "About the API itself."},
        ],
        "paths": paths(),
        "components": {
            "securitySchemes": {
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal API token, stored hashed and revocable.",
                }
            },
            "schemas": {**SCHEMAS, **METRIC_SCHEMAS},
        },
    }
