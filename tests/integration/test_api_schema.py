"""schemathesis against the OpenAPI document: no input gives a 5xx, and every response
matches the documented status codes, content types and (typed) schemas. The region is
seeded with something of every kind, and path parameters are often swapped for its real
region, members, claims, quests and details, and requests signed in, so the deep paths
answer with data rather than 404 or 401. Bounded: a few dozen examples per operation
(well under a minute in all)."""

from __future__ import annotations

import re
import zlib
from collections import Counter
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


def test_stateful_sequences_follow_the_links_and_never_fail(tmp_path: Path) -> None:
    """schemathesis' state machine over the OpenAPI links (list → item, see
    service/api/links.py, plus what it infers): sequences of calls where each takes a
    real id from an earlier answer. No 5xx, every answer as documented, and the linked
    item routes were reached with real ids (they answered 2xx)."""
    with seeded_app(tmp_path) as seeded:
        # reads only: the links run between them, and a write with a generated body is
        # refused on its signature whatever came before (the stateless test fuzzes those)
        schema = schemathesis.openapi.from_asgi("/openapi.json", seeded.app)
        base = schema.include(method="GET").as_state_machine()
        people = [None, *seeded.tokens]  # signed out, then each person
        answered: Counter[tuple[str, int]] = Counter()

        def pick(case: Any, salt: str, n: int) -> int:
            # a choice that depends on the generated case only (hypothesis replays a
            # case and must see the same calls), not on a counter
            what = (salt, case.operation.label, case.path_parameters, case.query)
            return zlib.crc32(repr(what).encode()) % n

        class Workflow(base):  # type: ignore[valid-type, misc]
            def before_call(self, case: Any) -> None:
                # the region is the seeded one 3 calls in 4 (the stateless test above
                # tries random ones), so that sequences start from collections with items
                if "region" in (case.path_parameters or {}) and pick(case, "region", 4):
                    case.path_parameters["region"] = seeded.region
                # a collection read every other time without filters, so that its first
                # item is there for the links to take (a random filter matches nothing)
                if case.method == "GET" and not case.path.endswith("}") and pick(case, "q", 2):
                    case.query = {}
                token = people[pick(case, "token", len(people))]
                if token is not None:
                    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}

            def after_call(self, response: Any, case: Any) -> None:
                answered[(case.operation.label, response.status_code // 100)] += 1

            def validate_response(self, response: Any, case: Any,
                                  additional_checks: Any = None, **kwargs: Any) -> None:
                case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs)

        Workflow.run(settings=settings(max_examples=150, stateful_step_count=10, deadline=None,
                                       database=None, phases=[Phase.generate],
                                       suppress_health_check=list(HealthCheck)))
        # ids are random (32 bytes; an address 20): only a link from a collection's answer can
        # have given the id that a 2xx answer below an item was asked with
        items = ("{claim}", "{address}", "{quest}", "{proposal}", "{perk}")
        reached = sorted(label for (label, kind) in answered if kind == 2
                         and label.startswith("GET ") and any(i in label for i in items))
        assert reached, sorted(answered.items())
        assert sum(answered.values()) >= 150  # sequences were run, not one call


def test_the_openapi_document_links_collections_to_their_items() -> None:
    from service.config import Settings

    paths = create_app(Settings()).openapi()["paths"]
    links = paths["/v1/regions/{region}/claims"]["get"]["responses"]["200"]["links"]
    claim = paths["/v1/regions/{region}/claims/{claim}"]["get"]["operationId"]
    assert links[claim] == {
        "operationId": claim, "description": "`claim` is the `id` of the first item answered",
        "parameters": {"region": "$request.path.region",
                       "claim": "$response.body#/items/0/id"}}
    regions = paths["/v1/regions"]["get"]["responses"]["200"]["links"]
    checkpoint = paths["/v1/regions/{region}/checkpoint"]["get"]["operationId"]
    assert regions[checkpoint]["parameters"] == {"region": "$response.body#/0/region"}
    # every link names an operation that exists and gives each of its path parameters
    operations = {op["operationId"]: (path, op) for path, ops in paths.items()
                  for op in ops.values() if "operationId" in op}
    count = 0
    for ops in paths.values():
        for op in ops.values():
            for link in op.get("responses", {}).get("200", {}).get("links", {}).values():
                path, _ = operations[link["operationId"]]
                assert set(link["parameters"]) == set(re.findall(r"\{(\w+)\}", path))
                count += 1
    assert count >= 30


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
