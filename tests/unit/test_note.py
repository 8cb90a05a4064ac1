"""C2SP signed-note with Ed25519: known answers from Go's sumdb/note, keys, strict parsing.

The PeterNeumann and EnochRoot values are copied from golang.org/x/mod/sumdb/note
(note.go package documentation and note_test.go).
"""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import LedgerError, NoteError
from ledger.note import (
    MAX_SIGNATURES,
    Signer,
    Verifier,
    compute_key_id,
    format_skey,
    format_vkey,
    is_valid_name,
    new_signer_keys,
    open_note,
    parse_skey,
    parse_vkey,
    sign_note,
)

# --- golang.org/x/mod/sumdb/note known answers -----------------------------------------

PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
ENOCH_VKEY = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"  # noqa: E501
PETER_SIG = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"  # noqa: E501
ENOCH_SIG = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"  # noqa: E501
WANT = """If you think cryptography is the answer to your problem,
then you don't know what your problem is.

— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=
"""  # noqa: E501

# Two keys whose IDs collide under one name (found by a birthday search over
# SHA-256(b"seed%d") seeds): the same (name, key ID) with different public keys.
COLLIDE_NAME = "collide.example/key"
COLLIDE_SEEDS = (hashlib.sha256(b"seed52010").digest(), hashlib.sha256(b"seed104764").digest())


@pytest.fixture(scope="module")
def peter() -> Verifier:
    return parse_vkey(PETER_VKEY)


@pytest.fixture(scope="module")
def enoch() -> Verifier:
    return parse_vkey(ENOCH_VKEY)


def test_error_is_a_ledger_error() -> None:
    assert issubclass(NoteError, LedgerError)


def test_peter_neumann_sign_byte_for_byte() -> None:
    signer = parse_skey(PETER_SKEY)
    assert signer.name == "PeterNeumann"
    assert signer.key_id == bytes.fromhex("c74f20a3")
    note = sign_note(TEXT, signer)
    assert note == WANT
    assert note.encode("utf-8") == WANT.encode("utf-8")
    assert signer.sign(TEXT) == WANT
    assert WANT == TEXT + "\n" + PETER_SIG


def test_peter_neumann_open(peter: Verifier) -> None:
    text, verified = open_note(WANT, [peter])
    assert text == TEXT
    assert verified == [peter]
    text, verified = open_note(WANT.encode("utf-8"), [peter])
    assert (text, verified) == (TEXT, [peter])


def test_go_doubly_signed_example(peter: Verifier, enoch: Verifier) -> None:
    note = TEXT + "\n" + PETER_SIG + ENOCH_SIG
    assert open_note(note, [peter]) == (TEXT, [peter])
    assert open_note(note, [enoch]) == (TEXT, [enoch])
    assert open_note(note, [enoch, peter]) == (TEXT, [peter, enoch])
    with pytest.raises(NoteError, match="no verifiable signatures"):
        open_note(note, [])


# --- keys --------------------------------------------------------------------------------


def test_key_id_formula() -> None:
    v = parse_vkey(PETER_VKEY)
    expected = hashlib.sha256(b"PeterNeumann\n\x01" + v.public_key).digest()[:4]
    assert compute_key_id("PeterNeumann", v.public_key) == expected == bytes.fromhex("c74f20a3")


def test_vkey_skey_round_trip(peter: Verifier) -> None:
    assert format_vkey(peter) == PETER_VKEY
    signer = parse_skey(PETER_SKEY)
    assert format_skey(signer) == PETER_SKEY
    assert signer.verifier() == peter
    assert Verifier.from_public_key("PeterNeumann", peter.public_key) == peter
    assert parse_vkey(format_vkey(peter)) == peter


def test_go_accepts_uppercase_hex_key_id(peter: Verifier) -> None:
    assert parse_vkey(PETER_VKEY.replace("c74f20a3", "C74F20A3")) == peter
    assert parse_skey(PETER_SKEY.replace("c74f20a3", "C74F20A3")).key_id == peter.key_id


def test_new_signer_keys_round_trip() -> None:
    skey, vkey = new_signer_keys("kakawari/ama")
    signer, verifier = parse_skey(skey), parse_vkey(vkey)
    assert signer.verifier() == verifier
    assert format_skey(signer) == skey and format_vkey(verifier) == vkey
    assert open_note(signer.sign("hello\n"), [verifier]) == ("hello\n", [verifier])
    assert new_signer_keys("kakawari/ama") != (skey, vkey)


