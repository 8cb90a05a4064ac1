"""Recognition that travels (issue 16): what showing a member's record in a partner region
costs. Two partner regions on one SQLite database in this process, each witnessing the
other; a member of the first with ``--claims`` recognised activities consents in both.

Measures (median of ``--runs``): appending her ``RecordLink`` with the service's
``RecordSummary`` (the recount of her record), building her record receipt, and the
partner verifying it (``accept_record``: receipt proofs, the partner's own cosignature,
both consents, the summary); the receipt's size; and the strict audit replay of the
whole first log with and without the summaries.

    python scripts/bench_travel.py [--claims 200] [--runs 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert

from ledger.cosignature import format_cosigner_vkey, signature_lines
from ledger.entry import Entry, origin_for
from ledger.witness import format_request
from service.audit.replay import Replay
from service.domain import tables as t
from service.travel import accept_record, record_receipt
from service.witness import Witness, trust_log
from tests.integration.service_fixtures import Person, database, world


def _cosign(w: Any, log: str, witness: str) -> None:
    engine = w.regions.store.engine
    origin = origin_for(log)
    trust_log(engine, witness, w.regions.store.log_info(origin).vkey, 0)
    cp = w.regions.store.latest_checkpoint(origin)
    state = Witness(w.regions, engine).state(origin)
    old = 0 if state is None else state.size
    proof = w.regions.store.consistency_proof(origin, old, cp.size) if old else []
    (line,) = signature_lines(Witness(w.regions, engine).add_checkpoint(
        format_request(old, proof, cp.note)))
    with engine.begin() as conn:
        conn.execute(insert(t.cosignatures).values(region=log, witness=f"kakawari/{witness}"
                                                   "/witness", size=cp.size, line=line,
                                                   timestamp=0))


def _ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 2)


def _replay(w: Any) -> float:
    start = time.perf_counter()
    with Replay("ama", strict=True) as replay:
        for _, data in w.regions.store.iter_entries(origin_for("ama")):
            replay.add(Entry.from_bytes(data))
        replay.end()
        assert replay.problem is None
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--claims", type=int, default=200)
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp, database("sqlite", Path(tmp)) as url, \
            world(Path(tmp), url) as w:
        taba_admin = Person("tabayama")
        w.regions.create("tabayama", "丹波山村", taba_admin.address)
        for region, admin, other, name in (("ama", w.admin, "tabayama", "丹波山村"),
                                           ("tabayama", taba_admin, "ama", "海士町")):
            w.domain.submit(region, [admin.sign(
                "Partnership", partner=origin_for(other), partnerName=name,
                logKey=w.regions.store.log_info(origin_for(other)).vkey,
                witnessKey=format_cosigner_vkey(w.regions.witness_cosigner(other).verifier),
                url=f"http://127.0.0.1/logs/{other}")])
        hanako, vera, in_taba = w.person(), w.person(), Person("tabayama")
        d = w.domain
        d.submit("ama", [hanako.sign("Join", displayName="山田 花子"),
                         vera.sign("Join", displayName="Vera")])
        d.submit("ama", [w.admin.sign("Role", member=vera.address, role="verifier",
                                      granted=True)])
        for i in range(args.claims):
            claim = hanako.sign("Claim", category="cleanup", title=f"清掃 {i}", minutes=60,
                                occurredAt=w.regions.clock() - 86400 * (i % 300),
                                quest="0x" + "00" * 32, coContributors=[],
                                detailsHash="0x" + "00" * 32)
            d.submit("ama", [claim])
            d.submit("ama", [vera.sign("Review", claim=w.admin.claim_id(claim), approve=True,
                                       reason="ok")])
        d.submit("tabayama", [in_taba.sign("Join", displayName="山田 花子")])
        d.submit("tabayama", [in_taba.sign("RecordLink", partner="kakawari/ama",
                                           partnerMember=hanako.address, shown=True)])
        replay_before = _replay(w)
        link, build, verify = [], [], []
        size = 0
        for _ in range(args.runs):
            signed = hanako.sign("RecordLink", partner="kakawari/tabayama",
                                 partnerMember=in_taba.address, shown=True)
            start = time.perf_counter()
            d.submit("ama", [signed])
            link.append(time.perf_counter() - start)
            _cosign(w, "ama", "tabayama")
            with w.regions.store.engine.connect() as conn:  # type: ignore[attr-defined]
                start = time.perf_counter()
                receipt = record_receipt(w.regions.store, conn, "ama", hanako.address,
                                         "kakawari/tabayama", "海士町")
                build.append(time.perf_counter() - start)
            size = len(json.dumps(receipt, ensure_ascii=False).encode())
            start = time.perf_counter()
            shown = accept_record(w.regions, w.regions.store.engine,  # type: ignore[attr-defined]
                                  "tabayama",
                                  in_taba.address, "kakawari/ama", receipt, w.regions.clock())
            verify.append(time.perf_counter() - start)
        assert shown["recognised"] == args.claims
        replay_after = _replay(w)
        entries = w.regions.store.log_info(origin_for("ama")).size
        print(json.dumps({
            "recognisedClaims": args.claims, "runs": args.runs, "amaEntries": entries,
            "recordLinkWithSummaryMs": _ms(link), "buildRecordReceiptMs": _ms(build),
            "verifyAndShowMs": _ms(verify), "receiptBytes": size,
            "strictReplaySeconds": {"without": round(replay_before, 3),
                                    f"with{args.runs}Summaries": round(replay_after, 3)},
        }, indent=2))


if __name__ == "__main__":
    main()
