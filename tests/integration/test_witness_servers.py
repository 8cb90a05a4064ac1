"""Two ``kakawari serve`` processes on localhost, each with its own data directory,
database and port, witnessing each other's logs (C2SP tlog-witness): cosigned
checkpoints appear on both sides; a rollback, a fork and a bad proof are refused with
the spec's statuses; the witness state survives a restart; a bundle fetched from the
tiles over HTTP verifies as the export of the same tree does, and meets the policy; a
walletless member's record in one region is shown in the other, verified, and refused
when the receipt is altered."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.cosignature import cosigned_by, parse_cosigner_vkey
from ledger.note import Signer, parse_skey
from ledger.witness import format_request
from service.cli import main
from service.config import Settings
from service.keyring import Keyring

pytestmark = [pytest.mark.slow]

PASS = "two-servers-pass"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    region: str
    name: str
    data: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None
    show: dict[str, Any] | None = None

    @property
    def env(self) -> dict[str, str]:
        # the defaults users get (scrypt cost included); only where, and how often to submit
        return {"KAKAWARI_DATA_DIR": str(self.data), "KAKAWARI_PASSPHRASE": PASS,
                "KAKAWARI_WITNESS_INTERVAL": "0.2"}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cli(self, *args: str, code: int = 0) -> str:
        result = CliRunner().invoke(main, list(args), env=self.env, catch_exceptions=False)
        assert result.exit_code == code, (args, result.stdout, result.stderr)
        return result.stdout

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("kakawari")), "serve", "--port", str(self.port)],
            env={**os.environ, **self.env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.url}/v1/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.proc.poll() is None, self.proc.stderr.read() if self.proc.stderr else ""
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        self.proc = None

    def checkpoint(self) -> str:
        return httpx.get(f"{self.url}/logs/{self.region}/checkpoint").text

    def signer(self) -> Signer:
        keyring = Keyring(Settings(data_dir=self.data), PASS.encode())
        return parse_skey(keyring.load(self.region, "checkpoint").decode())


def wait_cosigned(log: Server, witness: Server, size: int | None = None) -> str:
    """The log's served checkpoint once the witness's cosignature on it is there."""
    assert witness.show is not None
    verifier = parse_cosigner_vkey(witness.show["witnessVkey"])
    deadline = time.monotonic() + 60
    while True:
        note = log.checkpoint()
        current = int(note.split("\n")[1])
        if (size is None or current == size) and verifier in cosigned_by(note, [verifier]):
            return note
        assert time.monotonic() < deadline, f"no cosignature by {witness.region}: {note}"
        time.sleep(0.2)


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[Server, Server]]:
    ama = Server("ama", "海士町", tmp_path / "ama", free_port())
    taba = Server("tabayama", "丹波山村", tmp_path / "tabayama", free_port())
    try:
        for s in (ama, taba):
            s.cli("init", "--region", s.region, "--name", s.name)
            s.show = json.loads(s.cli("region", "show", s.region, "--json"))
            s.cli("demo", "seed", "--region", s.region, "--members", "6", "--claims", "12",
                  "--seed", "1")
        for log, witness in ((ama, taba), (taba, ama)):
            assert log.show is not None and witness.show is not None
            witness.cli("witness", "trust", "--region", witness.region, "--vkey",
                        log.show["vkey"])
            log.cli("witness", "partner", "--region", log.region, "--vkey",
                    witness.show["witnessVkey"], "--url", f"{witness.url}/witness")
        ama.start()
        taba.start()
        yield ama, taba
    finally:
        ama.stop()
        taba.stop()


def post(witness: Server, old: int, note: str, proof: list[bytes]) -> httpx.Response:
    return httpx.post(f"{witness.url}/witness/add-checkpoint",
                      content=format_request(old, proof, note))


def test_two_servers_witness_each_other(servers: tuple[Server, Server], tmp_path: Path) -> None:
    ama, taba = servers
    # cosigned checkpoints appear on both sides
    first = wait_cosigned(ama, taba)
    wait_cosigned(taba, ama)
    size = int(first.split("\n")[1])
    # the log grows while served: the next checkpoint is cosigned too (consistency proof)
    ama.cli("demo", "seed", "--region", "ama", "--members", "2", "--claims", "3")
    grown = wait_cosigned(ama, taba, _size_now(ama))
    new_size = int(grown.split("\n")[1])
    assert new_size > size
    # what Tabayama's witness has for Ama: a stale client asks with old 0 and is told
    stale = post(taba, 0, first, [])
    assert stale.status_code == 409
    assert stale.headers["content-type"] == "text/x.tlog.size"
    assert stale.text == f"{new_size}\n"
    signer = ama.signer()
    origin = "kakawari/ama"
    # rollback: an older checkpoint, from the size the witness has
    old_note = sign_checkpoint(Checkpoint(origin, size, _root(first)), signer)
    assert post(taba, new_size, old_note, []).status_code == 400
    # fork: the same origin and size, another root
    fork = sign_checkpoint(Checkpoint(origin, new_size, bytes(32)), signer)
    assert post(taba, new_size, fork, []).status_code == 422
    # bad proof: a larger tree with a proof that does not lead to it
    bigger = sign_checkpoint(Checkpoint(origin, new_size + 4, bytes(32)), signer)
    assert post(taba, new_size, bigger, [bytes(32)] * 3).status_code == 422
    # none of those moved the state: still the grown size after a restart
    taba.stop()
    taba.start()
    after = post(taba, 0, grown, [])
    assert after.status_code == 409 and after.text == f"{new_size}\n"
    ama.cli("demo", "seed", "--region", "ama", "--members", "1", "--claims", "1")
    final = wait_cosigned(ama, taba, _size_now(ama))
    # a bundle fetched from the tiles over HTTP verifies as the export of the same tree
    fetched, exported = tmp_path / "fetched.zip", tmp_path / "exported.zip"
    ama.cli("audit", "fetch", f"{ama.url}/logs/ama", "--out", str(fetched))
    ama.cli("export", "--region", "ama", "--out", str(exported), "--no-details")
    reports = [json.loads(ama.cli("audit", "verify", str(path), "--json"))
               for path in (fetched, exported)]
    assert reports[0] == reports[1] and reports[0]["size"] == int(final.split("\n")[1])
    assert taba.show is not None and ama.show is not None
    policy = tmp_path / "ama-policy.txt"
    policy.write_text(f"log {ama.show['vkey']}\nwitness tabayama {taba.show['witnessVkey']}\n"
                      "quorum tabayama\n")
    report = json.loads(ama.cli("audit", "verify", str(fetched), "--policy", str(policy),
                                "--json"))
    assert report["witnessedBy"] == ["tabayama"]

    # a partner witness that is down shows on the log's health, and clears once it is back
    taba.stop()
    ama.cli("demo", "seed", "--region", "ama", "--members", "1", "--claims", "1")
    down = wait_health(ama, "degraded")
    assert [(f["region"], f["error"] != "") for f in down["witnessing"]["failing"]] == [
        ("ama", True)]
    taba.start()
    wait_cosigned(ama, taba, _size_now(ama))
    assert wait_health(ama, "ok")["witnessing"]["failing"] == []


def wait_health(s: Server, status: str) -> dict[str, Any]:
    """``/v1/health`` once its status is ``status``."""
    deadline = time.monotonic() + 60
    while True:
        body: dict[str, Any] = httpx.get(f"{s.url}/v1/health").json()
        if body["status"] == status:
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.2)


def _size_now(s: Server) -> int:
    r = httpx.get(f"{s.url}/v1/regions/{s.region}/checkpoint")
    return int(r.text.split("\n")[1])


def _root(note: str) -> bytes:
    import base64

    return base64.b64decode(note.split("\n")[2])



# -- recognition that travels (issue 16) ----------------------------------------------------


def _admin(s: Server) -> Any:
    from tests.integration.service_fixtures import Person

    assert s.show is not None
    keyring = Keyring(Settings(data_dir=s.data), PASS.encode())
    return Person(s.region, keyring.load(s.region, "admin"), int(s.show["chainId"]))


def _post(s: Server, path: str, body: dict[str, Any], token: str | None = None) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = httpx.post(f"{s.url}/v1/regions/{s.region}{path}", json=body, headers=headers,
                   timeout=60)
    assert r.status_code == 201, (path, r.text)
    return r.json()


def _walletless(s: Server, name: str) -> tuple[str, str]:
    """A walletless member: an admin's invitation redeemed over HTTP with a passphrase
    (the production scrypt cost: the servers run on the defaults). Her address, token."""
    from service.accounts import code_hash

    code = "TRAV-" + name.upper()
    admin = _admin(s)
    _post(s, "/invitations", admin.body("Invitation", codeHash=code_hash(code),
                                        expiresAt=int(time.time()) + 86400))
    r = httpx.post(f"{s.url}/v1/regions/{s.region}/accounts", timeout=60, json={
        "code": code, "displayName": "山田 花子", "passphrase": "うみ と やま と 2026"})
    assert r.status_code == 201, r.text
    return r.json()["address"], r.json()["token"]


def test_a_walletless_members_record_is_shown_across_regions_and_refused_altered(
        servers: tuple[Server, Server]) -> None:
    ama, taba = servers
    assert ama.show is not None and taba.show is not None
    for s, other in ((ama, taba), (taba, ama)):
        assert other.show is not None
        s.cli("partner", "add", "--region", s.region, "--partner", other.region, "--name",
              other.name, "--log-key", other.show["vkey"], "--witness-key",
              other.show["witnessVkey"], "--url", f"{other.url}/logs/{other.region}")
    # Hanako has no wallet: a managed key in each region (two addresses)
    in_ama, ama_token = _walletless(ama, "ama")
    in_taba, taba_token = _walletless(taba, "taba")
    # her work in Ama, approved by the admin as verifier
    admin = _admin(ama)
    _post(ama, "/roles", admin.body("Role", member=admin.address, role="verifier",
                                    granted=True))
    for title in ("海岸清掃", "祭りの準備"):
        claim = _post(ama, "/managed/Claim", {"fields": {
            "category": "cleanup", "title": title, "minutes": 120,
            "occurredAt": int(time.time()) - 3600, "quest": "0x" + "00" * 32,
            "coContributors": [], "detailsHash": "0x" + "00" * 32}}, ama_token)["id"]
        _post(ama, f"/claims/{claim}/reviews", admin.body("Review", claim=claim,
                                                          approve=True, reason="確認"))
    # her consent in both logs, signed with her held keys
    _post(ama, "/managed/RecordLink", {"fields": {"partner": "kakawari/tabayama",
                                                  "partnerMember": in_taba, "shown": True}},
          ama_token)
    _post(taba, "/managed/RecordLink", {"fields": {"partner": "kakawari/ama",
                                                   "partnerMember": in_ama, "shown": True}},
          taba_token)
    # Ama gives her record receipt once Tabayama's witness has cosigned a checkpoint
    # covering it (the servers submit to each other in the background)
    deadline = time.monotonic() + 60
    while True:
        r = httpx.get(f"{ama.url}/v1/regions/ama/members/{in_ama}/record",
                      params={"partner": "kakawari/tabayama"})
        if r.status_code == 200:
            break
        assert r.status_code == 409 and r.json()["type"].endswith("not-cosigned"), r.text
        assert time.monotonic() < deadline, "Tabayama never cosigned Ama's checkpoint"
        time.sleep(0.2)
    receipt = r.json()
    profile = httpx.get(f"{ama.url}/v1/regions/ama/members/{in_ama}").json()
    put = f"{taba.url}/v1/regions/tabayama/members/{in_taba}/partner-records/ama"
    # altered: one more recognised activity than the signed summary says
    altered = {**receipt, "recognised": receipt["recognised"] + 10}
    refused = httpx.put(put, json={"receipt": altered}, headers={"Accept-Language": "ja"})
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["title"] == "パートナー地域の記録を確認できませんでした"
    assert "海士町" in refused.json()["detail"]
    assert httpx.get(f"{taba.url}/v1/regions/tabayama/members/{in_taba}").json()[
        "partnerRecords"] == []
    shown = httpx.put(put, json={"receipt": receipt})
    assert shown.status_code == 200, shown.text
    # or Tabayama asks Ama for it itself, for her (signed in there): the same record
    fetched = httpx.post(f"{put}/fetch", headers={"Authorization": f"Bearer {taba_token}"},
                         timeout=60)
    assert fetched.status_code == 200, fetched.text
    assert fetched.json()["recognised"] == shown.json()["recognised"]
    assert httpx.post(f"{put}/fetch", timeout=60).status_code == 401
    mine = httpx.get(f"{taba.url}/v1/regions/tabayama/members/{in_taba}").json()
    [record] = mine["partnerRecords"]
    assert (record["partnerName"], record["recognised"], record["level"]) == (
        "海士町", 2, profile["level"])
    assert record["lifetimePoints"] == profile["lifetimePoints"] > 0
    assert mine["lifetimePoints"] == 0  # points never move between regions
