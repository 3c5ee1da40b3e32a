"""Building blocks shared by the OpenAPI document's sections (openapi.py, openapi_metrics.py)."""
from __future__ import annotations


def nullable(kind: str, **extra) -> dict:
    return {"type": [kind, "null"], **extra}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": ref("Error")}},
    }


def json_body(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


SLUG = {
    "name": "slug", "in": "path", "required": True,
    "description": "The organisation's web address, e.g. `riverside`.",
    "schema": {"type": "string"},
}
ERRORS = {
    "401": error("No valid bearer token (or login session)."),
    "403": error("Your role in this organisation does not give access."),
    "404": error("No such organisation, or you are not part of it."),
}
