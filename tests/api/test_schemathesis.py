"""schemathesis against /api/v1/openapi.json: every operation, valid and invalid requests.

The document is loaded from the running app, every operation gets requests generated from
it (positive: what the document allows; negative: what it forbids), sent through the test
client as an organisation owner with a real token, on an organisation with results and an
enrolled program so that answers are not empty. Each answer must not be a 5xx and must match
the document: its status code, content type and body schema. At least 1,000 requests a run.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from orgwell.auth.services import create_api_token
from orgwell.extensions import db
from tests.api.test_metrics_api import results  # noqa: F401  (fixture: a closed wave)
from tests.programs.learning_fixtures import clock, enrolled, prehab  # noqa: F401

CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
EXAMPLES = {GenerationMode.POSITIVE: 120, GenerationMode.NEGATIVE: 60}
MINIMUM_REQUESTS = 1_000


def _operations(schema):
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6, [op.label for op in operations]
    return operations


def test_no_server_error_and_no_schema_violation(app, client, world, enrolled, results):  # noqa: F811
    token = create_api_token(world["owner_x"], "schemathesis")
    db.session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    auth = {"Authorization": f"Bearer {token}"}
    sent: list[str] = []

    for operation in _operations(schema):
        # Mostly the owner's own organisation (so answers hold data), sometimes any slug.
        slugs = st.sampled_from(["riverside", "riverside", "riverside", "harbor", "nowhere"])
        for mode, examples in EXAMPLES.items():
            strategy = slugs.flatmap(
                lambda slug, op=operation, m=mode: op.as_strategy(
                    generation_mode=m,
                    path_parameters={"slug": slug} if "{slug}" in op.path else None,
                )
            )

            @given(case=strategy)
            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def run(case):
                kwargs = case.as_transport_kwargs()  # werkzeug's: path, query_string...
                kwargs["headers"] = {**kwargs["headers"], **auth}
                response = client.open(**kwargs)
                sent.append(f"{case.method} {response.status_code}")
                case.validate_response(response, checks=CHECKS)

            run()

    print(f"schemathesis: {len(sent)} requests")
    assert len(sent) >= MINIMUM_REQUESTS, len(sent)
    # The data really is there: some requests succeeded, some were refused as invalid.
    statuses = {line.split()[1] for line in sent}
    assert {"200", "400", "404"} <= statuses, statuses


def test_requests_without_a_token_are_refused_by_the_document_too(app, client, world):
    """Anonymous calls: a 401 the document describes, never a 5xx."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    count = 0
    for operation in _operations(schema):

        @given(case=operation.as_strategy())
        @settings(
            max_examples=10, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def run(case):
            nonlocal count
            kwargs = case.as_transport_kwargs()
            kwargs["headers"].pop("Authorization", None)
            response = client.open(**kwargs)
            count += 1
            case.validate_response(response, checks=CHECKS)

        run()
    assert count >= 40


def test_the_checks_can_fail(app, client, world):
    """A 500 or a body outside the document is caught: the checks above are not empty."""
    from werkzeug.test import TestResponse
    from werkzeug.wrappers import Request

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema["/api/v1/me"]["GET"]
    case = operation.Case()
    request = Request.from_values("/api/v1/me")
    for status, body in ((500, b'{"error": "boom"}'), (200, b'{"unexpected": true}')):
        response = TestResponse([body], status, {"Content-Type": "application/json"}, request)
        with pytest.raises(FailureGroup) as caught:
            case.validate_response(response, checks=CHECKS)
        assert caught.value.exceptions, (status, body)
