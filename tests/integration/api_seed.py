"""A region with something of every kind in it, behind the app: for tests that walk the
whole API (the OpenAPI document's response schemas, schemathesis) and need the deep
paths to find real members, claims, quests, details, invitations, badges and anchors
instead of answering 404."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert

from ledger.chain_fake import FakeChainClient
from ledger.cosignature import Cosigner, format_cosigner_vkey
from ledger.note import new_signer_keys
from service.accounts import code_hash
from service.api.app import create_app
from service.domain import tables as t
from service.domain.details import details_hash
from tests.integration.service_fixtures import PHOTO, ZERO32, Person, World, database, world

PASSPHRASE = "うみ と やま と"


@dataclass
class Seeded:
    app: FastAPI
    client: TestClient
    w: World
    members: list[str] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)
    quests: list[str] = field(default_factory=list)
    perks: list[str] = field(default_factory=list)
    proposals: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    """Digests of stored private details (the first readable by ``tokens[0]``)."""
    tokens: list[str] = field(default_factory=list)
    """Bearer tokens: a contributor, the admin, a managed member, an auditor."""
    size: int = 0

    @property
    def region(self) -> str:
        return self.w.region


@contextmanager
def seeded_app(tmp_path: Path, kind: str = "sqlite") -> Iterator[Seeded]:
    """The app over a region where every projection has rows (see :func:`seed`)."""
    chain = FakeChainClient()
    deployment = chain.deploy_contracts()
    with database(kind, tmp_path) as url, world(tmp_path, url) as w:
        app = create_app(w.settings, w.regions, chain=(chain, deployment.badge))
        with TestClient(app) as client:
            s = Seeded(app, client, w)
            seed(s)
            yield s


def seed(s: Seeded) -> None:
    """Join, profiles, roles, a quest, claims in every status (with co-contributors,
    confirmations, endorsements credited and not, reviews), revocation and
    reinstatement, a published policy with decay, private details (one erased), an
    invitation redeemed and one not, a badge and an anchor."""
    w, svc = s.w, s.app.state.services
    now = int(time.time())
    admin = w.admin
    alice, bob, carol, vera, walt = (w.person() for _ in range(5))

    def submit(who: Person, type_: str, **fields: Any) -> str | None:
        receipts = svc.domain.submit(w.region, [who.sign(type_, **fields)])
        return receipts[0].id  # type: ignore[no-any-return]

    def stored(who: Person, details: dict[str, Any]) -> str:
        salt = secrets.token_bytes(16)
        digest = details_hash(salt, details)
        svc.domain.details.put(w.region, digest, salt, details, owner=who.address)
        s.details.append(digest)
        return digest

    for who, name in [(admin, "事務局"), (alice, "山田 花子"), (bob, "Bob"), (carol, "Carol"),
                      (vera, "Vera"), (walt, "Walt")]:
        submit(who, "Join", displayName=name)
        s.members.append(who.address)
    submit(alice, "Profile", displayName="山田 花子", resident=True)
    submit(alice, "Reading", reading="やまだ はなこ")
    submit(bob, "Profile", displayName="Bob", resident=False)
    for who, role in [(vera, "verifier"), (walt, "verifier"), (carol, "auditor")]:
        submit(admin, "Role", member=who.address, role=role, granted=True)
    quest = submit(admin, "Quest", title="海ごみ拾い", category="cleanup", points=30,
                   opensAt=now - 7 * 86400, closesAt=now + 30 * 86400, detailsHash=ZERO32)
    assert quest is not None
    s.quests.append(quest)

    def claim(who: Person, others: tuple[Person, ...] = (), **extra: Any) -> str:
        fields = {"category": "cleanup", "title": "Beach clean-up", "minutes": 90,
                  "occurredAt": now - 3600, "quest": ZERO32,
                  "coContributors": [o.address for o in others], "detailsHash": ZERO32,
                  **extra}
        ident = submit(who, "Claim", **fields)
        assert ident is not None
        s.claims.append(ident)
        return ident

    files = [{"name": "p.jpg", "type": "image/jpeg", "data": PHOTO}]
    approved = claim(alice, (bob, carol), quest=quest,
                     detailsHash=stored(alice, {"text": "連絡先", "files": files}))
    submit(bob, "Confirmation", coContributor=bob.address, claim=approved)
    submit(walt, "Endorsement", endorser=walt.address, claim=approved, amount=3, note="ありがとう")
    submit(vera, "Review", reviewer=vera.address, claim=approved, approve=True, reason="ok")
    submit(walt, "Endorsement", endorser=walt.address, claim=approved, amount=2, note="again")
    pending = claim(bob, detailsHash=stored(bob, {"text": "only text"}))
    submit(alice, "Endorsement", endorser=alice.address, claim=pending, amount=1, note="")
    rejected = claim(carol, detailsHash=stored(carol, {"text": "to be erased"}))
    submit(vera, "Review", reviewer=vera.address, claim=rejected, approve=False,
           reason="No record of it")
    submit(carol, "Erasure", requester=carol.address, detailsHash=s.details[-1], reason="APPI")
    reinstated = claim(alice, minutes=600, category="festival")
    for verifier in (vera, walt):
        submit(verifier, "Review", reviewer=verifier.address, claim=reinstated, approve=True,
               reason="")
    submit(admin, "Revocation", admin=admin.address, claim=reinstated, reason="duplicate?")
    submit(admin, "Reinstatement", admin=admin.address, claim=reinstated, reason="not a dup")
    revoked = claim(bob)
    submit(admin, "Revocation", admin=admin.address, claim=revoked, reason="duplicate")
    policy = {"categories": {"cleanup": {"base": 5, "perHour": 10},
                             "festival": {"base": 10, "perHour": 12}},
              "decayHalfLifeDays": 30, "levels": [10, 100]}
    submit(admin, "Policy", admin=admin.address, version=1, policy=json.dumps(policy))
    claim(carol, coContributors=[])

    # Proposals: a ranked one voted on (a change of mind included), a hidden budget one.
    ranked = submit(admin, "Proposal", title="祭りの日", text="いつにしますか", method="ranked",
                    choices=["7月", "8月", "9月"], costs=[], budget=0, opensAt=now,
                    closesAt=now + 3 * 86400, hideTotals=False)
    assert ranked is not None
    s.proposals.append(ranked)
    for who, ballot in ((alice, [2, 0]), (bob, [1]), (alice, [0, 2]), (carol, [])):
        submit(who, "Vote", voter=who.address, proposal=ranked, ballot=ballot)
    hidden = submit(admin, "Proposal", title="予算", text="配分", method="budget",
                    choices=["道", "港"], costs=[50, 40], budget=60, opensAt=now,
                    closesAt=now + 3 * 86400, hideTotals=True)
    assert hidden is not None
    s.proposals.append(hidden)
    submit(bob, "Vote", voter=bob.address, proposal=hidden, ballot=[1])

    # Walletless members: one invitation redeemed, one not.
    code = "umi-" + secrets.token_hex(8)
    for c in (code, "unused-" + secrets.token_hex(8)):
        submit(admin, "Invitation", admin=admin.address, codeHash=code_hash(c),
               expiresAt=now + 86400)
    r = s.client.post(f"/v1/regions/{w.region}/accounts",
                      json={"code": code, "displayName": "佐藤", "passphrase": PASSPHRASE})
    assert r.status_code == 201, r.text
    managed_address, managed_token = r.json()["address"], r.json()["token"]
    s.members.append(managed_address)

    # Quests people join (issue 14): a quest with a place and capacity, a sign-up, a
    # check-in window, a resident's proposal, and a perk redeemed.
    joinable = submit(admin, "QuestPost", title="浜の清掃", category="cleanup", points=20,
                      opensAt=now - 3600, closesAt=now + 7 * 86400, description="軍手あり",
                      place="菱浦港", geo="36.09,133.09", online=False, capacity=10,
                      contact=alice.address, tags="海,清掃", detailsHash=ZERO32)
    assert joinable is not None
    s.quests.append(joinable)
    submit(bob, "SignUp", quest=joinable, joined=True)
    submit(admin, "CheckInWindow", quest=joinable, opensAt=now - 60, closesAt=now + 3600)
    s.quests.append(submit(bob, "QuestPost", title="古民家の片付け", category="cleanup",
                           points=0, opensAt=now, closesAt=now + 86400, description="",
                           place="", geo="", online=True, capacity=0,
                           contact="0x" + "00" * 20, tags="", detailsHash=ZERO32) or "")
    perk = submit(admin, "Perk", perk=ZERO32, title="温泉券", description="一回", cost=10,
                  stock=5, validUntil=now + 86400, place="役場")
    assert perk is not None
    s.perks.append(perk)
    submit(alice, "Redemption", perk=perk, cost=10)

    alice_token = svc.auth.new_session(alice.address)[0]
    r = s.client.post(f"/v1/regions/{w.region}/claims/{approved}/badges",
                      json={"member": alice.address},
                      headers={"Authorization": f"Bearer {alice_token}"})
    assert r.status_code == 201, r.text
    size = w.regions.store.log_info(f"kakawari/{w.region}").size
    svc.domain.service_append(w.region, "Anchor", {
        "chainId": 1337, "contract": "0x" + "11" * 20, "txHash": "0x" + "22" * 32,
        "blockNumber": 7, "size": size, "root": "0x" + "33" * 32})
    # A partner region (issue 16) and alice's consent that her record travels there,
    # with the partner witness's cosignature on the checkpoint that covers it.
    partner_cosigner = Cosigner("kakawari/tabayama/witness", bytes(range(32)))
    submit(admin, "Partnership", partner="kakawari/tabayama", partnerName="丹波山村",
           logKey=new_signer_keys("kakawari/tabayama", bytes(range(32)))[1],
           witnessKey=format_cosigner_vkey(partner_cosigner.verifier),
           url="https://tabayama.example/logs/tabayama")
    submit(alice, "RecordLink", partner="kakawari/tabayama", partnerMember=bob.address,
           shown=True)
    cp = w.regions.store.latest_checkpoint(f"kakawari/{w.region}")
    assert cp is not None
    body = cp.note[: cp.note.index("\n\n") + 1]
    with svc.engine.begin() as conn:
        conn.execute(insert(t.cosignatures).values(
            region=w.region, witness=partner_cosigner.name, size=cp.size,
            line=partner_cosigner.cosign(body, now), timestamp=now))
    s.tokens = [alice_token, svc.auth.new_session(admin.address)[0], managed_token,
                svc.auth.new_session(carol.address)[0]]
    s.size = w.regions.store.log_info(f"kakawari/{w.region}").size
