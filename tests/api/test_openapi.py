"""The OpenAPI document at /api/v1/openapi.json: valid OpenAPI 3.1, and complete.

openapi-3.1-schema.json beside this file is the OpenAPI Initiative's meta-schema for 3.1
documents (https://spec.openapis.org/oas/3.1/schema/2022-10-07, Apache-2.0), kept here so
the test runs offline; jsonschema validates against it.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

META_SCHEMA = json.loads((Path(__file__).parent / "openapi-3.1-schema.json").read_text())


@pytest.fixture
def doc(client):
    response = client.get("/api/v1/openapi.json")  # anonymous
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def test_document_is_valid_openapi_3_1(doc):
    errors = sorted(Draft202012Validator(META_SCHEMA).iter_errors(doc), key=str)
    assert errors == [], "\n".join(e.message for e in errors[:5])
    assert doc["openapi"].startswith("3.1.")


def test_the_validation_can_fail(doc):
    """The meta-schema really checks things: a broken document is refused."""
    broken = {**doc, "paths": {"/x": {"get": {"responses": "none"}}}}
    assert list(Draft202012Validator(META_SCHEMA).iter_errors(broken))
    assert list(Draft202012Validator(META_SCHEMA).iter_errors({**doc, "openapi": "3.0.3"}))


def test_every_schema_in_the_document_is_a_valid_json_schema(doc):
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)  # raises SchemaError when broken


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_every_reference_resolves(doc):
    refs = set(_refs(doc))
    assert refs
    for ref in refs:
        node = doc
        assert ref.startswith("#/")
        for part in ref[2:].split("/"):
            assert part in node, f"unresolved {ref}"
            node = node[part]


def _api_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            path = re.sub(r"<(?:[a-z]+:)?(\w+)>", r"{\1}", rule.rule)
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                yield path, method.lower(), rule


def test_every_api_route_is_documented(app, doc):
    routes = list(_api_routes(app))
    assert len(routes) >= 5
    for path, method, rule in routes:
        assert path in doc["paths"], f"{path} is missing from the OpenAPI document"
        operation = doc["paths"][path].get(method)
        assert operation is not None, f"{method.upper()} {path} is not documented"
        documented = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
        assert documented == set(rule.arguments), f"path parameters of {path}"


def test_nothing_documented_that_does_not_exist(app, doc):
    real = {(path, method) for path, method, _ in _api_routes(app)}
    for path, item in doc["paths"].items():
        for method in item:
            assert (path, method) in real, f"{method.upper()} {path} is documented but absent"


def test_operations_have_ids_errors_and_bearer_auth(doc):
    ids = []
    for path, item in doc["paths"].items():
        for operation in item.values():
            ids.append(operation["operationId"])
            if path.endswith("openapi.json"):
                assert operation["security"] == []  # public
                continue
            assert "401" in operation["responses"]
            if "{slug}" in path:
                assert {"400", "403", "404"} <= set(operation["responses"]), path
    assert len(ids) == len(set(ids))
    assert doc["security"] == [{"bearerToken": []}]
    assert doc["components"]["securitySchemes"]["bearerToken"]["scheme"] == "bearer"


def _property_names(node):
    if isinstance(node, dict):
        yield from node.get("properties", {})
        for value in node.values():
            yield from _property_names(value)
    elif isinstance(node, list):
        for item in node:
            yield from _property_names(item)


def test_no_schema_offers_reflection_text(doc):
    names = set(_property_names(doc["components"]["schemas"]))
    assert {"status", "module", "person"} <= names
    assert not [n for n in names if "reflection" in n or "note" in n]
