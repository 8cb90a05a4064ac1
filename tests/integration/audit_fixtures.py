"""A seeded region with every kind of activity an audit must account for, and helpers
to export and verify its bundle."""

from __future__ import annotations

import hashlib
import json
import random
import time
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from ledger.audit.verifier import ANCHOR_FIELDS
from ledger.entry import origin_for
from service.audit.export import export_region
from service.cli import main
from service.cli.demo import seed
from service.domain.details import details_hash
from service.regions import Signed
from tests.integration.service_fixtures import ZERO32, Person, World

NOW_OFFSET = 3600


def export_to(w: World, path: Path, *, details: bool = True, now: int | None = None) -> Path:
    with path.open("wb") as f:
        for chunk in export_region(w.regions.store, w.region,
                                   now=now if now is not None else w.regions.clock(),
                                   details=w.domain.details if details else None):
            f.write(chunk)
    return path


def claim_fields(w: World, *, title: str = "海岸清掃", minutes: int = 60,
                 details: str = ZERO32, others: list[str] | None = None) -> dict[str, Any]:
    return {"category": "cleanup", "title": title, "minutes": minutes,
            "occurredAt": w.regions.clock() - 60, "quest": ZERO32,
            "coContributors": others or [], "detailsHash": details}


def claim_id(w: World, signed: Signed) -> str:
    return w.admin.claim_id(signed)


def with_details(w: World, who: Person, text: str) -> tuple[Signed, str]:
    """A claim by ``who`` with private details stored by the service."""
    salt = random.Random(text).randbytes(16)
    details = {"text": text}
    digest = details_hash(salt, details)
    assert w.domain.details is not None
    w.domain.details.put(w.region, digest, salt, details, owner=who.address)
    return who.sign("Claim", **claim_fields(w, title=text[:20], details=digest)), digest


def seeded(w: World, *, members: int = 20, claims: int = 80) -> dict[str, Any]:
    """Demo activity plus a published policy, an erasure, a revocation and a reinstatement,
    a quest, a profile, a role withdrawn, a member whose key the service held, a badge, and
    an anchor record of the tree at that point."""
    assert w.regions.keyring is not None
    w.regions.keyring.store(w.region, "admin", w.admin.key)
    seed(w.domain, w.region, members=members, claims=claims, rng=random.Random(7))
    admin, alice, vera = w.admin, w.person(), w.person()
    d = w.domain
    d.submit(w.region, [alice.sign("Join", displayName="田中 花"),
                        vera.sign("Join", displayName="Vera")])
    d.submit(w.region, [admin.sign("Role", member=vera.address, role="verifier", granted=True)])
    policy = {"categories": {"cleanup": {"base": 7, "perHour": 12},
                             "festival": {"base": 5, "perHour": 10}},
              "endorsementWeight": 2, "levels": [20, 100, 400]}
    d.submit(w.region, [admin.sign("Policy", version=1, policy=json.dumps(policy))])
    kept, kept_hash = with_details(w, alice, "住所: 海士町福井1-2-3、電話 090-0000-0000")
    gone, gone_hash = with_details(w, alice, "個人的なメモ（削除予定）")
    d.submit(w.region, [kept, gone])
    for claim in (kept, gone):
        d.submit(w.region, [vera.sign("Review", claim=claim_id(w, claim), approve=True,
                                      reason="確認しました")])
    d.submit(w.region, [alice.sign("Erasure", detailsHash=gone_hash, reason="APPI request")])
    d.submit(w.region, [admin.sign("Revocation", claim=claim_id(w, gone), reason="重複")])
    d.submit(w.region, [admin.sign("Reinstatement", claim=claim_id(w, gone), reason="誤り")])
    # a profile, a role granted and withdrawn, a walletless member whose key the service
    # held and handed over, and a badge for a recognition
    d.submit(w.region, [alice.sign("Profile", displayName="田中 花子", resident=True)])
    for granted in (True, False):
        d.submit(w.region, [admin.sign("Role", member=alice.address, role="auditor",
                                       granted=granted)])
    code_hash = "0x" + hashlib.sha256(b"invitation code").hexdigest()
    d.submit(w.region, [admin.sign("Invitation", codeHash=code_hash,
                                   expiresAt=int(time.time()) + 86400)])
    carol = w.person()
    for held in (True, False):
        d.service_append(w.region, "Custody", {"member": carol.address,
                                               "invitation": code_hash, "held": held},
                         then=[carol.sign("Join", displayName="かろる")] if held else [])
    d.service_append(w.region, "Badge", {
        "claim": claim_id(w, kept), "member": alice.address, "chainId": 31337,
        "contract": "0x" + "5b" * 20, "tokenId": 1, "leafHash": "0x" + "42" * 32})
    formula = alice.sign("Claim", **claim_fields(w, title="=1+1 浜の清掃", minutes=30))
    d.submit(w.region, [formula])
    joinable_quests_and_perks(w, admin, alice, vera)
    anchor = anchor_record(w)
    return {"admin": admin, "alice": alice, "vera": vera, "kept": claim_id(w, kept),
            "kept_hash": kept_hash, "gone": claim_id(w, gone), "gone_hash": gone_hash,
            "anchor": anchor}


