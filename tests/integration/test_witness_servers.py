"""Two ``kakawari serve`` processes on localhost, each with its own data directory,
database and port, witnessing each other's logs (C2SP tlog-witness): cosigned
checkpoints appear on both sides; a rollback, a fork and a bad proof are refused with
the spec's statuses; the witness state survives a restart; a bundle fetched from the
tiles over HTTP verifies as the export of the same tree does, and meets the policy."""

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

