"""The OpenAPI document is complete: every success response has a typed schema, every
error is problem+json, and the response models pass the routes' JSON through exactly
(no field dropped, renamed, added or retyped) on a region with something of every kind."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import routing
from fastapi.encoders import jsonable_encoder

from service.api.app import create_app
from service.config import Settings
from tests.integration.api_seed import PASSPHRASE, Seeded, seeded_app

PROBLEM = "application/problem+json"


def _untyped(schema: Any, doc: dict[str, Any], where: str, seen: set[str]) -> list[str]:
    """Places in ``schema`` (recursively) that say nothing of their shape: ``{}`` or an
    object with neither properties nor a typed ``additionalProperties``."""
    if not isinstance(schema, dict) or not schema:
        return [where]
    ref = schema.get("$ref")
    if ref is not None:
        if ref in seen:
            return []
        name = ref.removeprefix("#/components/schemas/")
        return _untyped(doc["components"]["schemas"][name], doc, f"{where}→{name}", seen | {ref})
    out: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for i, part in enumerate(schema.get(key, ())):
            out += _untyped(part, doc, f"{where}.{key}[{i}]", seen)
    if any(key in schema for key in ("anyOf", "oneOf", "allOf", "const", "enum")):
        return out
    kind = schema.get("type")
    if kind is None:
        return [where]
    if kind == "array":
        return out + _untyped(schema.get("items"), doc, f"{where}[]", seen)
    if kind == "object":
        props = schema.get("properties") or {}
        extra = schema.get("additionalProperties")
        if not props and not isinstance(extra, dict):
            return [where]
        for name, sub in props.items():
            out += _untyped(sub, doc, f"{where}.{name}", seen)
        if isinstance(extra, dict):
            out += _untyped(extra, doc, f"{where}.*", seen)
    return out


def test_every_success_response_has_a_typed_schema_and_every_error_is_a_problem() -> None:
    doc = create_app(Settings()).openapi()
    untyped: list[str] = []
    operations = 0
    for path, item in doc["paths"].items():
        for method, op in item.items():
            operations += 1
            label = f"{method.upper()} {path}"
            successes = {c: r for c, r in op["responses"].items() if c.startswith("2")}
            assert successes, f"{label}: no success response documented"
            for code, response in successes.items():
                for media, content in response.get("content", {}).items():
                    untyped += _untyped(content.get("schema"), doc, f"{label} {code} {media}",
                                        set())
            for code, response in op["responses"].items():
                if code[0] in "45":
                    assert list(response["content"]) == [PROBLEM], (label, code)
                    assert response["content"][PROBLEM]["schema"] == {
                        "$ref": "#/components/schemas/Problem"}, (label, code)
            assert {"400", "404", "422", "500"} <= set(op["responses"]), label
    assert operations >= 40
    assert not untyped, (
        "untyped response schemas (give the route a response_model from service/api/"
        "schemas.py; a file download: {'type': 'string', 'format': 'binary'}):\n"
        + "\n".join(untyped))
    problem = doc["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}


def test_the_checker_finds_untyped_schemas() -> None:
    doc: dict[str, Any] = {"components": {"schemas": {
        "Loose": {"type": "object", "properties": {"x": {"type": "object",
                                                          "additionalProperties": True}}}}}}
    assert _untyped({}, doc, "r", set()) == ["r"]
    assert _untyped({"type": "object", "additionalProperties": True}, doc, "r", set()) == ["r"]
    assert _untyped({"type": "array", "items": {}}, doc, "r", set()) == ["r[]"]
    assert _untyped({"$ref": "#/components/schemas/Loose"}, doc, "r", set()) == ["r→Loose.x"]
    assert _untyped({"type": "object", "additionalProperties": {"type": "integer"}}, doc, "r",
                    set()) == []


def _same(a: Any, b: Any, where: str = "") -> list[str]:
    """Differences between two JSON values, telling an integer from a float."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{where}.{k}: only {'before' if k in a else 'after'}"
               for k in set(a) ^ set(b)]
        for k in set(a) & set(b):
            out += _same(a[k], b[k], f"{where}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} items before, {len(b)} after"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _same(x, y,
                                                                                 f"{where}[{i}]")]
    if type(a) is not type(b) or a != b:
        return [f"{where}: {a!r} before, {b!r} after"]
    return []


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[Seeded]:
    with seeded_app(tmp_path) as s:
        yield s


