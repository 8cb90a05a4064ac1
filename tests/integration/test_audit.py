"""Audit end to end on SQLite: export (details erased and all) verifies; the replay is
the live service's projections exactly; points inflated, recognitions withheld, rules
broken, views and details altered are each named; the commands and HTTP routes."""

from __future__ import annotations

import csv
import io
import json
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger.audit.bundle import ENTRIES, BundleFormatError, BundleReader
from ledger.audit.receipt import verify_receipt
from ledger.entry import Entry, origin_for
from ledger.errors import VerificationError
from service.api.app import create_app
from service.audit.export import export_region
from service.audit.replay import Replay
from service.audit.verify import audit_bundle
from service.domain import snapshot
from service.domain import tables as t
from tests.integration.audit_fixtures import (
    claim_fields,
    claim_id,
    cli_env,
    export_to,
    run,
    seeded,
)
from tests.integration.service_fixtures import World, database, world
from tests.unit.audit_log import PARALLEL, entry_lines, fails_both_ways, joined, rewrite


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, dict[str, Any]]]:
    tmp = tmp_path_factory.mktemp("audit")
    with database("sqlite", tmp) as url, world(tmp, url) as w:
        yield w, seeded(w)


@pytest.fixture(scope="module")
def bundle(region: tuple[World, dict[str, Any]],
           tmp_path_factory: pytest.TempPathFactory) -> Path:
    w, _ = region
    return export_to(w, tmp_path_factory.mktemp("bundle") / "ama.zip")


def fails(path: Path, seq: int | None, match: str, **kwargs: Any) -> VerificationError:
    return fails_both_ways(audit_bundle, path, seq, match, **kwargs)


def csv_rows(path: Path, name: str) -> list[dict[str, str]]:
    with zipfile.ZipFile(path) as z:
        data = z.read(name)
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data  # BOM for Excel, CRLF
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


# -- an honest export --------------------------------------------------------------------


def test_an_export_with_erased_details_verifies(region: tuple[World, dict[str, Any]],
                                                bundle: Path) -> None:
    w, s = region
    report = audit_bundle(bundle)
    info = w.regions.store.log_info(origin_for(w.region))
    assert (report.log.size, report.log.root) == (info.size, info.root)
    assert report.log.anchors == 1
    p = report.points
    assert p.views and not p.views_missing and p.policy_version == 1
    assert p.claims["approved"] > 10 and p.recognitions > 10
    with w.regions.store.engine.connect() as conn:  # type: ignore[attr-defined]
        total = conn.execute(t.members.select()).all()
    assert p.members == len(total) and p.points == sum(r.points for r in total)
    assert p.details is not None and p.details >= 80  # every seeded claim's, bar the erased
    with zipfile.ZipFile(bundle) as z:
        held = [json.loads(x)["hash"] for x in z.read("details.jsonl").splitlines()]
    assert s["kept_hash"] in held and s["gone_hash"] not in held


def test_erased_details_show_as_erased_never_as_missing_rows(
        region: tuple[World, dict[str, Any]], bundle: Path) -> None:
    _, s = region
    rows = {r["claim"]: r for r in csv_rows(bundle, "views/contributions.csv")}
    assert rows[s["gone"]]["private_details"].startswith("erased (entry ")
    assert rows[s["kept"]]["private_details"].startswith("住所: 海士町")
    assert rows[s["gone"]]["status"] == "approved"  # revoked, then reinstated
    formula = [r for r in rows.values() if r["title"].endswith("浜の清掃")]
    assert formula[0]["title"] == "'=1+1 浜の清掃"  # never run as a spreadsheet formula


def test_points_per_member_match_the_live_service(region: tuple[World, dict[str, Any]],
                                                  bundle: Path) -> None:
    w, _ = region
    with w.regions.store.engine.connect() as conn:  # type: ignore[attr-defined]
        live = {r.address: r for r in conn.execute(t.members.select()).all()}
    rows = csv_rows(bundle, "views/points.csv")
    assert len(rows) == len(live)
    for r in rows:
        assert int(r["lifetime_points"]) == live[r["member"]].points
        assert int(r["level"]) == live[r["member"]].level
    assert {r["decision"] for r in csv_rows(bundle, "views/reviews.csv")} == {"approve",
                                                                             "reject"}
    assert any(int(r["points_credited"]) > 0 for r in csv_rows(bundle, "views/endorsements.csv"))


