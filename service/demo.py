"""``kakawari demo seed``: realistic signed sample activity for trying the product.

Members get keys of their own (kept only in memory: they are sample people); each
joins and claims contributions in Japanese or English, co-contributors confirm, peers
endorse. With the operator's admin key in the data directory (``kakawari init``
without ``--admin``), the admin also joins, grants verifier and auditor roles,
verifiers review (never their own or a co-signed claim), and the service records a
recognition for each approved claim. Every entry is really signed and verifies.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import click

from ledger import eip712
from ledger.messages import MESSAGE_TYPES

from .keyring import KeyringError
from .regions import Regions, Signed

CATEGORIES = ["festival", "cleanup", "promotion", "disaster-relief", "pro-bono", "farming"]
TITLES = {
    "festival": ["キンニャモニャ祭りの設営を手伝いました", "Set up stalls for the summer festival"],
    "cleanup": ["海岸清掃に参加しました（明屋海岸）", "Beach clean-up at the north shore"],
    "promotion": ["町の魅力をSNSで発信しました", "Wrote an English guide to the island"],
    "disaster-relief": ["能登の被災地で片付けボランティア", "Sorted relief supplies for Noto"],
    "pro-bono": ["観光協会のウェブサイトを改修", "Pro-bono accounting for the co-op"],
    "farming": ["棚田の田植えを手伝いました", "Helped with the oyster harvest"],
}
NAMES = ["山田 花子", "佐藤 健", "Emily Carter", "鈴木 一郎", "Lucas Martin", "高橋 美咲",
         "田中 翔", "Aiko Brown", "伊藤 さくら", "渡辺 大輔", "Noah Kim", "中村 由美"]
REASONS = ["写真と参加記録を確認しました", "Confirmed with the festival committee", "確認済み"]
NOTES = ["いつもありがとう！", "Great teamwork", "助かりました", "Thanks for coming back again"]


@dataclass
class Member:
    key: bytes
    name: str
    address: str = field(init=False)

    def __post_init__(self) -> None:
        self.address = eip712.address_of(self.key)


class Seeder:
    def __init__(self, regions: Regions, region: str, rng: random.Random) -> None:
        self.regions, self.region, self.rng = regions, region, rng
        self.facts = regions.facts(region)
        self.now = regions.clock()

    def sign(self, key: bytes, type_: str, fields: dict[str, Any]) -> Signed:
        mtype = MESSAGE_TYPES[type_]
        message = eip712.normalize_message(
            mtype,
            {"region": self.region, "nonce": secrets.randbits(53), "issuedAt": self.now,
             **fields},
        )
        return Signed(type_, message, eip712.sign_message(key, self.facts.domain, mtype, message))

    def claim_id(self, claim: Signed) -> str:
        digest = eip712.signing_digest(self.facts.domain, MESSAGE_TYPES["Claim"], claim.message)
        return "0x" + digest.hex()

    def join(self, m: Member) -> Signed:
        return self.sign(m.key, "Join", {"member": m.address, "displayName": m.name})

    def claim(self, who: Member, others: list[Member]) -> Signed:
        category = self.rng.choice(CATEGORIES)
        salt = secrets.token_bytes(16)
        details = hashlib.sha256(salt + f"{who.name}: details".encode()).hexdigest()
        return self.sign(who.key, "Claim", {
            "contributor": who.address,
            "category": category,
            "title": self.rng.choice(TITLES[category]),
            "minutes": self.rng.choice([30, 60, 90, 120, 180, 240, 480]),
            "occurredAt": self.now - self.rng.randrange(0, 120) * 86400,
            "quest": "0x" + "00" * 32,
            "coContributors": [o.address for o in others],
            "detailsHash": "0x" + details,
        })


def _batches(items: list[Signed], size: int) -> Iterator[list[Signed]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def seed(regions: Regions, region: str, members: int, claims: int,
         rng: random.Random, progress: Any = None) -> list[str]:
    """Append the sample activity; returns the ids of the claims made."""
    s = Seeder(regions, region, rng)
    def name(i: int) -> str:
        return NAMES[i % len(NAMES)] + (f" {i}" if i >= len(NAMES) else "")

    people = [Member(secrets.token_bytes(32), name(i)) for i in range(members)]
    try:
        admin_key: bytes | None = regions.admin_key(region)
    except KeyringError:
        admin_key = None
    admin = Member(admin_key, "Region admin / 事務局") if admin_key else None
    if admin is not None and admin.address != s.facts.admin:
        admin = None  # a key left over from elsewhere: not this region's admin
    items: list[Signed] = [s.join(m) for m in people]
    verifiers: list[Member] = []
    if admin is not None:
        items.append(s.join(admin))
        verifiers = people[: max(1, members // 6)]
        for v in verifiers:
            items.append(s.sign(admin.key, "Role", {
                "admin": admin.address, "member": v.address, "role": "verifier", "granted": True}))
        auditor = people[-1]
        items.append(s.sign(admin.key, "Role", {
            "admin": admin.address, "member": auditor.address, "role": "auditor", "granted": True}))
    ids: list[str] = []
    for _ in range(claims):
        who = rng.choice(people)
        pool = [p for p in people if p is not who]
        others = rng.sample(pool, k=min(len(pool), rng.choice([0, 0, 1, 2])))
        claim = s.claim(who, others)
        claim_id = s.claim_id(claim)
        ids.append(claim_id)
        items.append(claim)
        confirmed = [o for o in others if rng.random() < 0.8]
        items += [s.sign(o.key, "Confirmation", {"coContributor": o.address, "claim": claim_id})
                  for o in confirmed]
        involved = {who.address, *(o.address for o in others)}
        for endorser in rng.sample(pool, k=min(len(pool), rng.choice([0, 1, 2]))):
            if endorser.address not in involved:
                items.append(s.sign(endorser.key, "Endorsement", {
                    "endorser": endorser.address, "claim": claim_id,
                    "amount": rng.randint(1, 5), "note": rng.choice(NOTES)}))
        reviewers = [v for v in verifiers if v.address not in involved]
        if reviewers:
            reviewer = rng.choice(reviewers)
            approve = rng.random() < 0.85
            items.append(s.sign(reviewer.key, "Review", {
                "reviewer": reviewer.address, "claim": claim_id, "approve": approve,
                "reason": rng.choice(REASONS) if approve else "記録が確認できませんでした"}))
            if approve:
                points = claim.message["minutes"] // 10
                for member in [who, *confirmed]:
                    items.append(regions.service_signed(region, "Recognition", {
                        "claim": claim_id, "member": member.address, "points": points}))
    done = 0
    for batch in _batches(items, 500):
        regions.append(region, batch)
        done += len(batch)
        if progress is not None:
            progress(len(batch))
    return ids


@click.group()
def demo() -> None:
    """Sample data for trying the product and for benchmarks."""


@demo.command("seed")
@click.option("--region", required=True)
@click.option("--members", default=12, show_default=True, type=click.IntRange(1, 100_000))
@click.option("--claims", default=30, show_default=True, type=click.IntRange(0, 1_000_000))
@click.option("--seed", "rng_seed", type=int, help="Random seed for reproducible choices.")
def seed_command(region: str, members: int, claims: int, rng_seed: int | None) -> None:
    """Fill a region with signed sample activity; prints the ids of the claims made."""
    from .cli import opened

    with opened(keys=True) as c:
        if not c.regions.exists(region):
            raise click.ClickException(f"no region {region!r}; create it with kakawari init")
        rng = random.Random(rng_seed)
        with click.progressbar(length=1, label="signing and appending", file=sys.stderr) as bar:
            ids = seed(c.regions, region, members, claims, rng)
            bar.update(1)
    for claim_id in ids:
        click.echo(claim_id)
