"""Kakawari's verifiable log: canonical entries, EIP-712 typed data, RFC 9162 Merkle
proofs, signed checkpoints and the storage behind them.

The core modules (``canonical``, ``entry``, ``eip712``, ``merkle``, ``checkpoint``,
``verify``) are pure: they import no web framework, database or chain library and read
no clock or environment. Time, keys and limits are passed in.
"""