@pytest.mark.parametrize("strict", [True, False], ids=["in-memory", "sqlite"])
def test_the_replay_gives_exactly_the_live_projections(
        region: tuple[World, dict[str, Any]], strict: bool) -> None:
    """Both places a replay keeps the projections in (memory for the verifier, SQLite
    for the exporter) end up with exactly the rows the live service wrote."""
    w, _ = region
    origin = origin_for(w.region)
    with Replay(w.region, strict=strict) as replay:
        for _, data in w.regions.store.iter_entries(origin):
            replay.add(Entry.from_bytes(data))
        replay.end()
        assert replay.problem is None
        mine = replay.memory.snapshot() if replay.memory else snapshot(replay.conn, w.region)
    with w.regions.store.engine.connect() as conn:  # type: ignore[attr-defined]
        live = snapshot(conn, w.region)
    assert set(mine) == set(live)
    for name in live:
        if name != "svc_heads":  # the live service's bookkeeping, not a projection of entries
            assert mine[name] == live[name], name
    for name in ("svc_points", "svc_endorsements", "svc_recognitions", "svc_badges",
                 "svc_custody", "svc_invitations", "svc_quests", "svc_erasures",
                 "svc_signups", "svc_checkins", "svc_perks", "svc_redemptions",
                 "svc_balances"):
        assert live[name], name


def test_worker_processes_give_the_same_report(bundle: Path) -> None:
    assert audit_bundle(bundle, **PARALLEL) == audit_bundle(bundle)


def test_with_another_thread_running_nothing_is_forked_and_the_report_is_the_same(
        bundle: Path) -> None:
    alone = audit_bundle(bundle)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert audit_bundle(bundle, **PARALLEL) == alone  # spawned workers, views here
    finally:
        stop.set()
        other.join()


def test_without_details_the_views_say_so(region: tuple[World, dict[str, Any]],
                                         tmp_path: Path) -> None:
    w, s = region
    path = export_to(w, tmp_path / "nd.zip", details=False)
    assert audit_bundle(path).points.details is None
    rows = {r["claim"]: r for r in csv_rows(path, "views/contributions.csv")}
    assert rows[s["kept"]]["private_details"] == "(not in this export)"
    assert rows[s["gone"]]["private_details"].startswith("erased (entry ")


# -- what the points audit catches -----------------------------------------------------------


@pytest.fixture
def small(tmp_path: Path) -> Iterator[World]:
    with database("sqlite", tmp_path) as url, world(tmp_path, url) as w:
        yield w


def people(w: World) -> tuple[Any, Any, Any]:
    alice, bob, vera = w.person(), w.person(), w.person()
    w.domain.submit(w.region, [p.sign("Join", displayName=n)
                               for p, n in ((w.admin, "admin"), (alice, "花子"), (bob, "Bob"),
                                            (vera, "Vera"))])
    w.domain.submit(w.region, [w.admin.sign("Role", member=vera.address, role="verifier",
                                            granted=True)])
    return alice, bob, vera


def test_points_inflated_in_a_recognition_entry_are_named(small: World,
                                                          tmp_path: Path) -> None:
    w = small
    alice, _, vera = people(w)
    claim = alice.sign("Claim", **claim_fields(w))
    w.domain.submit(w.region, [claim])
    # Whoever holds the service key appends the review and an inflated recognition,
    # around the rules; every signature is valid.
    review = vera.sign("Review", claim=claim_id(w, claim), approve=True, reason="ok")
    inflated = w.regions.service_signed(w.region, "Recognition", {
        "claim": claim_id(w, claim), "member": alice.address, "points": 500})
    _, (seq, _) = w.regions.append(w.region, [review, inflated])
    err = fails(export_to(w, tmp_path / "b.zip"), seq, "gives 0x")
    assert "500 points" in err.reason and "the policy in force gives 15" in err.reason


