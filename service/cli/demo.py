"""``kakawari demo seed``: realistic signed sample activity for trying the product.

Members get keys of their own (kept only in memory: they are sample people); each
joins, sets a profile (resident or from elsewhere) and claims contributions in
Japanese or English, with private details kept off the log; co-contributors confirm,
peers endorse within their budget. With the operator's admin key in the data
directory (``kakawari init`` without ``--admin``), the admin also grants verifier and
auditor roles and posts quests that some claims answer, and verifiers review (never
their own or a co-signed claim; as many approvals as the policy asks). Everything goes
through the recognition rules (``service.domain``), so the seeded log satisfies every
rule, the projections are filled and the service writes the recognitions itself.
"""

from __future__ import annotations

import random
import secrets
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import click

from ledger import eip712
from ledger.messages import MESSAGE_TYPES

from ..domain import Domain, DomainError, queries
from ..domain.details import details_hash
from ..domain.state import current_policy
from ..keyring import KeyringError
from ..regions import Signed

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
QUESTS = [("海ごみ拾い大作戦（毎週土曜）", "cleanup", 30),
          ("Translate the ferry timetable into English", "promotion", 60)]
ZERO32 = "0x" + "00" * 32
NOTES = ["いつもありがとう！", "Great teamwork", "助かりました", "Thanks for coming back again"]


@dataclass
class Member:
    key: bytes
    name: str
    address: str = field(init=False)

    def __post_init__(self) -> None:
        self.address = eip712.address_of(self.key)


class Seeder:
    def __init__(self, domain: Domain, region: str, rng: random.Random) -> None:
        self.domain, self.regions, self.region, self.rng = domain, domain.regions, region, rng
        self.facts = self.regions.facts(region)
        self.now = self.regions.clock()

    def sign(self, key: bytes, type_: str, fields: dict[str, Any]) -> Signed:
        mtype = MESSAGE_TYPES[type_]
        message = eip712.normalize_message(
            mtype,
            {"region": self.region, "nonce": secrets.randbits(53),
             "issuedAt": self.regions.clock(), **fields},
        )
        return Signed(type_, message, eip712.sign_message(key, self.facts.domain, mtype, message))

    def digest_id(self, item: Signed) -> str:
        digest = eip712.signing_digest(self.facts.domain, MESSAGE_TYPES[item.type], item.message)
        return "0x" + digest.hex()

    def join(self, m: Member) -> Signed:
        return self.sign(m.key, "Join", {"member": m.address, "displayName": m.name})

    def details(self, who: Member, title: str) -> str:
        salt = secrets.token_bytes(16)
        details = {"text": f"{who.name}: {title}"}
        digest = details_hash(salt, details)
        if self.domain.details is not None:
            self.domain.details.put(self.region, digest, salt, details, owner=who.address)
        return digest

    def claim(self, who: Member, others: list[Member], quest: tuple[str, int] | None) -> Signed:
        category = self.rng.choice(CATEGORIES)
        title = self.rng.choice(TITLES[category])
        occurred = self.now - self.rng.randrange(0, 120) * 86400
        if quest is not None:
            occurred = self.now - self.rng.randrange(0, 3600)
        return self.sign(who.key, "Claim", {
            "contributor": who.address,
            "category": category,
            "title": title,
            "minutes": self.rng.choice([30, 60, 90, 120, 180, 240, 480]),
            "occurredAt": occurred,
            "quest": quest[0] if quest else ZERO32,
            "coContributors": [o.address for o in others],
            "detailsHash": self.details(who, title),
        })


