#!/usr/bin/env python3
"""Gas cost of anchoring, beside one EAS attestation per contribution.

Measures, on the in-process py-evm chain (eth-tester's default fork) with the committed
contract artifacts:

- the gas of ``KakawariAnchor.anchor`` when the previously anchored tree has about
  2^10, 2^16 and 2^20 entries (at a power of two, where the consistency proof is
  shortest, and at 1.5 x that, where it is about the longest), 100 entries appended;
- the gas per contribution when one anchor covers 1, 100 or 10,000 new entries of a
  log of about a million entries, beside ~207,000 gas for one EAS attestation.

Leaves are random 32-byte leaf hashes; roots and proofs come from ``ledger.merkle``.
``measure()`` returns the figures; run this file to print them as a table
(``.venv/bin/python scripts/bench_chain.py``; ``--quick`` stops at 2^16).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
EAS_ATTESTATION_GAS = 207_000
PREVIOUS_SIZES = (2**10, 2**10 + 2**9 - 1, 2**16, 2**16 + 2**15 - 1, 2**20, 2**20 + 2**19 - 1)
BASE_FOR_COVER = 1_000_000
COVERS = (1, 100, 10_000)
APPENDED = 100


def measure(
    previous_sizes: tuple[int, ...] = PREVIOUS_SIZES,
    covers: tuple[int, ...] = COVERS,
    base_for_cover: int = BASE_FOR_COVER,
) -> dict[str, Any]:
    """Deploy the anchor on a fresh py-evm chain, anchor synthetic logs, return gas used.

    Every figure is a transaction's ``gasUsed``, the 21,000 intrinsic gas included.
    """
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from ledger import merkle
    from ledger.chain import Web3ChainClient, dev_chain, log_id_for

    dev = dev_chain(accounts=1)
    client = Web3ChainClient(dev.w3, dev.private_key)
    client.deploy_contracts()
    largest = max([s + APPENDED for s in previous_sizes] + [base_for_cover + max(covers)])
    blob = os.urandom(32 * largest)
    leaves = [blob[i : i + 32] for i in range(0, len(blob), 32)]
    counter = iter(range(10**6))

    def anchor_pair(old: int, new: int) -> dict[str, int]:
        log_id = log_id_for(f"kakawari/bench-{next(counter)}")
        client.register_log(log_id, client.address)
        first = client.anchor(log_id, old, merkle.root_hash(leaves[:old]), [])
        proof = merkle.consistency_proof(old, leaves[:new])
        second = client.anchor(log_id, new, merkle.root_hash(leaves[:new]), proof)
        return {
            "previous_size": old,
            "new_size": new,
            "proof_length": len(proof),
            "first_anchor_gas": first.gas_used,
            "gas": second.gas_used,
        }

    by_size = [anchor_pair(old, old + APPENDED) for old in previous_sizes]
    per_entry = []
    for n in covers:
        row = anchor_pair(base_for_cover, base_for_cover + n)
        per_entry.append(
            {
                "entries": n,
                "proof_length": row["proof_length"],
                "gas": row["gas"],
                "gas_per_entry": row["gas"] / n,
                "eas_gas_per_entry": EAS_ATTESTATION_GAS,
                "times_cheaper_than_eas": EAS_ATTESTATION_GAS * n / row["gas"],
            }
        )
    return {
        "chain": "py-evm (eth-tester default fork), solc 0.8.37, evmVersion cancun, runs 10000",
        "appended_per_anchor": APPENDED,
        "anchor_gas_by_previous_size": by_size,
        "base_for_cover": base_for_cover,
        "gas_per_contribution": per_entry,
        "eas_attestation_gas": EAS_ATTESTATION_GAS,
    }


def print_table(figures: dict[str, Any]) -> None:
    print(f"# anchor gas ({figures['chain']})")
    print(f"\n## anchor after a previous anchor, {figures['appended_per_anchor']} entries appended")
    print(f"{'previous size':>14} {'new size':>10} {'proof':>6} {'gas':>8}")
    for r in figures["anchor_gas_by_previous_size"]:
        print(
            f"{r['previous_size']:>14,} {r['new_size']:>10,} {r['proof_length']:>6} {r['gas']:>8,}"
        )
    first = figures["anchor_gas_by_previous_size"][0]["first_anchor_gas"]
    print(f"(a log's first anchor, no proof: {first:,} gas)")
    print(f"\n## gas per contribution, log of {figures['base_for_cover']:,} entries")
    head = ("entries", "proof", "anchor gas", "gas/entry", "EAS/entry", "x")
    print(" ".join(f"{h:>{w}}" for h, w in zip(head, (8, 6, 11, 10, 10, 8), strict=True)))
    for r in figures["gas_per_contribution"]:
        print(
            f"{r['entries']:>8,} {r['proof_length']:>6} {r['gas']:>11,} "
            f"{r['gas_per_entry']:>10,.1f} {r['eas_gas_per_entry']:>10,} "
            f"{r['times_cheaper_than_eas']:>8,.1f}"
        )


def main(argv: list[str]) -> int:
    started = time.monotonic()
    if "--quick" in argv:
        figures = measure(tuple(s for s in PREVIOUS_SIZES if s < 2**17), COVERS, 2**16 + 12_345)
    else:
        figures = measure()
    print_table(figures)
    print(f"\n({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
