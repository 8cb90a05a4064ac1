"""schemathesis against the OpenAPI document: no input gives a 5xx, and every response
matches the documented status codes, content types and schemas. Bounded: a few
examples per operation (about a minute in all)."""

from __future__ import annotations

from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import checks

from service.api.app import create_app
from tests.integration.service_fixtures import database, world

CHECKS = [checks.not_a_server_error, checks.response_schema_conformance,
          checks.content_type_conformance, checks.status_code_conformance]


def test_no_server_errors_and_responses_match_the_schema(tmp_path: Path) -> None:
    # Driven through hypothesis directly: schemathesis' pytest plugin does not load
    # under this pytest version.
    with database("sqlite", tmp_path) as url, world(tmp_path, url) as w:
        app = create_app(w.settings, w.regions)
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        failures: list[str] = []
        operations = 0
        for result in schema.get_all_operations():
            operation = result.ok()
            operations += 1

            @given(case=operation.as_strategy())
            @settings(max_examples=12, deadline=None, database=None,
                      phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck))
            def run(case: schemathesis.Case) -> None:
                case.call_and_validate(checks=CHECKS)

            try:
                run()
            except Exception as exc:  # collect every operation's failure, then report
                failures.append(f"{operation.label}: {exc}")
        assert operations >= 30
        assert not failures, "\n\n".join(failures)


def test_the_openapi_document_lists_the_issue_routes() -> None:
    from service.config import Settings

    doc = create_app(Settings()).openapi()
    paths = doc["paths"]
    for method, path in [
        ("get", "/v1/typed-data"), ("get", "/v1/auth/nonce"), ("post", "/v1/auth/siwe"),
        ("post", "/v1/regions/{region}/members"), ("post", "/v1/regions/{region}/roles"),
        ("post", "/v1/regions/{region}/claims"),
        ("post", "/v1/regions/{region}/claims/{claim}/reviews"),
        ("post", "/v1/regions/{region}/claims/{claim}/endorsements"),
        ("get", "/v1/regions/{region}/members/{address}"),
        ("get", "/v1/regions/{region}/checkpoint"), ("get", "/v1/regions/{region}/entries"),
        ("get", "/v1/regions/{region}/proofs/inclusion"),
        ("get", "/v1/regions/{region}/proofs/consistency"),
        ("get", "/v1/regions/{region}/kpis"),
    ]:
        assert method in paths.get(path, {}), (method, path)
    claim = paths["/v1/regions/{region}/claims"]["post"]
    assert "application/problem+json" in claim["responses"]["409"]["content"]
