"""ledger.cosignature, ledger.witness and ledger.tlog_policy (C2SP tlog-cosignature,
tlog-witness add-checkpoint, tlog-policy)."""

from __future__ import annotations

import base64
import hashlib

import pytest

from ledger import merkle
from ledger.checkpoint import Checkpoint, sign_checkpoint
from ledger.cosignature import (
    Cosigner,
    cosigned_by,
    cosigned_message,
    format_cosigner_vkey,
    parse_cosigner_vkey,
)
from ledger.errors import NoteError
from ledger.note import Signer, format_vkey
from ledger.tlog_policy import PolicyError, parse_policy
from ledger.witness import (
    AddCheckpoint,
    Refusal,
    WitnessState,
    check_request,
    format_request,
    parse_request,
)

ORIGIN = "kakawari/ama"
LOG = Signer(ORIGIN, bytes(range(32)))
WITNESS = Cosigner("kakawari/tabayama/witness", bytes(range(1, 33)))
LEAVES = [merkle.leaf_hash(str(i).encode()) for i in range(20)]


def note(size: int, signer: Signer = LOG, root: bytes | None = None) -> str:
    root = merkle.root_hash(LEAVES[:size]) if root is None else root
    return sign_checkpoint(Checkpoint(signer.name, size, root), signer)


def test_cosignature_format_is_the_specs() -> None:
    body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    assert cosigned_message(body, 1679315147) == (
        b"cosignature/v1\ntime 1679315147\n" + body.encode())
    pub = WITNESS.verifier.public_key
    assert WITNESS.verifier.key_id == hashlib.sha256(
        b"kakawari/tabayama/witness\n\x04" + pub).digest()[:4]
    line = WITNESS.cosign(body, 1679315147)
    assert line.startswith("\u2014 kakawari/tabayama/witness ") and line.endswith("\n")
    raw = base64.b64decode(line.split(" ")[2])
    assert len(raw) == 4 + 8 + 64
    assert raw[:4] == WITNESS.verifier.key_id and int.from_bytes(raw[4:12], "big") == 1679315147
    vkey = format_cosigner_vkey(WITNESS.verifier)
    assert base64.b64decode(vkey.split("+", 2)[2])[0] == 0x04
    assert parse_cosigner_vkey(vkey) == WITNESS.verifier
    cosigned = body + "\n" + line
    assert cosigned_by(cosigned, [WITNESS.verifier]) == {WITNESS.verifier: 1679315147}


def test_a_cosignature_binds_body_and_time() -> None:
    n = note(5)
    body = n[: n.rindex("\n\n") + 1]
    line = WITNESS.cosign(body, 100)
    other = Cosigner("kakawari/tabayama/witness", bytes(32))
    assert cosigned_by(n + line, [other.verifier]) == {}  # another key: ignored
    for bad in (n.replace("\n5\n", "\n6\n") + line, note(6) + line):
        with pytest.raises(NoteError):
            cosigned_by(bad, [WITNESS.verifier])
    raw = bytearray(base64.b64decode(line.split(" ")[2].strip()))
    raw[11] ^= 1  # the timestamp
    forged = f"\u2014 {WITNESS.name} {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(NoteError):
        cosigned_by(n + forged, [WITNESS.verifier])
    with pytest.raises(NoteError):
        parse_cosigner_vkey(format_vkey(LOG.verifier()))  # type 0x01 is not a cosigner key


TRUSTED = {ORIGIN: [LOG.verifier()]}


def decide(old: int, size: int, state: WitnessState | None, proof: list[bytes] | None = None,
           n: str | None = None) -> int:
    if proof is None:
        proof = merkle.consistency_proof(old, LEAVES[:size]) if 0 < old <= size else []
    body = format_request(old, proof, note(size) if n is None else n)
    try:
        check_request(parse_request(body), TRUSTED, {ORIGIN: state} if state else {})
    except Refusal as r:
        return r.status
    return 200


def st(size: int) -> WitnessState:
    return WitnessState(size, merkle.root_hash(LEAVES[:size]))