def test_new_signer_keys_with_seed_is_deterministic() -> None:
    seed = bytes(range(32))
    assert new_signer_keys("a/b", seed) == new_signer_keys("a/b", seed)
    skey, _ = new_signer_keys("a/b", seed)
    assert parse_skey(skey).seed == seed


@pytest.mark.parametrize("vkey", [PETER_VKEY, ENOCH_VKEY])
def test_go_vkey_manglings_rejected(vkey: str) -> None:
    # As Go's TestNewVerifier: every proper substring and every one-byte increment fails.
    for i in range(len(vkey) + 1):
        for j in range(i + 1, len(vkey) + 1):
            if (i, j) != (0, len(vkey)):
                with pytest.raises(NoteError):
                    parse_vkey(vkey[i:j])
    for i in range(len(vkey)):
        with pytest.raises(NoteError):
            parse_vkey(vkey[:i] + chr(ord(vkey[i]) + 1) + vkey[i + 1 :])


def test_go_skey_manglings_rejected() -> None:
    skey = PETER_SKEY
    for i in range(len(skey) + 1):
        for j in range(i + 1, len(skey) + 1):
            if (i, j) != (0, len(skey)):
                with pytest.raises(NoteError):
                    parse_skey(skey[i:j])
    for i in range(len(skey)):
        with pytest.raises(NoteError):
            parse_skey(skey[:i] + chr(ord(skey[i]) + 1) + skey[i + 1 :])


@pytest.mark.parametrize(
    "vkey",
    [
        # From Go's TestNewVerifier: wrong key length and unknown algorithm, each with
        # the key ID recomputed so only the key itself is wrong.
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        # Key ID that does not match the key.
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeuman+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        # Syntax.
        "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+0xc74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW=",
        " PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3",
        "",
    ],
)
def test_bad_vkeys(vkey: str) -> None:
    with pytest.raises(NoteError):
        parse_vkey(vkey)


def test_skey_key_id_mismatch() -> None:
    with pytest.raises(NoteError, match="does not match"):
        parse_skey(PETER_SKEY.replace("c74f20a3", "c74f20a4"))
    with pytest.raises(NoteError):
        parse_skey(PETER_SKEY.replace("PRIVATE+KEY+", "PRIVATE+KEY+X"))
    with pytest.raises(NoteError):
        parse_skey(PETER_SKEY.removeprefix("PRIVATE+KEY+"))
    with pytest.raises(NoteError):
        parse_skey(PETER_VKEY)


def test_verifier_key_id_must_match(peter: Verifier) -> None:
    with pytest.raises(NoteError, match="does not match"):
        Verifier(peter.name, bytes.fromhex("c74f20a4"), peter.public_key)
    with pytest.raises(NoteError):
        Verifier("EnochRoot", peter.key_id, peter.public_key)
    with pytest.raises(NoteError):
        Verifier(peter.name, peter.key_id[:3], peter.public_key)
    with pytest.raises(NoteError):
        Verifier(peter.name, peter.key_id, peter.public_key[:31])


@pytest.mark.parametrize("bad", [None, 5, b"bytes", ["list"]])
def test_key_parsers_reject_non_strings(bad: object) -> None:
    with pytest.raises(NoteError):
        parse_vkey(bad)  # type: ignore[arg-type]
    with pytest.raises(NoteError):
        parse_skey(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "name",
    [
        "",
        "a b",
        "a+b",
        "a\tb",
        "a\nb",
        "a\xa0b",
        "a\u3000b",
        "a\u2028b",
        "a\x85b",
        "\udcff",
        "a\x01b",
    ],
)
def test_invalid_key_names(name: str) -> None:
    assert not is_valid_name(name)
    with pytest.raises(NoteError):
        Signer(name, bytes(32))
    with pytest.raises(NoteError):
        new_signer_keys(name)


@pytest.mark.parametrize("name", ["a", "kakawari/ama-cho", "例え.jp/ログ", "a\x7fb", "a\u200bb"])
def test_valid_key_names(name: str) -> None:
    assert is_valid_name(name)
    skey, vkey = new_signer_keys(name)
    assert parse_skey(skey).name == name == parse_vkey(vkey).name


def test_white_space_matches_unicode_white_space() -> None:
    # Go's unicode.IsSpace is the White_Space property; Python's str.isspace differs only
    # by U+001C..U+001F, which are control characters (rejected anyway).
    for cp in range(0x110000):
        ch = chr(cp)
        expected_invalid = ch.isspace() or cp < 0x20 or ch == "+" or 0xD800 <= cp < 0xE000
        assert is_valid_name("x" + ch) is not expected_invalid, hex(cp)


