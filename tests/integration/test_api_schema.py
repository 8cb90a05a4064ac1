"""schemathesis against the OpenAPI document: no input gives a 5xx, and every response
matches the documented status codes, content types and (typed) schemas. The region is
seeded with something of every kind, and path parameters are often swapped for its real
region, members, claims, quests and details, and requests signed in, so the deep paths
answer with data rather than 404 or 401. Bounded: a few dozen examples per operation
(well under a minute in all)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import checks

from service.api.app import create_app
from tests.integration.api_seed import seeded_app

CHECKS = [checks.not_a_server_error, checks.response_schema_conformance,
          checks.content_type_conformance, checks.status_code_conformance]


def _fuzz(operation: Any, known: dict[str, list[str]], tokens: list[str],
          statuses: set[int]) -> None:
    """Generated requests to ``operation``; path parameters are mostly real ones, and
    most requests are signed in (as a contributor, the admin, an auditor or a managed
    member). Raises on the first failed check."""

    @given(case=operation.as_strategy(), data=st.data())
    @settings(max_examples=30, deadline=None, database=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case: Any, data: Any) -> None:
        for name in list(case.path_parameters or {}):
            if name in known and data.draw(st.integers(0, 3)):  # 3 in 4: a real one
                case.path_parameters[name] = data.draw(st.sampled_from(known[name]))
        token = data.draw(st.sampled_from([None, *tokens]))
        if token is not None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
        response = case.call_and_validate(checks=CHECKS)
        statuses.add(response.status_code)

    run()


def test_no_server_errors_and_responses_match_the_schema(tmp_path: Path) -> None:
    # Driven through hypothesis directly: schemathesis' pytest plugin does not load
    # under this pytest version.
    with seeded_app(tmp_path) as seeded:
        known: dict[str, list[str]] = {
            "region": [seeded.region], "address": seeded.members, "claim": seeded.claims,
            "quest": seeded.quests, "digest": seeded.details,
        }
        tokens = seeded.tokens
        schema = schemathesis.openapi.from_asgi("/openapi.json", seeded.app)
        failures: list[str] = []
        operations = 0
        answered: dict[str, set[int]] = {}
        for result in schema.get_all_operations():
            operation = result.ok()
            operations += 1
            statuses = answered.setdefault(operation.label, set())
            try:
                _fuzz(operation, known, tokens, statuses)
            except Exception as exc:  # collect every operation's failure, then report
                failures.append(f"{operation.label}: {exc}")
        assert operations >= 40
        assert not failures, "\n\n".join(failures)
        # The deep paths were reached: most operations answered with success at least once.
        succeeded = sorted(label for label, codes in answered.items()
                           if any(200 <= c < 300 for c in codes))
        assert len(succeeded) >= 22, succeeded
        for label in ("GET /v1/regions/{region}/members/{address}",
                      "GET /v1/regions/{region}/claims/{claim}",
                      "GET /v1/regions/{region}/quests/{quest}",
                      "GET /v1/regions/{region}/kpis",
                      "GET /v1/regions/{region}/connections",
                      "GET /v1/regions/{region}/proofs/inclusion"):
            assert label in succeeded, (label, answered.get(label))


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
