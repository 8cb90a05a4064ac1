"""Witness policies, C2SP ``tlog-policy`` (https://c2sp.org/tlog-policy).

A policy file lists logs (``log <vkey> [<url>]``), witnesses (``witness <name> <vkey>
[<url>]``), groups (``group <name> all|any|<k> <member>...``) and exactly one
``quorum <name>`` (``none``: no cosignature needed). Names must be defined on an
earlier line; a member may appear once per group; duplicate log or witness keys are
refused. Lines are split on ASCII spaces and tabs only; ``#`` starts a comment line.
Only tab, newline and 0x20-0x7E / 0x80-0xFF octets are allowed; octets with the high
bit set are opaque (names compare as bytes).

Log keys are C2SP note vkeys (Ed25519, type 0x01); witness keys are cosigner vkeys
(``cosignature/v1``, type 0x04, :mod:`ledger.cosignature`).

Pure. Every malformed policy raises :class:`PolicyError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .cosignature import CosignerVerifier, cosigned_by, parse_cosigner_vkey
from .errors import LedgerError, NoteError
from .note import Verifier, parse_vkey

__all__ = ["Policy", "PolicyError", "parse_policy"]

_BAD_OCTET = re.compile(rb"[\x00-\x08\x0b-\x1f\x7f]")
_WS = re.compile(r"[ \t]+")
_K = re.compile(r"[1-9][0-9]*")


class PolicyError(LedgerError):
    """A policy file is malformed, or a checkpoint does not satisfy a policy."""


@dataclass(frozen=True)
class Group:
    name: str
    threshold: int
    members: tuple[str, ...]


@dataclass
class Policy:
    logs: list[tuple[Verifier, str | None]] = field(default_factory=list)
    witnesses: dict[str, tuple[CosignerVerifier, str | None]] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    quorum: str = "none"

    def satisfied(self, witnessed: set[str], name: str | None = None) -> bool:
        """Whether ``name`` (default: the quorum) is witnessed given the witnesses that
        cosigned."""
        name = self.quorum if name is None else name
        if name == "none":
            return True
        if name in self.witnesses:
            return name in witnessed
        group = self.groups[name]
        hits = sum(1 for m in group.members if self.satisfied(witnessed, m))
        return hits >= group.threshold

    def witnessed_by(self, note: str) -> set[str]:
        """Names of the policy's witnesses with a valid cosignature on ``note``.

        A cosignature line of a listed key that does not verify raises PolicyError.
        """
        by_key = {v: n for n, (v, _) in self.witnesses.items()}
        try:
            found = cosigned_by(note, by_key)
        except NoteError as exc:
            raise PolicyError(str(exc)) from None
        return {by_key[v] for v in found}

    def check(self, note: str) -> set[str]:
        """The witnesses that cosigned ``note``; PolicyError unless they make the quorum."""
        witnessed = self.witnessed_by(note)
        if not self.satisfied(witnessed):
            have = ", ".join(sorted(witnessed)) or "none"
            raise PolicyError(f"the checkpoint lacks the policy's quorum {self.quorum!r} "
                              f"(cosigned by: {have})")
        return witnessed


def parse_policy(data: bytes) -> Policy:
    """Parse a policy file (bytes, as read); PolicyError with the line number."""
    if not isinstance(data, bytes):
        raise PolicyError("a policy file is bytes")
    bad = _BAD_OCTET.search(data)
    if bad is not None:
        raise PolicyError(f"control character 0x{bad.group()[0]:02x} in the policy file")
    text = data.decode("utf-8", errors="surrogateescape")
    policy = Policy()
    quorum_seen = False
    keys: set[bytes] = set()
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.strip(" \t")
        if not line or line.startswith("#"):
            continue
        words = _WS.split(line)
        try:
            quorum_seen = _line(policy, words, keys, quorum_seen)
        except (PolicyError, NoteError) as exc:
            raise PolicyError(f"policy line {number}: {exc}") from None
    if not quorum_seen:
        raise PolicyError("the policy has no quorum line")
    return policy


def _defined(policy: Policy, name: str) -> bool:
    return name in policy.witnesses or name in policy.groups


def _line(policy: Policy, words: list[str], keys: set[bytes], quorum_seen: bool) -> bool:
    kind, args = words[0], words[1:]
    if kind == "log" and len(args) in (1, 2):
        verifier = parse_vkey(args[0])
        if verifier.public_key in keys:
            raise PolicyError("duplicate log key")
        keys.add(verifier.public_key)
        policy.logs.append((verifier, args[1] if len(args) == 2 else None))
    elif kind == "witness" and len(args) in (2, 3):
        name = args[0]
        if name == "none" or _defined(policy, name):
            raise PolicyError(f"name {name!r} is already defined")
        cosigner = parse_cosigner_vkey(args[1])
        if cosigner.public_key in keys:
            raise PolicyError("duplicate witness key")
        keys.add(cosigner.public_key)
        policy.witnesses[name] = (cosigner, args[2] if len(args) == 3 else None)
    elif kind == "group" and len(args) >= 3:
        name, k, members = args[0], args[1], args[2:]
        if name == "none" or _defined(policy, name):
            raise PolicyError(f"name {name!r} is already defined")
        if len(set(members)) != len(members):
            raise PolicyError("a member is listed twice")
        for m in members:
            if m == "none" or not _defined(policy, m):
                raise PolicyError(f"group member {m!r} is not defined on an earlier line")
        n = len(members)
        if k == "all":
            threshold = n
        elif k == "any":
            threshold = 1
        elif _K.fullmatch(k) and int(k) <= n:
            threshold = int(k)
        else:
            raise PolicyError(f"group threshold must be all, any or 1..{n}, not {k!r}")
        policy.groups[name] = Group(name, threshold, tuple(members))
    elif kind == "quorum" and len(args) == 1:
        if quorum_seen:
            raise PolicyError("more than one quorum line")
        if args[0] != "none" and not _defined(policy, args[0]):
            raise PolicyError(f"quorum {args[0]!r} is not defined on an earlier line")
        policy.quorum = args[0]
        return True
    else:
        raise PolicyError(f"unknown or malformed line starting {kind!r}")
    return quorum_seen