def test_a_recognition_withheld_is_named(small: World, tmp_path: Path) -> None:
    w = small
    alice, bob, vera = people(w)
    claim = alice.sign("Claim", **claim_fields(w))
    w.domain.submit(w.region, [claim])
    review = vera.sign("Review", claim=claim_id(w, claim), approve=True, reason="ok")
    later = bob.sign("Profile", displayName="Bob", resident=True)
    (_, _), (seq, _) = w.regions.append(w.region, [review, later])
    fails(export_to(w, tmp_path / "b.zip"), seq, "had to record the recognition")


def test_a_review_by_someone_who_was_not_a_verifier_is_named(small: World,
                                                             tmp_path: Path) -> None:
    w = small
    alice, bob, _ = people(w)
    claim = alice.sign("Claim", **claim_fields(w))
    w.domain.submit(w.region, [claim])
    [(seq, _)] = w.regions.append(w.region, [
        bob.sign("Review", claim=claim_id(w, claim), approve=True, reason="me")])
    fails(export_to(w, tmp_path / "b.zip"), seq, "was not a verifier at this point")


def test_a_broken_rule_is_named_with_its_code(small: World, tmp_path: Path) -> None:
    w = small
    alice, bob, _ = people(w)
    claim = alice.sign("Claim", **claim_fields(w))
    w.domain.submit(w.region, [claim])
    [(seq, _)] = w.regions.append(w.region, [
        bob.sign("Endorsement", claim=claim_id(w, claim), amount=21, note="too much")])
    fails(export_to(w, tmp_path / "b.zip"), seq, "budget-exceeded")


def test_a_forged_redemption_is_named(small: World, tmp_path: Path) -> None:
    """A redemption appended around the rules (every signature valid) that spends more
    than the member's balance: the auditor's replay names it."""
    from tests.integration.quest_fixtures import perk_fields

    w = small
    alice, _, _ = people(w)
    [perk] = w.domain.submit(w.region, [w.admin.sign("Perk", **perk_fields(w, cost=10))])
    [(seq, _)] = w.regions.append(w.region, [alice.sign("Redemption", perk=perk.id,
                                                        cost=10)])
    err = fails(export_to(w, tmp_path / "b.zip"), seq, "balance-too-low")
    assert "0 points to spend" in err.reason


