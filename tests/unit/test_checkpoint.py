"""C2SP tlog-checkpoint bodies signed as C2SP notes: strict parsing, origin binding,
round trips and single-byte mutations."""

from __future__ import annotations

import base64
import dataclasses
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.checkpoint import (
    MAX_TREE_SIZE,
    Checkpoint,
    open_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
)
from ledger.errors import NoteError
from ledger.note import Signer, is_valid_name, open_note, sign_note

ORIGIN = "kakawari/ama-cho"
ROOT = hashlib.sha256(b"root").digest()
ROOT64 = base64.b64encode(ROOT).decode()
LOG = Signer(ORIGIN, hashlib.sha256(b"log key").digest())
WITNESS = Signer("witness.example/w1", hashlib.sha256(b"witness key").digest())

# The example of c2sp.org/tlog-checkpoint.
SPEC_BODY = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
SPEC_NOTE = (
    SPEC_BODY
    + "\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"  # noqa: E501
)


def test_body_format() -> None:
    cp = Checkpoint(ORIGIN, 42, ROOT)
    assert cp.body() == f"{ORIGIN}\n42\n{ROOT64}\n"
    cp = Checkpoint(ORIGIN, 0, ROOT, ("ext one", "ext—two"))
    assert cp.body() == f"{ORIGIN}\n0\n{ROOT64}\next one\next—two\n"


def test_spec_example_parses() -> None:
    cp = parse_checkpoint(SPEC_BODY)
    assert cp.origin == "example.com/behind-the-sofa"
    assert cp.size == 20852163
    assert cp.root == base64.b64decode("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=")
    assert cp.extensions == ()
    assert cp.body() == SPEC_BODY
    # Its signature is by a key we do not know: ignored, so nothing verifies.
    with pytest.raises(NoteError, match="no verifiable signatures"):
        open_checkpoint(SPEC_NOTE, LOG.verifier())


def test_sign_and_open() -> None:
    cp = Checkpoint(ORIGIN, 7, ROOT, ("x",))
    note = sign_checkpoint(cp, LOG)
    assert note.startswith(cp.body() + "\n— kakawari/ama-cho ")
    assert open_checkpoint(note, LOG.verifier()) == cp
    assert open_checkpoint(note, LOG.verifier(), ORIGIN) == cp
    assert open_note(note, [LOG.verifier()]) == (cp.body(), [LOG.verifier()])


def test_witness_signature_is_ignored() -> None:
    cp = Checkpoint(ORIGIN, 7, ROOT)
    note = sign_note(cp.body(), WITNESS, LOG)
    assert open_checkpoint(note, LOG.verifier()) == cp


def test_checkpoint_is_frozen_and_hashable() -> None:
    cp = Checkpoint(ORIGIN, 1, ROOT)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cp.size = 2  # type: ignore[misc]
    assert hash(cp) == hash(Checkpoint(ORIGIN, 1, ROOT))
    assert Checkpoint(ORIGIN, 1, ROOT, ["a"]).extensions == ("a",)  # type: ignore[arg-type]


# --- parsing table --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "size", "extensions"),
    [
        (f"o\n0\n{ROOT64}\n", 0, ()),
        (f"o\n1\n{ROOT64}\n", 1, ()),
        (f"o\n10\n{ROOT64}\n", 10, ()),
        (f"o\n{MAX_TREE_SIZE}\n{ROOT64}\n", MAX_TREE_SIZE, ()),
        (f"o\n5\n{ROOT64}\na\n b \n", 5, ("a", " b ")),
    ],
)
def test_parse_accepts(text: str, size: int, extensions: tuple[str, ...]) -> None:
    cp = parse_checkpoint(text)
    assert (cp.origin, cp.size, cp.root, cp.extensions) == ("o", size, ROOT, extensions)
    assert cp.body() == text


