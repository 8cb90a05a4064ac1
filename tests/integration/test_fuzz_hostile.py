"""Hostile input against the seeded app (issue 13's fuzzing run, beside the
schemathesis walk of every operation in test_api_schema.py): malformed and malleated
signatures, replays, messages of other regions, huge and deeply nested bodies, bytes
that are not UTF-8, files that are not photos, path tricks in the detail routes, and
random mutations of real signed bodies. Whatever comes in: no 5xx, and every refusal
is problem+json. Bounded: a few hundred requests, well under a minute."""

from __future__ import annotations

import json
import random
import secrets
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from ledger.eip712 import _N  # type: ignore[attr-defined]
from service.domain.details import details_hash
from tests.integration.api_seed import Seeded, seeded_app
from tests.integration.service_fixtures import ZERO32, Person

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    with seeded_app(tmp_path_factory.mktemp("hostile")) as s:
        yield s


def answered(r: Any, *allowed: int) -> Any:
    """No server error; a refusal is problem+json with type, title, status and detail."""
    assert r.status_code < 500, (r.status_code, r.text[:500])
    if allowed:
        assert r.status_code in allowed, (r.status_code, r.text[:500])
    if r.status_code >= 400:
        assert r.headers["content-type"] == PROBLEM, (r.status_code, r.headers, r.text[:200])
        body = r.json()
        assert body["type"].startswith("urn:kakawari:problem:") and body["title"] \
            and body["status"] == r.status_code and body["detail"], body
    return r


def claim_body(s: Seeded, who: Person, **changes: Any) -> dict[str, Any]:
    import time

    fields = {"category": "cleanup", "title": "Beach", "minutes": 30,
              "occurredAt": int(time.time()) - 60, "quest": ZERO32, "coContributors": [],
              "detailsHash": ZERO32, **changes}
    return who.body("Claim", **fields)


def joined(s: Seeded) -> Person:
    who = s.w.person()
    answered(s.client.post(f"/v1/regions/{s.region}/members",
                           json=who.body("Join", displayName="Fuzz")), 201)
    return who


def test_malformed_and_malleated_signatures_are_refused(seeded: Seeded) -> None:
    s = seeded
    who = joined(s)
    good = claim_body(s, who)
    sig = bytes.fromhex(good["signature"][2:])
    r_, s_, v = sig[:32], int.from_bytes(sig[32:64], "big"), sig[64]
    high_s = "0x" + (r_ + (_N - s_).to_bytes(32, "big") + bytes([55 - v])).hex()  # twin
    cases: list[Any] = [
        "0x", "0x" + "zz" * 65, good["signature"][:-1], good["signature"] + "00", 5, None,
        [], {"r": 1}, "0x" + "00" * 65, "0x" + "ff" * 64 + "1b", high_s,
        good["signature"][:-2] + "1d", good["signature"][:-2] + "02",
        "0x" + secrets.token_hex(64) + "1b", " " + good["signature"],
        good["signature"].replace("0x", "0X"),
    ]
    for signature in cases:
        r = s.client.post(f"/v1/regions/{s.region}/claims",
                          json={"message": good["message"], "signature": signature})
        answered(r, 400, 422, 201 if signature == good["signature"].replace("0x", "0X") else 400)
    answered(s.client.post(f"/v1/regions/{s.region}/claims", json=good), 201)


def test_replays_and_other_regions(seeded: Seeded) -> None:
    s = seeded
    who = joined(s)
    body = claim_body(s, who)
    url = f"/v1/regions/{s.region}/claims"
    first = answered(s.client.post(url, json=body), 201)
    again = answered(s.client.post(url, json=body), 201)  # the existing entry, not a copy
    assert again.json()["entries"] == first.json()["entries"]
    elsewhere = Person("other-town")
    answered(s.client.post(f"/v1/regions/{s.region}/members",
                           json=elsewhere.body("Join", displayName="x")), 400)
    answered(s.client.post("/v1/regions/other-town/members",
                           json=elsewhere.body("Join", displayName="x")), 404)
    other_chain = Person(s.region, chain_id=1)
    answered(s.client.post(f"/v1/regions/{s.region}/members",
                           json=other_chain.body("Join", displayName="x")), 400)