def joinable_quests_and_perks(w: World, admin: Any, alice: Any, vera: Any) -> None:
    """Issue 14's types: a quest posted, one proposed and published, sign-ups (one
    cancelled), a check-in window, an edit and a closure; a perk listed and changed,
    redeemed twice, one redemption cancelled and one handed over."""
    from tests.integration.quest_fixtures import edit_fields, perk_fields, quest_fields

    d, now = w.domain, w.regions.clock()
    fields = quest_fields(w, contact=alice.address)
    [posted] = d.submit(w.region, [admin.sign("QuestPost", **fields)])
    [proposed] = d.submit(w.region, [alice.sign("QuestPost", **quest_fields(w, title="提案"))])
    d.submit(w.region, [vera.sign("QuestDecision", quest=proposed.id, publish=True, reason="")])
    for joined in (True, False, True):
        d.submit(w.region, [alice.sign("SignUp", quest=posted.id, joined=joined)])
    d.submit(w.region, [admin.sign("CheckInWindow", quest=posted.id, opensAt=now,
                                   closesAt=now + 600)])
    d.submit(w.region, [admin.sign("QuestEdit", quest=posted.id,
                                   **edit_fields(fields, place="=福井港"))])
    d.submit(w.region, [admin.sign("QuestClosure", quest=posted.id, reason="終了")])
    [perk] = d.submit(w.region, [admin.sign("Perk", **perk_fields(w, stock=2))])
    d.submit(w.region, [admin.sign("Perk", **perk_fields(w, perk=perk.id, stock=4)),
                        admin.sign("Perk", **perk_fields(w, title="島の夕食会", cost=30))])
    [one] = d.submit(w.region, [alice.sign("Redemption", perk=perk.id, cost=10)])
    [two] = d.submit(w.region, [alice.sign("Redemption", perk=perk.id, cost=10)])
    d.submit(w.region, [alice.sign("RedemptionStatus", redemption=one.id, status="cancelled",
                                   reason="")])
    d.submit(w.region, [admin.sign("RedemptionStatus", redemption=two.id,
                                   status="handed-over", reason="")])


def anchor_record(w: World, chain_id: int = 31337,
                  contract: str = "0x" + "5a" * 20) -> dict[str, Any]:
    """An Anchor entry of the current tree, as the anchoring command records one."""
    origin = origin_for(w.region)
    size = w.regions.store.log_info(origin).size
    fields = {"chainId": chain_id, "contract": contract, "txHash": "0x" + "77" * 32,
              "blockNumber": 12, "size": size,
              "root": "0x" + w.regions.store.root(origin, size).hex()}
    seq = w.domain.service_append(w.region, "Anchor", fields)[0].seq
    return {"seq": seq, **{k: fields[k] for k in ANCHOR_FIELDS}}


def cli_env(w: World) -> dict[str, str]:
    return {"KAKAWARI_DATA_DIR": str(w.settings.data_dir),
            "KAKAWARI_DATABASE_URL": str(w.settings.database_url),
            "KAKAWARI_PASSPHRASE": "test-pass", "KAKAWARI_SCRYPT_N": "1024"}


def run(env: dict[str, str], *args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result