ROOT31 = base64.b64encode(ROOT[:31]).decode()
ROOT33 = base64.b64encode(ROOT + b"\x00").decode()
URLSAFE_ROOT = base64.urlsafe_b64encode(b"\xff" * 32).decode()
assert "_" in URLSAFE_ROOT


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        (f"o\n1\n{ROOT64}", "no final newline"),
        ("o\n1\n", "no root line"),
        (f"\n1\n{ROOT64}\n", "empty origin"),
        (f"o\n\n{ROOT64}\n", "empty size"),
        (f"o\n00\n{ROOT64}\n", "leading zeros (00)"),
        (f"o\n01\n{ROOT64}\n", "leading zero"),
        (f"o\n-1\n{ROOT64}\n", "negative"),
        (f"o\n-0\n{ROOT64}\n", "negative zero"),
        (f"o\n+1\n{ROOT64}\n", "plus sign"),
        (f"o\n 1\n{ROOT64}\n", "leading space"),
        (f"o\n1 \n{ROOT64}\n", "trailing space"),
        (f"o\n1_000\n{ROOT64}\n", "underscore"),
        (f"o\n0x10\n{ROOT64}\n", "hex"),
        (f"o\n1e3\n{ROOT64}\n", "exponent"),
        (f"o\n١\n{ROOT64}\n", "non-ASCII digit"),
        (f"o\n{MAX_TREE_SIZE + 1}\n{ROOT64}\n", "2^64"),
        (f"o\n{'9' * 21}\n{ROOT64}\n", "21 digits"),
        (f"o\n{'9' * 5000}\n{ROOT64}\n", "5000 digits"),
        (f"o\n1\n{ROOT31}\n", "31-byte root"),
        (f"o\n1\n{ROOT33}\n", "33-byte root"),
        ("o\n1\n\n", "empty root"),
        (f"o\n1\n{ROOT64.rstrip('=')}\n", "root without padding"),
        (f"o\n1\n{ROOT64}=\n", "root with excess padding"),
        (f"o\n1\n{URLSAFE_ROOT}\n", "URL-safe root"),
        (f"o\n1\n{ROOT64[:-2]}{chr(ord(ROOT64[-2]) + 1)}=\n", "non-zero pad bits"),
        (f"o\n1\n {ROOT64}\n", "space before root"),
        (f"o\n1\n{ROOT.hex()}\n", "hex root"),
        (f"o\n1\n{ROOT64}\n\n", "empty extension line"),
        (f"o\n1\n{ROOT64}\na\n\nb\n", "empty extension line in the middle"),
        (f"o\r\n1\r\n{ROOT64}\r\n", "CRLF"),
        (f"o\n1\r\n{ROOT64}\n", "CR in size line"),
        (f"o\n1\n{ROOT64}\nx\r\n", "CR in extension"),
        (f"o\x00\n1\n{ROOT64}\n", "NUL in origin"),
        (f"\udcff\n1\n{ROOT64}\n", "lone surrogate origin"),
    ],
)
def test_parse_rejects(text: str, why: str) -> None:
    with pytest.raises(NoteError):
        parse_checkpoint(text)


@pytest.mark.parametrize("bad", [None, 1, b"o\n1\nAAAA\n", ["o", "1"], bytearray(b"x")])
def test_non_strings_rejected(bad: object) -> None:
    with pytest.raises(NoteError):
        parse_checkpoint(bad)  # type: ignore[arg-type]
    with pytest.raises(NoteError):
        open_checkpoint(bad, LOG.verifier())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"origin": ""},
        {"origin": "a\nb"},
        {"origin": "a\rb"},
        {"origin": "\udcff"},
        {"origin": 5},
        {"size": -1},
        {"size": MAX_TREE_SIZE + 1},
        {"size": True},
        {"size": 1.0},
        {"size": "1"},
        {"root": ROOT[:31]},
        {"root": ROOT + b"\x00"},
        {"root": bytearray(ROOT)},
        {"root": ROOT64},
        {"extensions": ("",)},
        {"extensions": ("a\nb",)},
        {"extensions": "ab"},
        {"extensions": (1,)},
    ],
)
def test_constructor_rejects(kwargs: dict[str, object]) -> None:
    fields: dict[str, object] = {"origin": ORIGIN, "size": 1, "root": ROOT, "extensions": ()}
    fields.update(kwargs)
    with pytest.raises(NoteError):
        Checkpoint(**fields)  # type: ignore[arg-type]


# --- origin binding ---------------------------------------------------------------------------


def test_sign_requires_key_name_equal_origin() -> None:
    with pytest.raises(NoteError, match="may not sign"):
        sign_checkpoint(Checkpoint("kakawari/other", 1, ROOT), LOG)
    with pytest.raises(NoteError):
        sign_checkpoint("not a checkpoint", LOG)  # type: ignore[arg-type]
    with pytest.raises(NoteError):
        sign_checkpoint(Checkpoint(ORIGIN, 1, ROOT), LOG.verifier())  # type: ignore[arg-type]


def test_open_rejects_origin_other_than_key_name() -> None:
    # A key named ORIGIN signing a checkpoint of another log (only possible by hand).
    note = sign_note(Checkpoint("kakawari/other", 1, ROOT).body(), LOG)
    assert open_note(note, [LOG.verifier()])[1] == [LOG.verifier()]
    with pytest.raises(NoteError, match="not the key name"):
        open_checkpoint(note, LOG.verifier())


