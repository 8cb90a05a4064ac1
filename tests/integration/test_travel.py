"""Recognition that travels (issue 16), in one process: two partner regions on one
database, each witnessing the other. A member of Ama consents in both logs
(``RecordLink``), Ama gives her record receipt, Tabayama verifies it against Ama's log
key and its own cosignature and shows it on her profile; altered receipts, missing
consent and an unwitnessed checkpoint are refused with problem+json; her points stay in
Ama; the replay of both logs gives exactly the live projections; the cross-region KPIs.
On SQLite and PostgreSQL. (``test_witness_servers.py`` does the same between two
``kakawari serve`` processes.)"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert

from ledger.cosignature import format_cosigner_vkey, signature_lines
from ledger.entry import Entry, origin_for
from ledger.witness import format_request
from service.api.app import create_app
from service.audit.replay import Replay
from service.domain import DomainError, snapshot
from service.domain import tables as t
from service.witness import Witness, trust_log
from tests.integration.audit_fixtures import claim_fields
from tests.integration.databases import SQL_ENGINES
from tests.integration.service_fixtures import Person, World, database, world

TABA = "tabayama"


@dataclass
class Two:
    w: World
    client: TestClient
    hanako_a: Person  # her key in Ama
    hanako_t: Person  # her key in Tabayama
    claims: list[str]
    taba_admin: Person

    @property
    def engine(self) -> Any:
        return self.w.regions.store.engine  # type: ignore[attr-defined]


def cosign(w: World, log: str, witness: str) -> None:
    """``witness``'s region cosigns ``log``'s latest checkpoint through the witness
    (as its server would answer the log's submitter), and the log stores the line."""
    engine = w.regions.store.engine  # type: ignore[attr-defined]
    origin = origin_for(log)
    trust_log(engine, witness, w.regions.store.log_info(origin).vkey, 0)
    cp = w.regions.store.latest_checkpoint(origin)
    assert cp is not None
    state = Witness(w.regions, engine).state(origin)
    old = 0 if state is None else state.size
    proof = w.regions.store.consistency_proof(origin, old, cp.size) if old else []
    lines = Witness(w.regions, engine).add_checkpoint(format_request(old, proof, cp.note))
    (line,) = signature_lines(lines)
    with engine.begin() as conn:
        conn.execute(insert(t.cosignatures).values(
            region=log, witness=f"kakawari/{witness}/witness", size=cp.size, line=line,
            timestamp=0))


def partnership(w: World, admin: Person, region: str, partner: str, name: str) -> None:
    other = origin_for(partner)
    w.domain.submit(region, [admin.sign(
        "Partnership", partner=other, partnerName=name,
        logKey=w.regions.store.log_info(other).vkey,
        witnessKey=format_cosigner_vkey(w.regions.witness_cosigner(partner).verifier),
        url=f"http://127.0.0.1/logs/{partner}")])


@pytest.fixture(params=SQL_ENGINES)
def two(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Two]:
    with database(request.param, tmp_path) as url, world(tmp_path, url) as w:
        taba_admin = Person(TABA)
        w.regions.create(TABA, "丹波山村", taba_admin.address)
        partnership(w, w.admin, "ama", TABA, "丹波山村")
        partnership(w, taba_admin, TABA, "ama", "海士町")
        hanako_a, hanako_t, vera = w.person(), Person(TABA), w.person()
        d = w.domain
        d.submit("ama", [hanako_a.sign("Join", displayName="山田 花子"),
                         vera.sign("Join", displayName="Vera")])
        d.submit("ama", [w.admin.sign("Role", member=vera.address, role="verifier",
                                      granted=True)])
        claims = []
        for title in ("海岸清掃", "祭りの準備", "島の発信"):
            signed = hanako_a.sign("Claim", **claim_fields(w, title=title))
            d.submit("ama", [signed])
            claims.append(w.admin.claim_id(signed))
            d.submit("ama", [vera.sign("Review", claim=claims[-1], approve=True,
                                       reason="確認しました")])
        d.submit("ama", [w.admin.sign("Revocation", claim=claims[2], reason="重複")])
        # she joins Tabayama later (a few seconds on: a join time of its own, for the KPI
        # of who came through the partner; within the messages' freshness window)
        w.regions.clock = lambda: int(time.time()) + 5
        d.submit(TABA, [hanako_t.sign("Join", displayName="山田 花子")])
        with TestClient(create_app(w.settings, w.regions)) as client:
            yield Two(w, client, hanako_a, hanako_t, claims, taba_admin)


def consent(two: Two, *, in_ama: bool = True, in_taba: bool = True) -> None:
    d = two.w.domain
    if in_ama:
        d.submit("ama", [two.hanako_a.sign("RecordLink", partner="kakawari/tabayama",
                                           partnerMember=two.hanako_t.address, shown=True)])
    if in_taba:
        d.submit(TABA, [two.hanako_t.sign("RecordLink", partner="kakawari/ama",
                                          partnerMember=two.hanako_a.address, shown=True)])


def record(two: Two) -> dict[str, Any]:
    r = two.client.get(f"/v1/regions/ama/members/{two.hanako_a.address}/record",
                       params={"partner": "kakawari/tabayama"})
    assert r.status_code == 200, r.text
    return dict(r.json())


def show(two: Two, receipt: dict[str, Any], lang: str = "en") -> Any:
    return two.client.put(
        f"/v1/regions/{TABA}/members/{two.hanako_t.address}/partner-records/ama",
        json={"receipt": receipt}, headers={"Accept-Language": lang})


def test_her_ama_record_is_shown_in_tabayama_and_her_points_stay_in_ama(two: Two) -> None:
    consent(two)
    cosign(two.w, "ama", TABA)
    receipt = record(two)
    assert receipt["record"] == two.hanako_a.address and receipt["recognised"] == 2
    ama = two.client.get(f"/v1/regions/ama/members/{two.hanako_a.address}").json()
    assert (receipt["points"], receipt["level"]) == (ama["lifetimePoints"], ama["level"])
    types = [Entry.from_bytes(e["entry"].encode()).type for e in receipt["entries"]]
    assert types == ["Region", "Join", "RecordLink", "RecordSummary"]
    assert json.loads(receipt["entries"][3]["entry"])["message"]["months"] == \
        _month(two.w.regions.clock())
    r = show(two, receipt)
    assert r.status_code == 200, r.text
    shown = r.json()
    assert shown["partnerName"] == "海士町" and shown["recognised"] == 2
    assert shown["level"] == ama["level"] and shown["member"] == two.hanako_a.address
    profile = two.client.get(f"/v1/regions/{TABA}/members/{two.hanako_t.address}").json()
    assert [(p["partner"], p["recognised"], p["level"]) for p in profile["partnerRecords"]] == [
        ("kakawari/ama", 2, ama["level"])]
    # points never move between regions
    assert profile["lifetimePoints"] == 0 and profile["recognitions"] == []
    assert two.client.get(f"/v1/regions/{TABA}/members/{two.hanako_t.address}/points"
                          ).json()["lifetimePoints"] == 0
    # a newer record replaces it; an older one is refused
    two.w.domain.submit("ama", [two.hanako_a.sign("Profile", displayName="花子",
                                                  resident=False)])
    cosign(two.w, "ama", TABA)
    newer = record(two)
    assert newer["size"] > receipt["size"] and show(two, newer).status_code == 200
    older = show(two, receipt)
    assert older.status_code == 403 and "newer record" in older.json()["detail"]
    # she withdraws her consent here: it is no longer shown
    two.w.domain.submit(TABA, [two.hanako_t.sign("RecordLink", partner="kakawari/ama",
                                                 partnerMember=two.hanako_a.address,
                                                 shown=False)])
    profile = two.client.get(f"/v1/regions/{TABA}/members/{two.hanako_t.address}").json()
    assert profile["partnerRecords"] == []
    assert show(two, newer).json()["type"].endswith("record-not-consented")


def _month(ts: int) -> str:
    from service.domain.kpis import month_of

    return month_of(ts - 60)


def _entry_edit(receipt: dict[str, Any], type_: str, field: str, value: Any) -> None:
    for item in receipt["entries"]:
        data = json.loads(item["entry"])
        if data["type"] == type_:
            data["message"][field] = value
            item["entry"] = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
            return
    raise AssertionError(type_)


@pytest.mark.parametrize("alter", [
    "recognised", "level", "points", "summary-entry", "drop-summary", "other-checkpoint",
    "no-cosignature", "other-region", "not-a-receipt",
])
def test_an_altered_record_receipt_is_refused(two: Two, alter: str) -> None:
    consent(two)
    cosign(two.w, "ama", TABA)
    receipt = copy.deepcopy(record(two))
    if alter == "recognised":
        receipt["recognised"] = 12
    elif alter == "level":
        receipt["level"] += 1
    elif alter == "points":
        receipt["points"] += 100
    elif alter == "summary-entry":  # and the stated figure to match: the proof fails
        _entry_edit(receipt, "RecordSummary", "recognised", 12)
        receipt["recognised"] = 12
    elif alter == "drop-summary":
        receipt["entries"] = [e for e in receipt["entries"]
                              if '"type":"RecordSummary"' not in e["entry"]]
    elif alter == "other-checkpoint":
        receipt["checkpoint"] = receipt["checkpoint"].replace(
            f"\n{receipt['size']}\n", f"\n{receipt['size'] + 1}\n", 1)
    elif alter == "no-cosignature":
        receipt["checkpoint"] = receipt["checkpoint"].rsplit("— kakawari/tabayama/witness",
                                                             1)[0]
    elif alter == "other-region":
        receipt["region"], receipt["origin"] = TABA, "kakawari/tabayama"
    elif alter == "not-a-receipt":
        receipt["format"] = "kakawari-receipt/9"
    r = show(two, receipt)
    assert r.status_code == 422, (alter, r.text)
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"].endswith("bad-receipt") and "海士町" in r.json()["detail"]
    ja = show(two, receipt, "ja").json()
    assert ja["title"] == "パートナー地域の記録を確認できませんでした"
    profile = two.client.get(f"/v1/regions/{TABA}/members/{two.hanako_t.address}").json()
    assert profile["partnerRecords"] == []


def test_both_consents_and_a_cosigned_checkpoint_are_needed(two: Two) -> None:
    # no consent in Ama: Ama gives no record receipt
    r = two.client.get(f"/v1/regions/ama/members/{two.hanako_a.address}/record",
                       params={"partner": "kakawari/tabayama"})
    assert r.status_code == 403 and r.json()["type"].endswith("record-not-consented")
    consent(two, in_taba=False)
    # consent given after the last cosigned checkpoint: not witnessed yet
    r = two.client.get(f"/v1/regions/ama/members/{two.hanako_a.address}/record",
                       params={"partner": "kakawari/tabayama"})
    assert r.status_code == 409 and r.json()["type"].endswith("not-cosigned")
    cosign(two.w, "ama", TABA)
    receipt = record(two)
    # no consent in Tabayama yet
    assert show(two, receipt).status_code == 403
    # her consent here names another Ama member: that member's record is not hers
    someone = Person("ama")
    two.w.domain.submit(TABA, [two.hanako_t.sign("RecordLink", partner="kakawari/ama",
                                                 partnerMember=someone.address, shown=True)])
    r = show(two, receipt)
    assert r.status_code == 422 and "not of" in r.json()["detail"]
    # someone else in Tabayama linking to Hanako's Ama record: Ama's consent names Hanako
    other = Person(TABA)
    two.w.domain.submit(TABA, [other.sign("Join", displayName="X"),
                               other.sign("RecordLink", partner="kakawari/ama",
                                          partnerMember=two.hanako_a.address, shown=True)])
    r = two.client.put(f"/v1/regions/{TABA}/members/{other.address}/partner-records/ama",
                       json={"receipt": receipt})
    assert r.status_code == 403 and r.json()["type"].endswith("record-not-consented")


def test_record_link_rules(two: Two) -> None:
    d, h = two.w.domain, two.hanako_t
    with pytest.raises(DomainError, match="not a partner"):
        d.submit(TABA, [h.sign("RecordLink", partner="kakawari/other",
                               partnerMember=two.hanako_a.address, shown=True)])
    with pytest.raises(DomainError, match="zero address"):
        d.submit(TABA, [h.sign("RecordLink", partner="kakawari/ama",
                               partnerMember="0x" + "00" * 20, shown=True)])
    with pytest.raises(DomainError, match="no consent to withdraw"):
        d.submit(TABA, [h.sign("RecordLink", partner="kakawari/ama",
                               partnerMember=two.hanako_a.address, shown=False)])
    with pytest.raises(DomainError) as refused:
        d.submit(TABA, [Person(TABA).sign("RecordLink", partner="kakawari/ama",
                                          partnerMember=two.hanako_a.address, shown=True)])
    assert refused.value.code == "not-member"
    consent(two)
    d.submit("ama", [two.w.admin.sign("PartnershipEnd", partner="kakawari/tabayama",
                                      reason="協定終了")])
    # after the partnership ends no consent to show is taken, a withdrawal still is
    with pytest.raises(DomainError, match="not a partner"):
        d.submit("ama", [two.hanako_a.sign("RecordLink", partner="kakawari/tabayama",
                                           partnerMember=h.address, shown=True)])
    d.submit("ama", [two.hanako_a.sign("RecordLink", partner="kakawari/tabayama",
                                       partnerMember=h.address, shown=False)])


@pytest.mark.parametrize("strict", [True, False], ids=["in-memory", "sqlite"])
def test_the_replay_of_both_logs_gives_the_live_projections(two: Two, strict: bool) -> None:
    consent(two)
    two.w.domain.submit(TABA, [two.hanako_t.sign("RecordLink", partner="kakawari/ama",
                                                 partnerMember=two.hanako_a.address,
                                                 shown=False)])
    for region in ("ama", TABA):
        with Replay(region, strict=strict) as replay:
            for _, data in two.w.regions.store.iter_entries(origin_for(region)):
                replay.add(Entry.from_bytes(data))
            replay.end()
            assert replay.problem is None
            mine = replay.memory.snapshot() if replay.memory else snapshot(replay.conn,
                                                                            region)
        with two.engine.connect() as conn:
            live = snapshot(conn, region)
        assert live["svc_record_links"], region
        for name in live:
            if name != "svc_heads":
                assert mine[name] == live[name], (region, name)


# -- what the audit catches ---------------------------------------------------------------


def _audit_fails(two: Two, tmp_path: Path, seq: int, match: str) -> None:
    from ledger.errors import VerificationError
    from service.audit.verify import audit_bundle
    from tests.integration.audit_fixtures import export_to

    with pytest.raises(VerificationError, match=match) as info:
        audit_bundle(export_to(two.w, tmp_path / "b.zip"), jobs=1)
    assert info.value.seq == seq, str(info.value)


def test_the_audit_recomputes_every_record_summary(two: Two, tmp_path: Path) -> None:
    from service.audit.verify import audit_bundle
    from tests.integration.audit_fixtures import export_to

    consent(two)
    report = audit_bundle(export_to(two.w, tmp_path / "ok.zip"), jobs=1)
    assert report.log.types["RecordLink"] == 1 and report.log.types["RecordSummary"] == 1


def test_a_record_summary_inflated_by_the_service_key_is_named(two: Two,
                                                               tmp_path: Path) -> None:
    # whoever holds the service key appends a consent and an inflated summary around the
    # rules; every signature is valid
    link = two.hanako_a.sign("RecordLink", partner="kakawari/tabayama",
                             partnerMember=two.hanako_t.address, shown=True)
    inflated = two.w.regions.service_signed("ama", "RecordSummary", {
        "member": two.hanako_a.address, "partner": "kakawari/tabayama", "recognised": 12,
        "points": 30, "level": 1, "months": _month(two.w.regions.clock())})
    _, (seq, _) = two.w.regions.append("ama", [link, inflated])
    _audit_fails(two, tmp_path, seq, "differs from the recount of the log in recognised")


def test_a_record_summary_withheld_or_unasked_is_named(two: Two, tmp_path: Path) -> None:
    link = two.hanako_a.sign("RecordLink", partner="kakawari/tabayama",
                             partnerMember=two.hanako_t.address, shown=True)
    later = two.hanako_a.sign("Profile", displayName="花子", resident=False)
    (_, _), (seq, _) = two.w.regions.append("ama", [link, later])
    _audit_fails(two, tmp_path, seq, "had to write its RecordSummary")


def test_a_record_summary_no_consent_asked_for_is_named(two: Two, tmp_path: Path) -> None:
    unasked = two.w.regions.service_signed("ama", "RecordSummary", {
        "member": two.hanako_a.address, "partner": "kakawari/tabayama", "recognised": 2,
        "points": 30, "level": 1, "months": ""})
    [(seq, _)] = two.w.regions.append("ama", [unasked])
    _audit_fails(two, tmp_path, seq, "which no RecordLink just before asked for")


def test_cross_region_kpis_for_both_offices(two: Two) -> None:
    from service.domain.kpis import month_of

    consent(two)
    cosign(two.w, "ama", TABA)
    # before anything is shown in Tabayama: partners, but nobody linked
    month = month_of(two.w.regions.clock() - 60)
    kpis = two.client.get(f"/v1/regions/{TABA}/kpis", params={"months": 2}).json()
    assert kpis["partners"]["partnerRegions"] == 1 and kpis["partners"]["linkedMembers"] == 0
    assert show(two, record(two)).status_code == 200
    # she works in Tabayama this month too: active in both, and new here through Ama
    # (she joined Ama before Tabayama)
    d, vera = two.w.domain, Person(TABA)
    d.submit(TABA, [vera.sign("Join", displayName="Vera")])
    d.submit(TABA, [two.taba_admin.sign("Role", member=vera.address, role="verifier",
                                        granted=True)])
    signed = two.hanako_t.sign("Claim", **claim_fields(two.w, title="そば打ち"))
    d.submit(TABA, [signed])
    d.submit(TABA, [vera.sign("Review", claim=two.w.admin.claim_id(signed), approve=True,
                              reason="確認")])
    kpis = two.client.get(f"/v1/regions/{TABA}/kpis", params={"months": 2}).json()
    partners = kpis["partners"]
    assert partners["linkedMembers"] == 1
    assert partners["months"][-1] == {"month": month, "activeInBoth": 1,
                                      "newThroughPartner": 1}
    assert partners["months"][0]["activeInBoth"] == 0
    assert (partners["period"]["activeInBoth"], partners["period"]["newThroughPartner"]) == (1, 1)
    # the CSV has the two columns, for a region with partners
    rows = two.client.get(f"/v1/regions/{TABA}/kpis.csv", params={"months": 2}).text
    header, *_, this_month, total = rows.lstrip("\ufeff").splitlines()
    assert header.split(",")[9:11] == ["パートナー地域でも活動した人", "パートナー地域から来た新規"]
    assert this_month.split(",")[9:11] == ["1", "1"] and total.split(",")[9:11] == ["1", "1"]
    # Ama's office: Hanako shows no Tabayama record in Ama, so Ama counts nobody yet
    ama = two.client.get("/v1/regions/ama/kpis", params={"months": 2}).json()["partners"]
    assert ama["partnerRegions"] == 1 and ama["linkedMembers"] == 0
    # withdrawn consent: no longer counted
    d.submit(TABA, [two.hanako_t.sign("RecordLink", partner="kakawari/ama",
                                      partnerMember=two.hanako_a.address, shown=False)])
    kpis = two.client.get(f"/v1/regions/{TABA}/kpis", params={"months": 2}).json()
    assert kpis["partners"]["linkedMembers"] == 0
    assert kpis["partners"]["period"]["activeInBoth"] == 0


def test_verify_receipt_reads_a_record_receipt(two: Two, tmp_path: Path) -> None:
    from tests.integration.audit_fixtures import cli_env, run

    consent(two)
    cosign(two.w, "ama", TABA)
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record(two), ensure_ascii=False))
    out = json.loads(run(cli_env(two.w), "audit", "verify-receipt", str(path),
                         "--json").stdout)
    assert out["ok"] is True and out["record"] == two.hanako_a.address and "claim" not in out
    assert any("2 recognised activities" in line for line in out["summary"])