def test_huge_nested_and_undecodable_bodies(seeded: Seeded) -> None:
    s = seeded
    url = f"/v1/regions/{s.region}/claims"
    limit = s.w.settings.max_body_bytes
    bodies: list[bytes] = [
        b'{"message": {}, "signature": "' + b"a" * (limit + 10) + b'"}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"message": ' * 5000 + b"1" + b"}" * 5000,
        b'{"message": {"coContributors": ' + b"[" * 3000 + b"]" * 3000 + b'}}',
        b"\xff\xfe\x00{\x00}", b'{"message": "\xc3\x28", "signature": "0x"}',
        b'{"message": {"region": "ama\\u0000"}, "signature": "0x"}', b"", b"null",
        json.dumps({"message": {"title": "x" * 900_000}, "signature": "0x"}).encode(),
    ]
    for body in bodies:
        for content_type in ("application/json", "text/plain", "application/x-www-form-urlencoded"):
            answered(s.client.post(url, content=body, headers={"content-type": content_type}))
    chunks = (b"x" * 65536 for _ in range(limit // 65536 + 2))  # streamed, no length given
    answered(s.client.post(url, content=chunks, headers={"content-type": "application/json"}),
             413)


def test_files_that_are_not_photos(seeded: Seeded) -> None:
    import base64

    s = seeded
    token = s.tokens[0]  # alice, a member
    for data in (b"<svg onload=alert(1)>", b"%PDF-1.7", b"MZ\x90\x00", b"", b"\xff\xd8",
                 b"GIF8", b"RIFF\x00\x00\x00\x00WAVE"):
        details = {"text": "", "files": [{"name": "p.jpg", "type": "image/jpeg",
                                          "data": base64.b64encode(data).decode()}]}
        salt = secrets.token_bytes(16)
        r = s.client.put(f"/v1/regions/{s.region}/details/{details_hash(salt, details)}",
                         json={"salt": "0x" + salt.hex(), "details": details},
                         headers={"Authorization": f"Bearer {token}"})
        answered(r, 400)


def test_path_tricks_in_detail_routes(seeded: Seeded) -> None:
    s = seeded
    auth = {"Authorization": f"Bearer {s.tokens[1]}"}  # the admin: may read any details
    known = s.details[0]
    tricks = [
        "..%2F..%2F..%2Fetc%2Fpasswd", "..", "%2e%2e", "0x" + "2e" * 32 + "%2F..",
        known[:-1], known + "0", known.upper(), "0X" + known[2:], known + "%00",
        known + "/../" + known, "0x" + "../" * 21 + "a", "%00", "0x" + "0" * 64 + "%0a",
        "０x" + known[2:], known + ".json", known[2:], "0x" + "g" * 64,
    ]
    for trick in tricks:
        for path in (f"/v1/regions/{s.region}/details/{trick}",
                     f"/v1/regions/..%2F{s.region}/details/{known}",
                     f"/v1/regions/{s.region}%00/details/{known}"):
            answered(s.client.get(path, headers=auth))
            answered(s.client.put(path, headers=auth, json={"salt": "0x" + "00" * 16,
                                                            "details": {"text": "x"}}))
    r = answered(s.client.get(f"/v1/regions/{s.region}/details/0x{known[2:].upper()}",
                              headers=auth))
    assert r.status_code == 200  # the same details, whatever the case of the hex


def test_random_mutations_of_signed_bodies(seeded: Seeded) -> None:
    s = seeded
    rng = random.Random(17)
    who = joined(s)
    weird: list[Any] = [None, True, -1, 2**64, 1.5, "", "\x00", "🌊" * 300, [], {},
                        [None], "0x" + "00" * 20, "0x" + "ff" * 32, "-0", 2**53, "1e309"]
    routes = ["/claims", "/members", "/profile", "/roles", "/erasures", "/invitations",
              f"/claims/{s.claims[0]}/reviews", f"/claims/{s.claims[0]}/endorsements"]
    for _ in range(150):
        body = claim_body(s, who)
        message = dict(body["message"])
        for _ in range(rng.randint(1, 3)):
            key = rng.choice([*message, "extra", "region", "nonce"])
            message[key] = rng.choice(weird)
        route = rng.choice(routes)
        answered(s.client.post(f"/v1/regions/{s.region}{route}",
                               json={"message": message, "signature": body["signature"]}))


def test_bug_deeply_nested_body_crashes_the_process_once_py_evm_is_loaded(
        seeded: Seeded) -> None:
    """py-evm raises the recursion limit to 12,288 on import (the service loads it for
    an in-process chain); Python's JSON parser then recursed past the C stack on a body
    of 100,000 ``[`` and the whole process died (the full suite segfaulted here). Such
    bodies are now refused before anything parses them."""
    url = f"/v1/regions/{seeded.region}/claims"
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(12_288)
    try:
        for body in (b"[" * 100_000 + b"]" * 100_000, b'{"message": ' * 20_000 + b"1"):
            r = seeded.client.post(url, content=body,
                                   headers={"content-type": "application/json"})
            assert r.status_code == 400 and r.json()["type"].endswith(":too-deep"), r.text
        # brackets inside strings are text, not nesting
        r = seeded.client.post(url, json={"message": {"title": "[" * 10_000}, "signature": "0x"})
        assert r.status_code < 500 and not r.json()["type"].endswith(":too-deep"), r.text
    finally:
        sys.setrecursionlimit(before)