def test_signer_hides_its_seed() -> None:
    signer = parse_skey(PETER_SKEY)
    assert "AYEK" not in repr(signer)
    assert signer.seed.hex() not in repr(signer)


def test_verifier_verify(peter: Verifier) -> None:
    signer = parse_skey(PETER_SKEY)
    sig = signer.signature(b"hi")
    assert peter.verify(b"hi", sig)
    assert not peter.verify(b"hj", sig)
    assert not peter.verify(b"hi", bytes([sig[0] ^ 1]) + sig[1:])
    assert not peter.verify(b"hi", sig[:63])
    assert not peter.verify(b"hi", sig + b"\x00")
    assert not peter.verify("hi", sig)  # type: ignore[arg-type]


# --- signing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["", "abc", "abc\n\x01\n", "a\rb\n", "\udcff\n", "tab\there\n", "crlf\r\n"],
)
def test_sign_rejects_bad_text(text: str) -> None:
    with pytest.raises(NoteError):
        sign_note(text, parse_skey(PETER_SKEY))


def test_sign_rejects_bad_signer_lists() -> None:
    signer = parse_skey(PETER_SKEY)
    with pytest.raises(NoteError):
        sign_note(TEXT)
    with pytest.raises(NoteError, match="twice"):
        sign_note(TEXT, signer, signer)
    with pytest.raises(NoteError):
        sign_note(TEXT, "not a signer")  # type: ignore[arg-type]
    with pytest.raises(NoteError):
        sign_note(b"bytes\n", signer)  # type: ignore[arg-type]
    many = [Signer(f"k{i}", hashlib.sha256(b"%d" % i).digest()) for i in range(MAX_SIGNATURES + 1)]
    with pytest.raises(NoteError):
        sign_note(TEXT, *many)
    note = sign_note(TEXT, *many[:MAX_SIGNATURES])
    assert open_note(note, [many[7].verifier()]) == (TEXT, [many[7].verifier()])


def test_text_may_hold_blank_lines_and_del() -> None:
    signer = parse_skey(PETER_SKEY)
    for text in ["\n", "a\n\nb\n", "a\n\n", "a\n\n\n", "\x7f\u2014 x\n", "日本語\n"]:
        assert open_note(sign_note(text, signer), [signer.verifier()])[0] == text


# --- opening: the table ----------------------------------------------------------------

UNKNOWN_SIG = "— witness.example/w1 AAAAAAAAAAAAAAAA\n"


def _b(s: str) -> bytes:
    return s.encode("utf-8")


# Byte-level splices, as Go indexes bytes (the em dash is three of them).
PETER_ABCD = (_b(PETER_SIG)[:60] + b"ABCD" + _b(PETER_SIG)[60:]).decode()
ENOCH_ABCD = (_b(ENOCH_SIG)[:60] + b"ABCD" + _b(ENOCH_SIG)[60:]).decode()


