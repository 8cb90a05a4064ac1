"""``kakawari serve`` left to itself (issue 13): with a chain configured it anchors on
its schedule and /v1/health says so; every answer carries a request id (the client's
``X-Request-ID`` or a new one) that the JSON log lines of that request carry too;
``/metrics`` counts requests by route template and reports each log's entries and
anchor lag, the same from every worker."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from service.chain import connect, deploy
from tests.integration.databases import database
from tests.integration.ops_fixtures import (  # noqa: F401 (fixture)
    funded_key,
    own_anvil_fixture,
    service_env,
    serving,
)
from tests.integration.service_fixtures import ZERO32, Person, world

pytestmark = [pytest.mark.anvil, pytest.mark.slow]


def _metric(text: str, name: str, **labels: str) -> float:
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if (line.startswith(f"{name}{{") and want in line) or line.startswith(f"{name} "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no {name}{{{want}}} in /metrics")


def test_serve_anchors_by_itself_and_reports_it(tmp_path: Path, own_anvil: str) -> None:
    key = funded_key(own_anvil)
    with database("sqlite", tmp_path) as url, \
            world(tmp_path, url, chain_rpc_url=own_anvil, chain_private_key=key) as w:
        deploy(w.settings, connect(w.settings, None))
        member = Person(w.region)
        w.domain.submit(w.region, [member.sign("Join", displayName="Hana")])
        env = service_env(w.settings.data_dir, url, KAKAWARI_CHAIN_RPC_URL=own_anvil,
                          KAKAWARI_CHAIN_PRIVATE_KEY=key, KAKAWARI_ANCHOR_INTERVAL="1")
        log = tmp_path / "serve.log"
        with serving(env, 1, log) as server, httpx.Client(base_url=server.base) as client:
            body = member.body("Claim", category="cleanup", title="海岸清掃", minutes=30,
                               occurredAt=int(time.time()) - 60, quest=ZERO32,
                               coContributors=[], detailsHash=ZERO32)
            posted = client.post("/v1/regions/ama/claims", json=body,
                                 headers={"X-Request-ID": "req-42.a"})
            assert posted.status_code == 201 and posted.headers["x-request-id"] == "req-42.a"
            fresh = client.get("/v1/regions/ama/checkpoint",
                               headers={"X-Request-ID": "bad id with spaces"})
            assert len(fresh.headers["x-request-id"]) == 32  # refused: a new one given

            deadline = time.monotonic() + 60
            while True:
                health = client.get("/v1/health").json()
                run = health["anchoring"]["regions"].get("ama")
                if run is not None and run["lastAnchor"] is not None \
                        and run["lastAnchor"]["size"] >= 3:
                    break
                assert time.monotonic() < deadline, f"not anchored: {health}"
                time.sleep(0.3)
            assert health["anchoring"]["scheduled"] is True and run["error"] is None

            text = client.get("/metrics").text
            assert _metric(text, "kakawari_http_requests_total", method="POST",
                           route="/v1/regions/{region}/claims", status="201") == 1
            assert _metric(text, "kakawari_log_entries_total", region="ama") >= 4
            assert _metric(text, "kakawari_anchor_lag_entries", region="ama") >= 1
            assert _metric(text, "kakawari_anchor_consecutive_failures", region="ama") == 0
            assert "kakawari_witness_failures" not in text  # no witnesses on this server
        lines = [json.loads(line) for line in log.read_text().splitlines()
                 if line.startswith("{")]
        mine = [x for x in lines if x.get("requestId") == "req-42.a"]
        assert any(x["logger"] == "kakawari.access" and x["status"] == 201 for x in mine)
        assert any(x["logger"] == "kakawari.anchoring" for x in lines)