def _batches(items: list[Signed], size: int) -> Iterator[list[Signed]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _join_once(domain: Domain, region: str, s: Seeder, admin: Member) -> None:
    """The operator's admin joins, unless she has: on her own, before the rest, so that
    seeds run again or at the same time (each sees her not yet joined) all go on."""
    with domain.regions.store.engine.connect() as conn:
        if queries.member(conn, region, admin.address, s.now) is not None:
            return
    try:
        domain.submit(region, [s.join(admin)])
    except DomainError as exc:
        if exc.code != "already-member":  # another seed was quicker
            raise


def seed(domain: Domain, region: str, members: int, claims: int,
         rng: random.Random, progress: Any = None) -> list[str]:
    """Append the sample activity through the domain's rules; returns the claim ids."""
    regions = domain.regions
    s = Seeder(domain, region, rng)

    def name(i: int) -> str:
        return NAMES[i % len(NAMES)] + (f" {i}" if i >= len(NAMES) else "")

    people = [Member(secrets.token_bytes(32), name(i)) for i in range(members)]
    try:
        admin_key: bytes | None = regions.admin_key(region)
    except KeyringError:
        admin_key = None
    admin = Member(admin_key, "事務局") if admin_key else None
    if admin is not None and admin.address != s.facts.admin:
        admin = None  # a key left over from elsewhere: not this region's admin
    items: list[Signed] = [s.join(m) for m in people]
    items += [s.sign(m.key, "Profile", {"member": m.address, "displayName": m.name,
                                         "resident": rng.random() < 0.4}) for m in people]
    verifiers: list[Member] = []
    quests: list[tuple[str, int]] = []
    if admin is not None:
        _join_once(domain, region, s, admin)
        verifiers = people[: max(1, members // 6)]
        for v in verifiers:
            items.append(s.sign(admin.key, "Role", {
                "admin": admin.address, "member": v.address, "role": "verifier", "granted": True}))
        auditor = people[-1]
        items.append(s.sign(admin.key, "Role", {
            "admin": admin.address, "member": auditor.address, "role": "auditor", "granted": True}))
        for title, category, points in QUESTS:
            posted = s.sign(admin.key, "Quest", {
                "admin": admin.address, "title": title, "category": category, "points": points,
                "opensAt": s.now - 7 * 86400, "closesAt": s.now + 30 * 86400,
                "detailsHash": ZERO32})
            items.append(posted)
            quests.append((s.digest_id(posted), points))
    with regions.store.engine.connect() as conn:
        policy = current_policy(conn, region)[1]
    budget: dict[str, int] = {}
    ids: list[str] = []
    for _ in range(claims):
        who = rng.choice(people)
        pool = [p for p in people if p is not who]
        others = rng.sample(pool, k=min(len(pool), rng.choice([0, 0, 1, 2])))
        quest = rng.choice(quests) if quests and rng.random() < 0.2 else None
        claim = s.claim(who, others, quest)
        claim_id = s.digest_id(claim)
        ids.append(claim_id)
        items.append(claim)
        confirmed = [o for o in others if rng.random() < 0.8]
        items += [s.sign(o.key, "Confirmation", {"coContributor": o.address, "claim": claim_id})
                  for o in confirmed]
        involved = {who.address, *(o.address for o in others)}
        for endorser in rng.sample(pool, k=min(len(pool), rng.choice([0, 1, 2]))):
            amount = rng.randint(1, 5)
            if endorser.address in involved or \
                    budget.get(endorser.address, 0) + amount > policy.endorsementBudget:
                continue
            budget[endorser.address] = budget.get(endorser.address, 0) + amount
            items.append(s.sign(endorser.key, "Endorsement", {
                "endorser": endorser.address, "claim": claim_id,
                "amount": amount, "note": rng.choice(NOTES)}))
        reviewers = [v for v in verifiers if v.address not in involved]
        rng.shuffle(reviewers)
        if reviewers:
            approve = rng.random() < 0.85
            worth = policy.claim_points(claim.message["category"], claim.message["minutes"],
                                        quest[1] if quest else 0)
            needed = policy.approvals_needed(worth) if approve else 1
            for reviewer in reviewers[:needed]:
                items.append(s.sign(reviewer.key, "Review", {
                    "reviewer": reviewer.address, "claim": claim_id, "approve": approve,
                    "reason": rng.choice(REASONS) if approve else "記録が確認できませんでした"}))
    for batch in _batches(items, 500):
        domain.submit(region, batch)
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
    from .base import opened

    with opened(keys=True) as c:
        if not c.regions.exists(region):
            raise click.ClickException(f"no region {region!r}; create it with kakawari init")
        rng = random.Random(rng_seed)
        with click.progressbar(length=1, label="signing and appending", file=sys.stderr) as bar:
            ids = seed(c.domain, region, members, claims, rng)
            bar.update(1)
    for claim_id in ids:
        click.echo(claim_id)