@pytest.mark.parametrize(
    ("note", "why"),
    [
        # Go's TestOpen badMsgs.
        (_b(TEXT), "no blank line and no signatures"),
        (_b(TEXT + "\n"), "no signatures"),
        (_b(TEXT + "\n" + PETER_SIG[:-1]), "signature line without newline"),
        (b"\x01" + _b(TEXT + "\n" + PETER_SIG), "control character"),
        (b"\xff" + _b(TEXT + "\n" + PETER_SIG), "not UTF-8"),
        (
            _b(
                TEXT
                + "\n— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="  # noqa: E501
            ),
            "Go's bad name, no final newline",
        ),
        (_b(TEXT + "\n— Bad Name " + PETER_SIG.split(" ")[2]), "space in name"),
        (_b(TEXT + "\n" + PETER_SIG + "Unexpected line.\n"), "line without em dash"),
        # Go's "invalid signature" case.
        (_b(TEXT + "\n" + PETER_ABCD), "bad signature by a known key"),
        # Separator.
        (_b(TEXT + PETER_SIG), "missing blank line"),
        (_b(TEXT + "\n\n" + PETER_SIG), "extra blank line (belongs to the text)"),
        (_b(TEXT + "\n\n\n" + PETER_SIG), "two extra blank lines"),
        (_b(TEXT + "\n" + PETER_SIG + "\n"), "trailing blank line"),
        (_b(TEXT[:-1] + "\n" + PETER_SIG), "text not ending in newline"),
        (_b(TEXT + "\n" + PETER_SIG.replace("\n", "\r\n")), "CRLF"),
        (_b(TEXT.replace("\n", "\r\n") + "\r\n" + PETER_SIG), "CRLF everywhere"),
        # Prefix.
        (_b(TEXT + "\n" + PETER_SIG.replace("— ", "-- ")), "ASCII dashes"),
        (_b(TEXT + "\n" + PETER_SIG.replace("— ", "– ")), "en dash"),
        (_b(TEXT + "\n" + PETER_SIG.replace("— ", "—")), "no space after dash"),
        (_b(TEXT + "\n" + PETER_SIG.replace("— ", "—\xa0")), "NBSP after dash"),
        (_b(TEXT + "\n" + PETER_SIG.replace("— ", " — ")), "leading space"),
        (_b(TEXT + "\n" + PETER_SIG.replace("— ", "—  ")), "empty name"),
        (_b(TEXT + "\n" + PETER_SIG.replace("Neumann ", "Neumann  ")), "two spaces"),
        (_b(TEXT + "\n" + PETER_SIG.replace("=\n", "= \n")), "trailing space"),
        (_b(TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "Peter+Neumann")), "plus in name"),
        (_b(TEXT + "\n— PeterNeumann\n"), "no signature"),
        (_b(TEXT + "\n— PeterNeumann \n"), "empty signature"),
        # Base64.
        (_b(TEXT + "\n" + PETER_SIG.replace("=\n", "\n")), "missing padding"),
        (_b(TEXT + "\n" + PETER_SIG.replace("=\n", "==\n")), "excess padding"),
        # Go's lax decoder would take these pad bits; canonical base64 is required here.
        (_b(TEXT + "\n" + PETER_SIG.replace("AM=\n", "AN=\n")), "non-zero pad bits"),
        (_b(TEXT + "\n" + PETER_SIG.replace("/", "_")), "URL-safe alphabet"),
        (_b(TEXT + "\n" + PETER_SIG.replace("x08go", "x08g*")), "not base64"),
        (_b(TEXT + "\n— PeterNeumann x08gow==\n"), "key ID only"),
        (_b(TEXT + "\n— PeterNeumann x08go/Y=\n"), "1-byte signature by a known key"),
        (_b(TEXT + "\n" + PETER_SIG[:50] + "==\n"), "truncated base64"),
        (_b(TEXT + "\n" + PETER_SIG[: 15 + 84] + "\n"), "signature truncated to 59 bytes"),
        (_b(TEXT + "\n— w AAAA\n" + PETER_SIG), "unknown signature shorter than 5 bytes"),
        # Count.
        (_b(TEXT + "\n" + PETER_SIG * (MAX_SIGNATURES + 1)), "101 signatures"),
        (_b(TEXT + "\n" + PETER_SIG + UNKNOWN_SIG * MAX_SIGNATURES), "101 lines"),
        # Not UTF-8 / control characters anywhere.
        (_b(TEXT) + b"\n" + _b(PETER_SIG)[:-2] + b"\xc0\xaf\n", "overlong UTF-8"),
        (b"\xed\xa0\x80" + _b(TEXT + "\n" + PETER_SIG), "encoded surrogate"),
        (_b("a\x00" + TEXT + "\n" + PETER_SIG), "NUL"),
        (_b(TEXT + "\n" + PETER_SIG.replace(" x08", "\tx08")), "tab separator"),
        # Verification.
        (_b(TEXT.replace("cryptography", "Cryptography") + "\n" + PETER_SIG), "altered text"),
        (_b(TEXT + "\n" + ENOCH_SIG), "only an unknown key signed"),
        (_b(TEXT + "\n" + PETER_SIG.replace("PeterNeumann", "PeterNeuman")), "name changed"),
        # Go skips a second line by an already verified key; the spec says every
        # signature by a known key MUST be verified, so it is, and this one fails.
        (_b(TEXT + "\n" + PETER_SIG + PETER_ABCD), "valid then invalid sig, same key"),
        (_b(TEXT + "\n" + PETER_ABCD + PETER_SIG), "invalid then valid sig, same key"),
    ],
)
def test_open_rejects(note: bytes, why: str, peter: Verifier) -> None:
    with pytest.raises(NoteError):
        open_note(note, [peter])
    try:
        as_str = note.decode("utf-8")
    except UnicodeDecodeError:
        as_str = note.decode("utf-8", "surrogateescape")
    with pytest.raises(NoteError):
        open_note(as_str, [peter])