def test_response_models_pass_the_json_through_exactly(seeded: Seeded,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    s = seeded
    differences: list[str] = []
    served = 0
    current = ""
    original = routing.serialize_response

    async def compared(**kwargs: Any) -> Any:
        nonlocal served
        out = await original(**kwargs)
        if kwargs.get("field") is not None:
            served += 1
            before = jsonable_encoder(kwargs["response_content"])
            after = json.loads(out) if isinstance(out, bytes | str) else jsonable_encoder(out)
            differences.extend(f"{current}{d}"[:300] for d in _same(before, after))
        return out

    monkeypatch.setattr(routing, "serialize_response", compared)
    doc = s.app.openapi()
    region, (alice, admin, managed, _auditor) = s.region, s.tokens
    m0, claim0, quest0, details = s.members[1], s.claims[0], s.quests[0], s.details
    calls: list[tuple[str, dict[str, Any], str | None]] = [
        ("/v1/ping", {}, None), ("/v1/health", {}, None), ("/v1/regions", {}, None),
        ("/v1/typed-data", {}, None), ("/v1/typed-data", {"region": region}, None),
        ("/v1/auth/nonce", {}, None), ("/v1/auth/me", {}, alice), ("/v1/auth/me", {}, managed),
        ("/v1/regions/{region}", {}, None),
        ("/v1/regions/{region}/members", {}, None),
        ("/v1/regions/{region}/members", {"role": "verifier", "limit": 2}, None),
        ("/v1/regions/{region}/claims", {}, None),
        ("/v1/regions/{region}/claims", {"status": "approved"}, None),
        ("/v1/regions/{region}/quests", {}, None),
        ("/v1/regions/{region}/quests", {"open": "true"}, None),
        ("/v1/regions/{region}/quests/{quest}", {}, None),
        ("/v1/regions/{region}/policy", {}, None),
        ("/v1/regions/{region}/kpis", {"months": 3}, None),
        ("/v1/regions/{region}/details/{digest}", {"digest": details[0]}, alice),
        ("/v1/regions/{region}/details/{digest}", {"digest": details[1]}, admin),
        ("/v1/regions/{region}/connections", {}, None),
        ("/v1/regions/{region}/invitations", {}, admin),
        ("/v1/regions/{region}/anchors/latest", {}, None),
        ("/v1/regions/{region}/entries", {"start": 0, "limit": 5}, None),
        ("/v1/regions/{region}/entries", {"start": s.size - 2}, None),
        ("/v1/regions/{region}/proofs/inclusion", {"index": 3}, None),
        ("/v1/regions/{region}/proofs/consistency", {"first": 2}, None),
        ("/v1/regions/{region}/checkpoint", {}, None),
        ("/v1/regions/{region}/claims/{claim}/receipt", {}, None),
        ("/v1/regions/{region}/claims/{claim}/receipt", {"member": s.members[1]}, None),
        ("/v1/regions/{region}/claims/{claim}/receipt", {"member": s.members[4]}, None),
        ("/v1/regions/{region}/quests/{quest}", {"quest": s.quests[1]}, None),
        ("/v1/regions/{region}/quests", {"status": "proposed", "tag": "海"}, None),
        ("/v1/regions/{region}/quests/{quest}/signups", {"quest": s.quests[1]}, None),
        ("/v1/regions/{region}/quests/{quest}/checkin-code", {"quest": s.quests[1]}, admin),
        ("/v1/regions/{region}/perks", {}, None),
        ("/v1/regions/{region}/perks/{perk}", {"perk": s.perks[0]}, None),
        ("/v1/regions/{region}/redemptions", {}, None),
        ("/v1/regions/{region}/members/{address}/balance", {"address": s.members[1]}, None),
        ("/v1/regions/{region}/proposals", {}, None),
        ("/v1/regions/{region}/proposals", {"status": "open"}, None),
        ("/v1/regions/{region}/proposals/{proposal}", {"voter": s.members[1]}, None),
        ("/v1/regions/{region}/proposals/{proposal}", {"admin": s.members[0]}, None),
        ("/v1/regions/{region}/proposals/{proposal}", {"proposal": s.proposals[1]}, None),
        ("/v1/regions/{region}/proposals/{proposal}/receipt", {"voter": s.members[1]}, None),
        ("/v1/regions/{region}/notices", {}, alice), ("/v1/regions/{region}/notices", {}, managed),
        ("/v1/regions/{region}/contact", {}, alice),
        ("/v1/regions/{region}/partners", {}, None),
        ("/v1/regions/{region}/members/{address}/record",
         {"address": s.members[1], "partner": "kakawari/tabayama"}, None),
    ]
    calls += [(f"/v1/regions/{{region}}/members/{{address}}{tail}", {"address": a}, None)
              for a in s.members for tail in ("", "/points", "/budget")]
    calls += [("/v1/regions/{region}/claims/{claim}", {"claim": c}, None) for c in s.claims]
    called: set[str] = set()
    for template, params, token in calls:
        names = {k: v for k, v in params.items() if "{" + k + "}" in template}
        url = template.format(**{"region": region, "quest": quest0, "claim": claim0,
                                 "address": m0, "proposal": s.proposals[0], **names})
        query = {k: v for k, v in params.items() if k not in names}
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        current = f"GET {url} {query}: "
        r = s.client.get(url, params=query, headers=headers)
        assert r.status_code == 200, (url, r.text)
        called.add(template)
    current = "POST …/accounts/export: "
    r = s.client.post(f"/v1/regions/{region}/accounts/export", json={"passphrase": PASSPHRASE},
                      headers={"Authorization": f"Bearer {managed}"})
    assert r.status_code == 200, r.text
    assert served >= len(calls)
    assert not differences, "\n".join(differences)
    gets = {path for path, item in doc["paths"].items()
            if "application/json" in item.get("get", {}).get("responses", {}).get("200", {})
            .get("content", {})}
    assert gets <= called, f"GET routes to add to the walk above: {sorted(gets - called)}"


def test_the_seeded_region_fills_every_kind_of_response(seeded: Seeded) -> None:
    s = seeded
    get = s.client.get
    base = f"/v1/regions/{s.region}"
    statuses = {c["status"] for c in get(f"{base}/claims").json()["items"]}
    assert statuses == {"pending", "approved", "rejected", "revoked"}
    alice = get(f"{base}/members/{s.members[1]}").json()
    assert alice["badges"] and alice["recognitions"] and isinstance(alice["points"], float)
    kinds = {line["kind"] for line in get(f"{base}/members/{s.members[1]}/points").json()["lines"]}
    assert kinds == {"recognition", "endorsement", "revocation", "reinstatement"}
    edges = {e["kind"] for e in get(f"{base}/connections").json()["edges"]}
    assert edges == {"together", "endorsed"}
    assert get(f"{base}/anchors/latest").json()["anchor"] is not None
    invitations = get(f"{base}/invitations",
                      headers={"Authorization": f"Bearer {s.tokens[1]}"}).json()["items"]
    assert sorted(i["member"] is None for i in invitations) == [False, True]
    claim = get(f"{base}/claims/{s.claims[2]}").json()
    assert claim["detailsErased"] is True and claim["reviews"][0]["approve"] is False
    text_only = get(f"{base}/details/{s.details[1]}",
                    headers={"Authorization": f"Bearer {s.tokens[1]}"}).json()
    assert text_only["details"] == {"text": "only text"}  # stored as sent, no defaults added
    assert json.loads(get(f"{base}/policy").text)["policy"]["decayHalfLifeDays"] == 30
