"""The example bundle and receipt checked in under tests/vectors/audit verify, with the
figures recorded beside them (regenerate with tests/vectors/audit/make_example.py)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from ledger.audit.receipt import verify_receipt
from service.audit.verify import audit_bundle
from service.cli import main

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "audit"
EXPECTED = json.loads((VECTORS / "example.json").read_text())


def test_the_example_bundle_verifies_with_the_recorded_figures() -> None:
    report = audit_bundle(VECTORS / "example.zip", vkey=EXPECTED["vkey"])
    assert (report.log.origin, report.log.size) == (EXPECTED["origin"], EXPECTED["size"])
    assert "0x" + report.log.root.hex() == EXPECTED["root"]
    p = report.points
    assert (p.members, p.points, p.claims, p.recognitions, p.details) == (
        EXPECTED["members"], EXPECTED["points"], EXPECTED["claims"], EXPECTED["recognitions"],
        EXPECTED["details"])
    assert len(p.views) == 4 and report.log.anchors == 1


def test_the_example_receipt_verifies() -> None:
    receipt = json.loads((VECTORS / "example-receipt.json").read_text())
    summary = verify_receipt(receipt, vkey=EXPECTED["vkey"])
    assert summary.claim == EXPECTED["receiptClaim"] and summary.size == EXPECTED["receiptSize"]


def test_the_command_verifies_the_example_without_a_database(tmp_path: Path) -> None:
    env = {"KAKAWARI_DATA_DIR": str(tmp_path / "nothing-here")}
    result = CliRunner().invoke(main, ["audit", "verify", str(VECTORS / "example.zip")],
                                env=env, catch_exceptions=False)
    assert result.exit_code == 0 and result.stdout.startswith("ok: ")
    assert not (tmp_path / "nothing-here").exists()
