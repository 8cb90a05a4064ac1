"""Write the example audit bundle and receipt checked in next to this script.

    .venv/bin/python tests/vectors/audit/make_example.py

A small region with one of everything an audit accounts for: members (one a
co-contributor who confirms), a verifier granted by the admin, a published points
policy, claims with private details, an endorsement, approvals and a rejection, the
recognitions the service records, an erasure, a revocation and a reinstatement, a quest
and an anchor record. Keys are fresh on every run, so the files change when they are
regenerated; ``example.json`` records what the verifier must report for them.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))

from ledger.entry import origin_for  # noqa: E402
from service.audit.receipts import claim_receipt  # noqa: E402
from service.audit.verify import audit_bundle  # noqa: E402
from tests.integration.audit_fixtures import (  # noqa: E402
    anchor_record,
    claim_fields,
    claim_id,
    export_to,
    with_details,
)
from tests.integration.service_fixtures import ZERO32, database, world  # noqa: E402


def build(tmp: Path) -> dict[str, object]:
    with database("sqlite", tmp) as url, world(tmp, url, region="ama") as w:
        d, admin = w.domain, w.admin
        hana, ken, vera = w.person(), w.person(), w.person()
        d.submit(w.region, [admin.sign("Join", displayName="海士町 事務局"),
                            hana.sign("Join", displayName="山田 花子"),
                            ken.sign("Join", displayName="Ken Sato"),
                            vera.sign("Join", displayName="確認役 ヴェラ")])
        d.submit(w.region, [hana.sign("Profile", displayName="山田 花子", resident=False)])
        d.submit(w.region, [admin.sign("Role", member=vera.address, role="verifier",
                                       granted=True)])
        policy = {"categories": {"cleanup": {"base": 10, "perHour": 12},
                                 "festival": {"base": 5, "perHour": 10}},
                  "endorsementWeight": 2, "levels": [20, 60, 200]}
        d.submit(w.region, [admin.sign("Policy", version=1, policy=json.dumps(policy))])
        quest = admin.sign("Quest", title="海ごみ拾い（土曜）", category="cleanup", points=30,
                           opensAt=w.regions.clock() - 86400,
                           closesAt=w.regions.clock() + 86400, detailsHash=ZERO32)
        d.submit(w.region, [quest])
        beach, _ = with_details(w, hana, "明屋海岸で 12 袋、写真 3 枚")
        d.submit(w.region, [beach])
        together = hana.sign("Claim", **{**claim_fields(w, title="キンニャモニャ祭りの設営",
                                                          minutes=180, others=[ken.address]),
                                          "category": "festival"})
        d.submit(w.region, [together])
        d.submit(w.region, [ken.sign("Endorsement", claim=claim_id(w, beach), amount=3,
                                     note="いつもありがとう")])
        for claim in (beach, together):
            d.submit(w.region, [vera.sign("Review", claim=claim_id(w, claim), approve=True,
                                          reason="写真と参加記録を確認しました")])
        d.submit(w.region, [ken.sign("Confirmation", claim=claim_id(w, together))])
        private, private_hash = with_details(w, ken, "個人的なメモ")
        d.submit(w.region, [private])
        d.submit(w.region, [vera.sign("Review", claim=claim_id(w, private), approve=False,
                                      reason="記録が確認できませんでした")])
        d.submit(w.region, [ken.sign("Erasure", detailsHash=private_hash, reason="APPI")])
        d.submit(w.region, [admin.sign("Revocation", claim=claim_id(w, beach),
                                       reason="重複登録の疑い")])
        d.submit(w.region, [admin.sign("Reinstatement", claim=claim_id(w, beach),
                                       reason="重複ではありませんでした")])
        anchor_record(w)
        d.submit(w.region, [ken.sign("Profile", displayName="Ken Sato", resident=True)])
        bundle = export_to(w, HERE / "example.zip", now=w.regions.clock())
        with w.regions.store.engine.connect() as conn:  # type: ignore[attr-defined]
            receipt = claim_receipt(w.regions.store, conn, w.region, claim_id(w, together),
                                    ken.address, "海士町")
        (HERE / "example-receipt.json").write_text(
            json.dumps(receipt, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        info = w.regions.store.log_info(origin_for(w.region))
        report = audit_bundle(bundle)
        return {"origin": info.origin, "size": info.size, "root": "0x" + info.root.hex(),
                "vkey": info.vkey, "members": report.points.members,
                "points": report.points.points, "claims": report.points.claims,
                "recognitions": report.points.recognitions, "details": report.points.details,
                "receiptClaim": receipt["claim"], "receiptSize": receipt["size"]}


if __name__ == "__main__":
    random.seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        expected = build(Path(tmp))
    (HERE / "example.json").write_text(json.dumps(expected, ensure_ascii=False, indent=2) + "\n")
    print(json.dumps(expected, ensure_ascii=False, indent=2))
