"""Partnerships (issue 16): signed admin entries naming a partner region's origin, keys
and URL; withdrawal; the rules that refuse malformed or duplicate ones; the projection
and the API listing; the audit replay agreeing; the CLI setting up witnessing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger.cosignature import Cosigner, format_cosigner_vkey
from ledger.note import new_signer_keys
from service.api.app import create_app
from service.domain import DomainError
from service.witness import Submitter
from tests.integration.audit_fixtures import cli_env, export_to, run
from tests.integration.service_fixtures import World, database, world

TABA_LOG = new_signer_keys("kakawari/tabayama", bytes(range(32)))[1]
TABA_WITNESS = format_cosigner_vkey(Cosigner("kakawari/tabayama/witness", bytes(32)).verifier)
URL = "https://tabayama.example/logs/tabayama"


@pytest.fixture
def w(tmp_path: Path) -> Iterator[World]:
    with database("sqlite", tmp_path) as url, world(tmp_path, url) as w:
        yield w


def partnership(w: World, **change: Any) -> Any:
    fields = {"partner": "kakawari/tabayama", "partnerName": "丹波山村", "logKey": TABA_LOG,
              "witnessKey": TABA_WITNESS, "url": URL, **change}
    return w.admin.sign("Partnership", **fields)


def test_a_partnership_is_a_signed_admin_entry_and_can_end(w: World, tmp_path: Path) -> None:
    w.domain.submit(w.region, [partnership(w)])
    with TestClient(create_app(w.settings, w.regions)) as client:
        listed = client.get(f"/v1/regions/{w.region}/partners").json()
        assert listed == [{"partner": "kakawari/tabayama", "name": "丹波山村", "url": URL,
                           "logKey": TABA_LOG, "witnessKey": TABA_WITNESS,
                           "seq": listed[0]["seq"], "active": True, "endedSeq": None}]
        with pytest.raises(DomainError, match="already a partner"):
            w.domain.submit(w.region, [partnership(w)])
        ended = w.admin.sign("PartnershipEnd", partner="kakawari/tabayama", reason="協定終了")
        w.domain.submit(w.region, [ended])
        row = client.get(f"/v1/regions/{w.region}/partners").json()[0]
        assert row["active"] is False and row["endedSeq"] == row["seq"] + 1
        with pytest.raises(DomainError, match="not a partner"):
            w.domain.submit(w.region, [ended.__class__(
                ended.type, {**ended.message, "nonce": ended.message["nonce"] + 1},
                ended.signature)])
        w.domain.submit(w.region, [partnership(w)])  # partners again
        assert client.get(f"/v1/regions/{w.region}/partners").json()[0]["active"] is True
    # the audit replays the partnership entries to the same verdict
    from service.audit.verify import audit_bundle

    report = audit_bundle(export_to(w, tmp_path / "b.zip"), jobs=1)
    assert report.log.types["Partnership"] == 2 and report.log.types["PartnershipEnd"] == 1


@pytest.mark.parametrize("change", [
    {"partner": "kakawari/ama"}, {"partner": "tabayama"}, {"logKey": "not a key"},
    {"logKey": new_signer_keys("kakawari/other")[1]}, {"witnessKey": TABA_LOG},
    {"url": "ftp://x"}, {"partnerName": " "},
])
def test_malformed_partnerships_are_refused(w: World, change: dict[str, str]) -> None:
    with pytest.raises(DomainError):
        w.domain.submit(w.region, [partnership(w, **change)])


def test_only_an_admin_names_a_partner(w: World) -> None:
    someone = w.person()
    w.domain.submit(w.region, [someone.sign("Join", displayName="X")])
    signed = someone.sign("Partnership", admin=someone.address, partner="kakawari/tabayama",
                          partnerName="丹波山村", logKey=TABA_LOG, witnessKey=TABA_WITNESS,
                          url=URL)
    with pytest.raises(DomainError, match="admin"):
        w.domain.submit(w.region, [signed])


def test_partner_commands_sign_the_entry_and_set_up_witnessing(w: World) -> None:
    assert w.regions.keyring is not None
    w.regions.keyring.store(w.region, "admin", w.admin.key)
    env = cli_env(w)
    out = run(env, "partner", "add", "--region", w.region, "--partner", "tabayama", "--name",
              "丹波山村", "--log-key", TABA_LOG, "--witness-key", TABA_WITNESS, "--url", URL)
    assert "are partners" in out.stdout
    listed = run(env, "partner", "list", "--region", w.region).stdout
    assert "kakawari/tabayama  丹波山村" in listed and "active" in listed
    engine = w.regions.store.engine  # type: ignore[attr-defined]
    partners = Submitter(w.regions, engine).partners()
    assert [(p.name, p.url) for p in partners] == [
        ("kakawari/tabayama/witness", "https://tabayama.example/witness")]
    from service.domain import tables as t

    with engine.connect() as conn:
        trusted = conn.execute(t.witness_logs.select()).all()
    assert [(r.origin, r.vkey) for r in trusted] == [("kakawari/tabayama", TABA_LOG)]
    run(env, "partner", "end", "--region", w.region, "--partner", "tabayama", "--reason", "終了")
    assert "ended (entry" in run(env, "partner", "list", "--region", w.region).stdout
    refused = run(env, "partner", "end", "--region", w.region, "--partner", "tabayama",
                  "--reason", "again", code=3)
    assert "not a partner" in refused.stderr
    assert json.loads(run(env, "region", "show", w.region, "--json").stdout)["witnessVkey"]