def test_add_checkpoint_statuses_follow_the_spec() -> None:
    assert decide(0, 5, None) == 200
    assert decide(5, 9, st(5)) == 200
    assert decide(9, 9, st(9)) == 200  # the same checkpoint again
    assert decide(0, 0, None, n=note(0)) == 200
    assert decide(0, 5, None, n=note(5, Signer("kakawari/other", bytes(32)))) == 404
    assert decide(0, 5, None, n=note(5, Signer(ORIGIN, bytes(32)))) == 403  # untrusted key
    bad = note(5)
    bad = bad[:-3] + ("A" if bad[-3] != "A" else "B") + bad[-2:]
    assert decide(0, 5, None, n=bad) == 403  # a trusted key's signature that fails
    assert decide(9, 5, st(9), proof=[]) == 400  # old size above the checkpoint's
    assert decide(5, 9, st(7)) == 409
    assert decide(0, 9, st(7)) == 409
    assert decide(3, 9, None) == 409
    assert decide(0, 0, None, n=note(0, root=bytes(32))) == 422
    assert decide(0, 5, None, proof=[bytes(32)]) == 422
    assert decide(5, 9, st(5), proof=[bytes(32)] * 3) == 422  # a bad proof
    fork = note(9, root=bytes(32))
    assert decide(9, 9, st(9), proof=[], n=fork) == 422  # HEAD: 422 (v1.0.0: 409)
    assert decide(5, 9, WitnessState(5, bytes(32))) == 422  # rollback to another history


def test_409_carries_the_stored_size() -> None:
    req = parse_request(format_request(2, [], note(9)))
    with pytest.raises(Refusal) as caught:
        check_request(req, TRUSTED, {ORIGIN: st(7)})
    assert caught.value.status == 409 and caught.value.size == 7


@pytest.mark.parametrize("body", [
    b"old 01\n\n", b"old -1\n\n", b"old 1", b"0\n\n", b"old 1\nnot base64\n\n",
    b"old 1\n" + b"AAAA\n\n", b"\xff\n\n",
    b"old 1\n" + (base64.b64encode(bytes(32)) + b"\n") * 64 + b"\n",
])
def test_malformed_requests_are_400(body: bytes) -> None:
    with pytest.raises(Refusal) as caught:
        parse_request(body + note(3).encode())
    assert caught.value.status == 400


def test_requests_round_trip() -> None:
    proof = merkle.consistency_proof(3, LEAVES[:9])
    req = parse_request(format_request(3, proof, note(9)))
    assert req == AddCheckpoint(3, tuple(proof), note(9))


def policy_text(quorum: str) -> bytes:
    w1 = Cosigner("w1.example", bytes([7] * 32)).verifier
    w2 = Cosigner("w2.example", bytes([8] * 32)).verifier
    return (f"# partners\nlog {format_vkey(LOG.verifier())} https://ama.example/logs/ama\n"
            f"witness W1 {format_cosigner_vkey(w1)}\n"
            f"\twitness W2  {format_cosigner_vkey(w2)} https://w2.example/\n"
            f"group both all W1 W2\ngroup one any W1 W2\ngroup two 2 W1 W2\n"
            f"quorum {quorum}\n").encode()


def test_policy_quorums() -> None:
    n = note(5)
    body = n[: n.rindex("\n\n") + 1]
    one = n + Cosigner("w1.example", bytes([7] * 32)).cosign(body, 5)
    both = one + Cosigner("w2.example", bytes([8] * 32)).cosign(body, 6)
    for quorum, ok in [("none", [n, one, both]), ("W1", [one, both]), ("one", [one, both]),
                       ("both", [both]), ("two", [both])]:
        policy = parse_policy(policy_text(quorum))
        for candidate in (n, one, both):
            if candidate in ok:
                policy.check(candidate)
            else:
                with pytest.raises(PolicyError, match="lacks the policy's quorum"):
                    policy.check(candidate)
    assert parse_policy(policy_text("W1")).logs[0][1] == "https://ama.example/logs/ama"


@pytest.mark.parametrize("change", [
    lambda t: t.replace(b"quorum", b"# quorum"),
    lambda t: t + b"quorum W1\n",
    lambda t: t.replace(b"group two 2", b"group two 3"),
    lambda t: t.replace(b"group two 2", b"group two 0"),
    lambda t: t.replace(b"group both all W1 W2", b"group both all W1 W1"),
    lambda t: t.replace(b"group both all W1 W2", b"group both all W1 W3"),
    lambda t: t.replace(b"quorum both", b"quorum nobody"),
    lambda t: t.replace(b"witness W1", b"witness none"),
    lambda t: t.replace(b"W2  ", b"W1 "),
    lambda t: t + b"bogus line\n",
    lambda t: t + b"x\x01\n",
    lambda t: t.replace(b"group one any W1 W2", b"group one any W1 none"),
])
def test_malformed_policies_are_refused(change: object) -> None:
    assert callable(change)
    with pytest.raises(PolicyError):
        parse_policy(change(policy_text("both")))
