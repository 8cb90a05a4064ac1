"""Witnessing between two regions, each with its own database and keys: the
add-checkpoint statuses of C2SP tlog-witness over HTTP, the witness state across a
restart, and the log side submitting, re-sending after 409, storing cosignatures and
serving and exporting its checkpoint with them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete

from ledger import merkle
from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.cosignature import cosigned_by, format_cosigner_vkey
from ledger.entry import origin_for
from ledger.note import Signer, parse_skey
from ledger.witness import format_request
from service.api.app import create_app
from service.db import open_database
from service.domain import tables as t
from service.keyring import Keyring
from service.regions import Regions
from service.witness import Submitter, Witness, add_partner_witness, trust_log
from tests.integration.audit_fixtures import cli_env, run
from tests.integration.service_fixtures import World, database, world


@dataclass
class Pair:
    ama: World
    taba: World
    taba_client: TestClient

    @property
    def witness_vkey(self) -> str:
        return format_cosigner_vkey(self.taba.regions.witness_cosigner("tabayama").verifier)

    def ama_signer(self) -> Signer:
        assert self.ama.regions.keyring is not None
        return parse_skey(self.ama.regions.keyring.load("ama", "checkpoint").decode())

    def grow(self, n: int = 1) -> None:
        for i in range(n):
            self.ama.domain.submit("ama", [self.ama.person().sign("Join", displayName=f"M{i}")])

    def post(self, old: int, note: str, proof: list[bytes] | None = None) -> Any:
        store, origin = self.ama.regions.store, origin_for("ama")
        size = int(note.split("\n")[1])
        if proof is None:
            proof = store.consistency_proof(origin, old, size) if 0 < old <= size else []
        return self.taba_client.post("/witness/add-checkpoint",
                                     content=format_request(old, proof, note))


def engine(w: World) -> Any:
    return w.regions.store.engine  # type: ignore[attr-defined]


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with database("sqlite", tmp_path / "a") as url_a, world(tmp_path / "a", url_a) as a, \
            database("sqlite", tmp_path / "b") as url_b, \
            world(tmp_path / "b", url_b, region="tabayama") as b:
        trust_log(engine(b), "tabayama", a.regions.store.log_info(origin_for("ama")).vkey, 0)
        with TestClient(create_app(b.settings, b.regions)) as client:
            yield Pair(a, b, client)


def latest(p: Pair) -> str:
    cp = p.ama.regions.store.latest_checkpoint(origin_for("ama"))
    assert cp is not None
    return cp.note


def test_add_checkpoint_answers_with_the_specs_statuses(pair: Pair) -> None:
    p = pair
    p.grow(3)
    first = latest(p)
    ok = p.post(0, first)
    assert ok.status_code == 200, ok.text
    witness = p.taba.regions.witness_cosigner("tabayama").verifier
    assert witness in cosigned_by(first + ok.text, [witness])
    size = int(first.split("\n")[1])
    again = p.post(0, first)  # a client that does not know the witness's state
    assert again.status_code == 409
    assert again.headers["content-type"] == "text/x.tlog.size" and again.text == f"{size}\n"
    assert p.post(size, first).status_code == 200  # the same checkpoint again
    older = p.ama.regions.store.checkpoint_at(origin_for("ama"), size - 1)
    assert older is not None
    assert p.post(size, older.note, proof=[]).status_code == 400  # rollback: old > size
    assert p.post(size - 1, older.note).status_code == 409  # rollback from an older size
    signer = p.ama_signer()
    fork = sign_checkpoint(Checkpoint(origin_for("ama"), size, bytes(32)), signer)
    assert p.post(size, fork, proof=[]).status_code == 422  # same size, another root
    p.grow(2)
    newer = latest(p)
    assert p.post(size, newer, proof=[bytes(32)] * 3).status_code == 422  # bad proof
    assert p.post(size, newer).status_code == 200
    # monitor retrieval: the checkpoint as the log signed it and the cosignature returned
    import hashlib

    path = f"/witness/{hashlib.sha256(b'kakawari/ama').hexdigest()}/checkpoint"
    monitored = p.taba_client.get(path)
    assert monitored.status_code == 200 and monitored.text.startswith(newer)
    assert witness in cosigned_by(monitored.text, [witness])
    assert p.taba_client.get(f"/witness/{'0' * 64}/checkpoint").status_code == 404
    stranger = Signer("kakawari/elsewhere", bytes(32))
    other = sign_checkpoint(Checkpoint("kakawari/elsewhere", 1, bytes(32)), stranger)
    assert p.post(0, other, proof=[]).status_code == 404
    forged = sign_checkpoint(Checkpoint(origin_for("ama"), size + 5, bytes(32)),
                             Signer(origin_for("ama"), bytes(32)))
    assert p.post(size + 2, forged, proof=[]).status_code == 403
    assert p.taba_client.post("/witness/add-checkpoint", content=b"old x\n\n").status_code == 400
    empty = sign_checkpoint(Checkpoint(origin_for("ama"), 0, bytes(32)), signer)
    assert p.post(0, empty).status_code == 409  # the size check comes first


def test_witness_state_survives_a_restart_and_never_moves_back(pair: Pair) -> None:
    p = pair
    p.grow(2)
    note = latest(p)
    size = int(note.split("\n")[1])
    assert p.post(0, note).status_code == 200
    p.taba.regions.store.close()
    store = open_database(str(p.taba.settings.database_url))
    try:
        regions = Regions(store, Keyring(p.taba.settings, b"test-pass"))
        with TestClient(create_app(p.taba.settings, regions)) as client:
            r = client.post("/witness/add-checkpoint", content=format_request(0, [], note))
            assert r.status_code == 409 and r.text == f"{size}\n"
        state = Witness(regions, store.engine).state(origin_for("ama"))
        assert state is not None and state.size == size
        with store.engine.connect() as conn:
            assert conn.execute(t.witness_state.select()).all()[0].size == size
    finally:
        store.close()


def test_a_race_of_two_requests_from_the_same_size_cosigns_only_one(pair: Pair) -> None:
    """tlog-witness's race: both checked against size N, then stored: the second
    compare-and-swap finds the state moved and answers 409, never rolling it back."""
    p = pair
    p.grow(2)
    a_note = latest(p)
    a_size = int(a_note.split("\n")[1])
    p.grow(3)
    b_note = latest(p)
    b_size = int(b_note.split("\n")[1])
    witness = Witness(p.taba.regions, engine(p.taba))
    from ledger.witness import Refusal, parse_request

    # both requests were checked against "never cosigned"; B stores first
    witness.add_checkpoint(format_request(0, [], b_note))
    with pytest.raises(Refusal) as caught:
        witness._swap(origin_for("ama"), None, a_size, merkle.root_hash([]), a_note)
    assert caught.value.status == 409 and caught.value.size == b_size
    state = witness.state(origin_for("ama"))
    assert state is not None and state.size == b_size
    assert parse_request(format_request(0, [], a_note)).old_size == 0


def submitter_for(p: Pair, **kwargs: Any) -> Submitter:
    s = Submitter(p.ama.regions, engine(p.ama), backoff=0.01, **kwargs)
    s._client = p.taba_client  # the partner's app, in process
    return s


def test_the_log_submits_stores_and_serves_cosignatures(pair: Pair, tmp_path: Path) -> None:
    p = pair
    name = add_partner_witness(engine(p.ama), "ama", p.witness_vkey, "http://testserver/witness",
                               0)
    assert name == "kakawari/tabayama/witness"
    p.grow(2)
    submitter = submitter_for(p)
    assert submitter.run_once() == 1 and not submitter.errors
    assert submitter.run_once() == 0  # nothing new
    p.grow(3)
    assert submitter.run_once() == 1  # with a consistency proof from the last size
    witness = p.taba.regions.witness_cosigner("tabayama").verifier
    with TestClient(create_app(p.ama.settings, p.ama.regions)) as client:
        served = client.get("/logs/ama/checkpoint").text
    assert served.startswith(latest(p)) and witness in cosigned_by(served, [witness])
    # a log that lost track of what the witness has: 409, then re-sent from that size
    with engine(p.ama).begin() as conn:
        conn.execute(delete(t.cosignatures))
    p.grow(1)
    fresh = submitter_for(p)
    assert fresh.run_once() == 1 and not fresh.errors
    # the export carries the cosignature; audit verify --policy wants the quorum
    env = cli_env(p.ama)
    bundle = tmp_path / "ama.zip"
    run(env, "export", "--region", "ama", "--out", str(bundle))
    log_vkey = p.ama.regions.store.log_info(origin_for("ama")).vkey
    policy = tmp_path / "policy.txt"
    policy.write_text(f"log {log_vkey}\nwitness taba {p.witness_vkey}\nquorum taba\n")
    report = json.loads(run(env, "audit", "verify", str(bundle), "--policy", str(policy),
                            "--json").stdout)
    assert report["ok"] and report["witnessedBy"] == ["taba"]
    from ledger.cosignature import Cosigner

    other = format_cosigner_vkey(Cosigner("w.example", bytes(32)).verifier)
    strict = tmp_path / "strict.txt"
    strict.write_text(f"witness taba {p.witness_vkey}\nwitness other {other}\n"
                      "group both all taba other\nquorum both\n")
    failed = run(env, "audit", "verify", str(bundle), "--policy", str(strict), code=1)
    assert "lacks the policy's quorum" in failed.stderr
    bad = tmp_path / "bad.txt"
    bad.write_text("quorum nobody\n")
    assert run(env, "audit", "verify", str(bundle), "--policy", str(bad), code=2).exit_code == 2


def test_an_unreachable_witness_is_retried_a_bounded_number_of_times(pair: Pair) -> None:
    p = pair
    add_partner_witness(engine(p.ama), "ama", p.witness_vkey, "http://127.0.0.1:9/witness", 0)
    p.grow(1)
    calls: list[int] = []
    submitter = Submitter(p.ama.regions, engine(p.ama), attempts=3, backoff=0.001, timeout=1)
    post = submitter._post

    def counted(partner: Any, body: bytes) -> tuple[int, str]:
        calls.append(1)
        return post(partner, body)

    submitter._post = counted  # type: ignore[method-assign]
    assert submitter.run_once() == 0
    assert len(calls) == 3
    assert "kakawari/tabayama/witness" in {name for _, name in submitter.errors}
    submitter.stop()


def test_region_show_prints_the_witness_key(pair: Pair) -> None:
    env = cli_env(pair.ama)
    shown = json.loads(run(env, "region", "show", "ama", "--json").stdout)
    assert shown["witnessVkey"] == format_cosigner_vkey(
        pair.ama.regions.witness_cosigner("ama").verifier)
    assert run(env, "witness", "key", "--region", "ama").stdout.strip() == shown["witnessVkey"]
