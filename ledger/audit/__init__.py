"""Audit: self-contained export bundles, their offline verifier, and member receipts.

- :mod:`.bundle` — the bundle container (ZIP, version 1) and its manifest;
- :mod:`.export` — streaming a stored log into a bundle;
- :mod:`.verifier` — verifying a bundle in one streaming pass;
- :mod:`.authority` — who held which role at each point of the log;
- :mod:`.receipt` — a member's receipt: entries, inclusion proofs, checkpoint, anchor;
- :mod:`.chainview` — the chain reads the auditor needs (no web3 import here).

``docs/audit-bundle.md`` documents the formats. Nothing here imports ``service``: the
recomputation of points plugs in as an :class:`.verifier.EntryObserver`.
"""