def test_exactly_max_signatures_accepted(peter: Verifier) -> None:
    note = TEXT + "\n" + PETER_SIG * MAX_SIGNATURES
    assert open_note(note, [peter]) == (TEXT, [peter])
    note = TEXT + "\n" + PETER_SIG + UNKNOWN_SIG * (MAX_SIGNATURES - 1)
    assert open_note(note, [peter]) == (TEXT, [peter])


def test_unknown_keys_ignored(peter: Verifier) -> None:
    garbage = "— PeterNeumann AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"  # right name, other key ID
    other_id = "— PeterNeumann2 x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"  # noqa: E501
    for sigs in [
        UNKNOWN_SIG + PETER_SIG,
        PETER_SIG + UNKNOWN_SIG,
        garbage + PETER_SIG,
        other_id + PETER_SIG + ENOCH_ABCD,
        ENOCH_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG,
    ]:
        assert open_note(TEXT + "\n" + sigs, [peter]) == (TEXT, [peter])


def test_go_duplicated_signatures(peter: Verifier) -> None:
    # Go's TestOpen "Duplicated verified and unverified signatures".
    note = TEXT + "\n" + PETER_SIG + PETER_SIG + ENOCH_SIG + ENOCH_SIG + ENOCH_ABCD
    assert open_note(note, [peter]) == (TEXT, [peter])


def test_verified_list_in_signature_order(peter: Verifier, enoch: Verifier) -> None:
    note = TEXT + "\n" + ENOCH_SIG + PETER_SIG + ENOCH_SIG
    assert open_note(note, [peter, enoch]) == (TEXT, [enoch, peter])


def test_duplicated_identical_verifier_is_not_ambiguous(peter: Verifier) -> None:
    # Go reports "ambiguous key" when VerifierList holds one key twice; an identical key
    # is not ambiguous, so it is merged here.
    assert open_note(WANT, [peter, parse_vkey(PETER_VKEY), peter]) == (TEXT, [peter])


def test_colliding_key_ids_are_ambiguous(peter: Verifier) -> None:
    a, b = (Signer(COLLIDE_NAME, seed) for seed in COLLIDE_SEEDS)
    assert a.key_id == b.key_id and a.public_key != b.public_key
    note = sign_note(TEXT, a)
    assert open_note(note, [a.verifier()]) == (TEXT, [a.verifier()])
    with pytest.raises(NoteError, match="invalid signature"):
        open_note(note, [b.verifier()])
    with pytest.raises(NoteError, match="ambiguous"):
        open_note(note, [a.verifier(), b.verifier()])
    # Unused ambiguity does not matter (as in Go).
    assert open_note(WANT, [a.verifier(), b.verifier(), peter]) == (TEXT, [peter])


@pytest.mark.parametrize("bad", [None, 42, ["note"], bytearray(b"x\n\n")])
def test_open_rejects_non_notes(bad: object, peter: Verifier) -> None:
    with pytest.raises(NoteError):
        open_note(bad, [peter])  # type: ignore[arg-type]


def test_open_rejects_non_verifiers(peter: Verifier) -> None:
    with pytest.raises(NoteError):
        open_note(WANT, [PETER_VKEY])  # type: ignore[list-item]
    with pytest.raises(NoteError):
        open_note(WANT, PETER_VKEY)  # type: ignore[arg-type]
    with pytest.raises(NoteError):
        open_note(WANT, peter)  # type: ignore[arg-type]


def test_signer_is_read_only() -> None:
    signer = parse_skey(PETER_SKEY)
    with pytest.raises(AttributeError):
        signer.name = "EnochRoot"  # type: ignore[misc]


def test_surrogate_in_str_note(peter: Verifier) -> None:
    with pytest.raises(NoteError):
        open_note("\udcff" + WANT, [peter])


# --- properties ----------------------------------------------------------------------------

note_texts = st.lists(
    st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\n"), max_size=20).filter(
        lambda line: all(ch >= " " for ch in line)
    ),
    min_size=1,
    max_size=5,
).map(lambda lines: "".join(line + "\n" for line in lines))


@given(text=note_texts, seed=st.binary(min_size=32, max_size=32))
def test_sign_open_round_trip(text: str, seed: bytes) -> None:
    signer = Signer("kakawari/test", seed)
    note = sign_note(text, signer)
    assert open_note(note, [signer.verifier()]) == (text, [signer.verifier()])
    assert open_note(note.encode("utf-8"), [signer.verifier()])[0] == text