def test_open_rejects_unexpected_origin() -> None:
    note = sign_checkpoint(Checkpoint(ORIGIN, 1, ROOT), LOG)
    with pytest.raises(NoteError, match="not the expected"):
        open_checkpoint(note, LOG.verifier(), "kakawari/other")
    with pytest.raises(NoteError):
        open_checkpoint(note, LOG.verifier(), 5)  # type: ignore[arg-type]


def test_open_rejects_wrong_key_and_bad_verifier() -> None:
    note = sign_checkpoint(Checkpoint(ORIGIN, 1, ROOT), LOG)
    other = Signer(ORIGIN, hashlib.sha256(b"another log key").digest())
    with pytest.raises(NoteError, match="no verifiable signatures"):
        open_checkpoint(note, other.verifier())
    with pytest.raises(NoteError):
        open_checkpoint(note, LOG)  # type: ignore[arg-type]
    with pytest.raises(NoteError):
        open_checkpoint(note, None)  # type: ignore[arg-type]


def test_open_rejects_signed_malformed_body() -> None:
    for body in [f"{ORIGIN}\n01\n{ROOT64}\n", f"{ORIGIN}\n1\n{ROOT31}\n", f"{ORIGIN}\n1\n"]:
        with pytest.raises(NoteError, match="malformed checkpoint"):
            open_checkpoint(sign_note(body, LOG), LOG.verifier())


# --- properties ----------------------------------------------------------------------------

origins = st.text(
    st.characters(exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp"), exclude_characters="+"),
    min_size=1,
    max_size=30,
).filter(is_valid_name)
extension_lines = st.text(
    st.characters(exclude_categories=["Cs"], min_codepoint=0x20), min_size=1, max_size=20
)
checkpoints = st.builds(
    Checkpoint,
    origin=origins,
    size=st.integers(0, MAX_TREE_SIZE),
    root=st.binary(min_size=32, max_size=32),
    extensions=st.lists(extension_lines, max_size=3).map(tuple),
)


@given(cp=checkpoints, seed=st.binary(min_size=32, max_size=32))
def test_round_trip(cp: Checkpoint, seed: bytes) -> None:
    signer = Signer(cp.origin, seed)
    assert parse_checkpoint(cp.body()) == cp
    note = sign_checkpoint(cp, signer)
    assert open_checkpoint(note, signer.verifier()) == cp
    assert open_checkpoint(note, signer.verifier(), cp.origin) == cp


def _sig_line(note: str) -> str:
    return note[note.rindex("\n\n") + 2 :]


@settings(max_examples=400)
@given(
    origin=origins,
    size=st.integers(0, MAX_TREE_SIZE),
    root=st.binary(min_size=32, max_size=32),
    witness_first=st.booleans(),
    data=st.data(),
)
def test_single_byte_mutations(
    origin: str, size: int, root: bytes, witness_first: bool, data: st.DataObject
) -> None:
    cp = Checkpoint(origin, size, root)
    log = Signer(origin, hashlib.sha256(origin.encode()).digest())
    verifier = log.verifier()
    log_line = _sig_line(log.sign(cp.body())).encode()
    witness_line = _sig_line(WITNESS.sign(cp.body())).encode()
    body = cp.body().encode() + b"\n"
    if witness_first:
        raw = body + witness_line + log_line
        start = len(body)
    else:
        raw = body + log_line + witness_line
        start = len(body) + len(log_line)
    end = start + len(witness_line) - 1  # the witness line's content, without its newline
    assert open_checkpoint(raw.decode(), verifier) == cp

    i = data.draw(st.integers(0, len(raw) - 1), label="index")
    value = data.draw(st.integers(0, 255).filter(lambda b: b != raw[i]), label="value")
    mutated = raw[:i] + bytes([value]) + raw[i + 1 :]
    as_str = mutated.decode("utf-8", "surrogateescape")

    try:
        got = open_checkpoint(as_str, verifier)
    except NoteError:
        with pytest.raises(NoteError):
            open_note(mutated, [verifier])
        return
    # Accepted: only an ignored (unknown-key) line may have changed.
    assert got == cp
    assert start <= i < end, (i, start, end)
    assert open_note(mutated, [verifier]) == (cp.body(), [verifier])


def test_mutating_the_witness_line_is_ignored() -> None:
    cp = Checkpoint(ORIGIN, 3, ROOT)
    note = sign_note(cp.body(), LOG, WITNESS)
    line = _sig_line(sign_note(cp.body(), WITNESS))
    changed = line.replace(line[-10:-2], "AAAAAAAA")
    assert changed != line
    assert open_checkpoint(note.replace(line, changed), LOG.verifier()) == cp
