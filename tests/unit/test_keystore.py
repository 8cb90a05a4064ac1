from __future__ import annotations

import copy

import pytest

from ledger.errors import KeyStoreError
from ledger.keystore import seal, unseal

N = 2**10  # fast parameters for tests; the default is 2**15


def test_round_trip() -> None:
    sealed = seal(b"\x01" * 32, b"correct horse", "kakawari/ama checkpoint", n=N)
    assert unseal(sealed, b"correct horse", "kakawari/ama checkpoint") == b"\x01" * 32
    assert "01" * 32 not in str(sealed)


def test_wrong_passphrase_label_or_tampering_is_refused() -> None:
    sealed = seal(b"secret", b"pw", "a", n=N)
    with pytest.raises(KeyStoreError, match="wrong passphrase"):
        unseal(sealed, b"other", "a")
    with pytest.raises(KeyStoreError, match="expected 'b'"):
        unseal(sealed, b"pw", "b")
    relabelled = dict(sealed, label="b")
    with pytest.raises(KeyStoreError):
        unseal(relabelled, b"pw", "b")  # label is bound as associated data
    weakened = copy.deepcopy(sealed)
    weakened["kdf"]["n"] = 2**11
    with pytest.raises(KeyStoreError):
        unseal(weakened, b"pw", "a")
    for bad in (None, [], {"kakawari-sealed": 2}, dict(sealed, nonce="!!")):
        with pytest.raises(KeyStoreError):
            unseal(bad, b"pw", "a")
    with pytest.raises(KeyStoreError, match="empty"):
        seal(b"x", b"", "a", n=N)
