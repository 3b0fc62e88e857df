"""Property-based API tests with schemathesis, from the app's own /openapi.json, against a live uvicorn:
whatever it sends, no 5xx and no response that breaks its documented schema or content type."""

from __future__ import annotations

import logging

import pytest
from hypothesis import HealthCheck, settings

schemathesis = pytest.importorskip("schemathesis")
from schemathesis.specs.openapi.checks import response_schema_conformance  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402

from api.app import create_app  # noqa: E402
from tests.live_server import live_server  # noqa: E402


@pytest.fixture(scope="module")
def api_schema(demo_db, tmp_path_factory):
    logging.getLogger("segment_assistant.access").disabled = True  # thousands of requests: keep the output short
    app = create_app(db=demo_db, store=tmp_path_factory.mktemp("fuzz") / "segments.db")
    with live_server(app, "API") as url:
        loaded = schemathesis.openapi.from_url(f"{url}/openapi.json")
        # the coverage phase enumerates boundary cases of every schema; on the recursive builder AST that runs
        # for many minutes: the fuzzing phase (random cases, bounded by max_examples) keeps the test short
        loaded.config.phases.coverage.enabled = False
        yield loaded
    logging.getLogger("segment_assistant.access").disabled = False


# refresh writes tables into the database under test (the shared demo store): it has its own tests
# (tests/test_refresh_tables.py), on a copy
schema = schemathesis.pytest.from_fixture("api_schema").exclude(path="/v1/segments/refresh")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors_and_responses_match_the_schema(case):
    case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])
