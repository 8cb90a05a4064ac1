"""ledger.merkle against the transparency-dev/merkle known-answer vectors.

The vectors (tests/vectors/rfc6962, Apache-2.0) come from one 8-leaf tree whose leaf
inputs and roots for sizes 0..8 are listed in their README. Every ``happy-path.json``
must verify and be regenerated exactly; every other file must raise ProofError.
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest

from ledger import merkle
from ledger.errors import ProofError

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "rfc6962"
INCLUSION = sorted((VECTORS / "inclusion").glob("*/*.json"))
CONSISTENCY = sorted((VECTORS / "consistency").glob("*/*.json"))


def _readme_tree() -> tuple[list[bytes], list[bytes]]:
    """Leaf inputs and the roots of sizes 0..8, as listed in the vectors' README."""
    text = (VECTORS / "README.md").read_text()
    inputs_line = text.split("Leaf inputs of the tree they come from (hex):", 1)[1]
    inputs_line = inputs_line.split("Roots of that tree", 1)[0]
    inputs = [bytes.fromhex(h) for h in re.findall(r'`"?([0-9a-f]*)"?`', inputs_line)]
    roots = [
        bytes.fromhex(h)
        for _, h in sorted(
            (int(n), h) for n, h in re.findall(r"^\s+(\d) ([0-9a-f]{64})$", text, re.MULTILINE)
        )
    ]
    return inputs, roots


LEAF_INPUTS, README_ROOTS = _readme_tree()
LEAVES = [merkle.leaf_hash(d) for d in LEAF_INPUTS]


def _load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _b64(value: str) -> bytes:
    return base64.b64decode(value, validate=True)


def _proof(data: dict[str, Any]) -> list[bytes]:
    return [_b64(p) for p in data["proof"] or []]


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


def test_vectors_present() -> None:
    assert len(INCLUSION) >= 60
    assert len(CONSISTENCY) >= 80
    assert len([p for p in INCLUSION + CONSISTENCY if p.stem == "happy-path"]) == 10


def test_readme_tree() -> None:
    assert LEAF_INPUTS[0] == b""
    assert LEAF_INPUTS[-1] == bytes(range(0x60, 0x70))
    assert len(LEAF_INPUTS) == 8
    assert len(README_ROOTS) == 9


@pytest.mark.parametrize("size", range(9))
def test_root_hash_matches_readme(size: int) -> None:
    assert merkle.root_hash(LEAVES[:size]) == README_ROOTS[size]


def test_empty_root_is_sha256_of_nothing() -> None:
    assert merkle.root_hash([]).hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )


@pytest.mark.parametrize("path", INCLUSION, ids=_id)
def test_inclusion_vector(path: Path) -> None:
    v = _load(path)
    args = (_b64(v["leafHash"]), v["leafIdx"], v["treeSize"], _proof(v), _b64(v["root"]))
    if v["wantErr"]:
        with pytest.raises(ProofError):
            merkle.verify_inclusion(*args)
    else:
        merkle.verify_inclusion(*args)


@pytest.mark.parametrize("path", CONSISTENCY, ids=_id)
def test_consistency_vector(path: Path) -> None:
    v = _load(path)
    args = (v["size1"], v["size2"], _b64(v["root1"]), _b64(v["root2"]), _proof(v))
    if v["wantErr"]:
        with pytest.raises(ProofError):
            merkle.verify_consistency(*args)
    else:
        merkle.verify_consistency(*args)


@pytest.mark.parametrize("path", [p for p in INCLUSION if p.stem == "happy-path"], ids=_id)
def test_inclusion_proof_regenerates_vector(path: Path) -> None:
    v = _load(path)
    leaves = LEAVES[: v["treeSize"]]
    assert leaves[v["leafIdx"]] == _b64(v["leafHash"])
    assert merkle.root_hash(leaves) == _b64(v["root"])
    assert merkle.inclusion_proof(v["leafIdx"], leaves) == _proof(v)


@pytest.mark.parametrize("path", [p for p in CONSISTENCY if p.stem == "happy-path"], ids=_id)
def test_consistency_proof_regenerates_vector(path: Path) -> None:
    v = _load(path)
    assert merkle.root_hash(LEAVES[: v["size1"]]) == _b64(v["root1"])
    assert merkle.root_hash(LEAVES[: v["size2"]]) == _b64(v["root2"])
    assert merkle.consistency_proof(v["size1"], LEAVES[: v["size2"]]) == _proof(v)
