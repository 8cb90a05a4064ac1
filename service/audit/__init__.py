"""Audit on the service side: export bundles with private details and spreadsheet
views, recompute every point when verifying, and build receipts (see ledger.audit for
the part that needs only entries)."""