def test_a_balance_altered_in_the_views_is_named(bundle: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(bundle) as z:
        text = z.read("views/balances.csv").decode("utf-8-sig")
    lines = text.split("\r\n")
    row = next(i for i, line in enumerate(lines) if line.endswith(",10," + line.split(",")[-1])
               and i > 0)
    cells = lines[row].split(",")
    cells[-1] = str(int(cells[-1]) + 10)  # 10 more points to spend than the entries give
    lines[row] = ",".join(cells)
    bad = rewrite(bundle, tmp_path / "v.zip",
                  {"views/balances.csv": "\r\n".join(lines).encode("utf-8-sig")})
    fails(bad, None, f"views/balances.csv line {row + 1} differs")


@pytest.mark.parametrize("view", ["views/contributions.csv", "views/reviews.csv",
                                  "views/endorsements.csv", "views/points.csv",
                                  "views/perks.csv", "views/redemptions.csv",
                                  "views/balances.csv"])
def test_each_altered_view_fails_naming_its_line(bundle: Path, tmp_path: Path,
                                                  view: str) -> None:
    # contributions is checked in this process, the others in a forked one, each
    # from the tables that view reads
    with zipfile.ZipFile(bundle) as z:
        lines = z.read(view).decode("utf-8-sig").split("\r\n")
    lines[2] = lines[2].replace(",", ",9", 1)  # the second row's second cell
    bad = rewrite(bundle, tmp_path / "v.zip", {view: "\r\n".join(lines).encode("utf-8-sig")})
    fails(bad, None, f"{view} line 3 differs")


def test_altered_views_and_details_fail(bundle: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(bundle) as z:
        points = z.read("views/points.csv").decode("utf-8-sig")
        details = z.read("details.jsonl")
    first = points.splitlines()[1].split(",")
    first[4] = str(int(first[4]) + 100)
    changed = points.replace(points.splitlines()[1], ",".join(first))
    bad = rewrite(bundle, tmp_path / "v.zip", {"views/points.csv": changed.encode("utf-8-sig")})
    fails(bad, None, "views/points.csv line 2 differs")
    # erased details smuggled back in, with their (valid) salt and hash
    from service.domain.details import details_hash

    salt = bytes(range(16))
    digest = details_hash(salt, {"text": "x"})
    line = json.dumps({"details": {"text": "x"}, "hash": digest, "salt": "0x" + salt.hex()},
                      separators=(",", ":"), sort_keys=True).encode()
    bad = rewrite(bundle, tmp_path / "d.zip", {"details.jsonl": details + line + b"\n"})
    fails(bad, None, "details no entry names")
    lines = details.splitlines()
    item = json.loads(lines[0])
    item["details"]["text"] += "!"
    lines[0] = json.dumps(item, separators=(",", ":"), sort_keys=True,
                          ensure_ascii=False).encode()
    bad = rewrite(bundle, tmp_path / "h.zip", {"details.jsonl": b"\n".join(lines) + b"\n"})
    with pytest.raises(VerificationError, match="do not hash to this entry") as info:
        audit_bundle(bad)
    assert info.value.seq is not None
    named = Entry.from_bytes(entry_lines(bundle)[info.value.seq])
    assert named.type == "Claim" and named.message["detailsHash"] == item["hash"]


# -- the commands ------------------------------------------------------------------------------


def test_commands_export_verify_and_exit_codes(region: tuple[World, dict[str, Any]],
                                               tmp_path: Path) -> None:
    w, s = region
    env = cli_env(w)
    older = tmp_path / "older.zip"
    out = run(env, "export", "--region", w.region, "--out", str(older)).stdout
    assert "exported" in out and "kakawari audit verify" in out
    assert "ok:" in run(env, "audit", "verify", str(older)).stdout
    w.domain.submit(w.region, [s["alice"].sign("Profile", displayName="花子", resident=True)])
    newer = tmp_path / "newer.zip"
    run(env, "export", "--region", w.region, "--out", str(newer))
    report = json.loads(run(env, "audit", "verify", str(newer), "--previous", str(older),
                            "--json").stdout)
    assert report["ok"] and report["previousSize"] == report["size"] - 1
    lines = entry_lines(newer)
    lines[5] = lines[5].replace(b'"displayName":"', b'"displayName":"X', 1)
    bad = rewrite(newer, tmp_path / "bad.zip", {ENTRIES: joined(lines)})
    failed = run(env, "audit", "verify", str(bad), code=1)
    assert "FAILED at entry 5:" in failed.stderr
    early = tmp_path / "early.zip"  # as of an earlier signed checkpoint
    run(env, "export", "--region", w.region, "--out", str(early), "--size",
        str(s["anchor"]["size"]))
    report = json.loads(run(env, "audit", "verify", str(newer), "--previous", str(early),
                            "--json").stdout)
    assert report["previousSize"] == s["anchor"]["size"]
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"PK\x03\x04 not really")
    assert "not a readable ZIP" in run(env, "audit", "verify", str(junk), code=3).stderr
    assert run(env, "audit", "verify", code=2).exit_code == 2


def test_receipt_command_and_offline_check(region: tuple[World, dict[str, Any]],
                                           tmp_path: Path) -> None:
    w, s = region
    env = cli_env(w)
    path = tmp_path / "r.json"
    run(env, "receipt", "--region", w.region, "--claim", s["kept"], "--member",
        s["alice"].address, "--out", str(path))
    receipt = json.loads(path.read_text())
    assert receipt["anchor"]["seq"] == s["anchor"]["seq"]
    assert receipt["size"] == s["anchor"]["size"] and receipt["points"] == 19
    out = run(env, "audit", "verify-receipt", str(path)).stdout
    assert "approved by" in out and "19 points to " + s["alice"].address in out
    receipt["points"] = 190
    path.write_text(json.dumps(receipt))
    assert "FAILED" in run(env, "audit", "verify-receipt", str(path), code=1).stderr
    assert run(env, "receipt", "--region", w.region, "--claim", "0x" + "00" * 32,
               code=3).exit_code == 3


# -- HTTP --------------------------------------------------------------------------------------


def test_http_export_is_for_auditors_and_streams_a_verifiable_bundle(
        region: tuple[World, dict[str, Any]], tmp_path: Path) -> None:
    w, s = region
    app = create_app(w.settings, w.regions)
    auth = app.state.services.auth
    with TestClient(app) as client:
        url = f"/v1/regions/{w.region}/export"
        assert client.get(url).status_code == 401
        member, _ = auth.new_session(s["alice"].address)
        refused = client.get(url, headers={"Authorization": f"Bearer {member}"})
        assert refused.status_code == 403 and "auditor" in refused.json()["detail"]
        auditor = _auditor(w)
        token, _ = auth.new_session(auditor)
        with client.stream("GET", url, headers={"Authorization": f"Bearer {token}"}) as res:
            assert res.status_code == 200 and res.headers["content-type"] == "application/zip"
            assert "attachment" in res.headers["content-disposition"]
            path = tmp_path / "http.zip"
            with path.open("wb") as f:
                for chunk in res.iter_bytes():
                    f.write(chunk)
        assert audit_bundle(path).log.size == w.regions.store.log_info(
            origin_for(w.region)).size
        res = client.get(f"/v1/regions/{w.region}/claims/{s['kept']}/receipt",
                         params={"member": s["alice"].address})
        assert res.status_code == 200
        assert verify_receipt(res.json()).claim == s["kept"]
        assert client.get(f"/v1/regions/{w.region}/claims/0x{'00' * 32}/receipt"
                          ).status_code == 404
        paths = app.openapi()["paths"]
        assert "/v1/regions/{region}/export" in paths
        assert "/v1/regions/{region}/claims/{claim}/receipt" in paths


def _auditor(w: World) -> str:
    with w.regions.store.engine.connect() as conn:  # type: ignore[attr-defined]
        rows = conn.execute(t.roles.select().where(t.roles.c.role == "auditor")).all()
    assert rows, "the demo seed grants the auditor role"
    return str(rows[0].address)


def test_not_a_bundle_is_a_format_error(tmp_path: Path) -> None:
    junk = tmp_path / "x.zip"
    with zipfile.ZipFile(junk, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(BundleFormatError, match="lacks"):
        BundleReader(junk)


def test_anchor_records_in_the_bundle(region: tuple[World, dict[str, Any]],
                                      bundle: Path) -> None:
    _, s = region
    with BundleReader(bundle) as b:
        assert b.json("anchors.json") == [s["anchor"]]


def test_an_entry_the_rules_cannot_apply_is_exported_and_named(small: World,
                                                              tmp_path: Path) -> None:
    w = small
    _, _, vera = people(w)
    [(seq, _)] = w.regions.append(w.region, [
        vera.sign("Review", claim="0x" + "ab" * 32, approve=True, reason="no such claim")])
    problems: list[str] = []
    path = tmp_path / "b.zip"
    with path.open("wb") as f:
        for chunk in export_region(w.regions.store, w.region, now=w.regions.clock(),
                                   problems=problems):
            f.write(chunk)
    assert problems and problems[0].startswith(f"entry {seq}:")
    fails(path, seq, "unknown-claim")


def test_the_first_fault_is_named_whichever_check_finds_it(small: World,
                                                          tmp_path: Path) -> None:
    w = small
    alice, bob, vera = people(w)
    claim = alice.sign("Claim", **claim_fields(w))
    w.domain.submit(w.region, [claim])
    review = vera.sign("Review", claim=claim_id(w, claim), approve=True, reason="ok")
    inflated = w.regions.service_signed(w.region, "Recognition", {
        "claim": claim_id(w, claim), "member": alice.address, "points": 99})
    _, (points_fault, _) = w.regions.append(w.region, [review, inflated])
    for n in range(600):  # more than a batch of the replay thread
        w.domain.submit(w.region, [bob.sign("Profile", displayName=f"Bob {n}",
                                            resident=bool(n % 2))])
    bundle = export_to(w, tmp_path / "b.zip")
    lines = entry_lines(bundle)
    for changed in (len(lines) - 1, 2):  # a signature fault after the points fault, and before
        tampered = list(lines)
        tampered[changed] = tampered[changed].replace(b'"displayName":"', b'"displayName":"~', 1)
        bad = rewrite(bundle, tmp_path / f"t{changed}.zip", {ENTRIES: joined(tampered)})
        fails(bad, min(changed, points_fault), "signature is by" if changed < points_fault
              else "99 points")
