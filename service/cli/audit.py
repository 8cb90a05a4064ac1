"""Audit commands: ``kakawari export``, ``kakawari audit verify``, ``kakawari audit
verify-receipt`` and ``kakawari receipt``.

Exit codes (also in ``kakawari audit --help`` and ``docs/audit-bundle.md``):

- 0 — verified (or exported);
- 1 — verification FAILED: the first fault is printed with its entry's seq;
- 2 — bad arguments;
- 3 — could not verify: the file is not a bundle or receipt of a version this verifier
  reads, a file or the chain could not be read, or the region does not exist.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from ledger.audit.chainview import AnchorReader, ClientFor, ContractError
from ledger.entry import origin_for
from ledger.errors import EntryError, VerificationError

__all__ = ["audit", "export", "receipt"]

EXIT_FAILED = 1  # as service.cli: a check ran and found a fault
EXIT_CANNOT = 3  # as service.cli: could not run


def region_id(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    try:
        origin_for(value)
    except EntryError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr when it is a terminal; silent otherwise."""
    if not sys.stderr.isatty():
        yield lambda done, total: None
        return
    bars: list[Any] = []

    def update(done: int, total: int) -> None:
        if not bars:
            bars.append(click.progressbar(length=max(total, 1), label=label, file=sys.stderr,
                                          show_pos=True, show_percent=True))
            bars[0].__enter__()
        bars[0].update(done - bars[0].pos)

    try:
        yield update
    finally:
        if bars:
            bars[0].__exit__(None, None, None)


@click.command("export")
@click.option("--region", required=True, callback=region_id, help="Region id, e.g. ama.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The bundle file to write (a ZIP).")
@click.option("--no-details", is_flag=True,
              help="Leave private details out (the views then say they are not included).")
@click.option("--size", type=click.IntRange(1), help="Export the log as of its signed "
              "checkpoint of this many entries (default: the latest).")
def export(region: str, out: Path, no_details: bool, size: int | None) -> None:
    """Write a region's audit bundle: every entry, the signed checkpoint, anchors,
    private details and CSV views. Verify it with `kakawari audit verify`."""
    from functools import partial

    from ..audit.export import export_region
    from ..domain.details import DetailsStore
    from ..regions import RegionError
    from ..witness import cosignature_lines
    from .base import opened

    with opened(keys=False) as c:
        if not c.regions.exists(region):
            raise RegionError(f"no region {region!r}")
        details = None if no_details else DetailsStore(c.settings.data_dir / "details")
        part = out.with_name(out.name + ".part")
        problems: list[str] = []
        try:
            with part.open("wb") as f, _progress("exporting") as progress:
                engine = c.regions.store.engine  # type: ignore[attr-defined]
                lines = partial(cosignature_lines, engine, region)
                for chunk in export_region(c.regions.store, region, now=c.regions.clock(),
                                           details=details, progress=progress,
                                           problems=problems, size=size, cosignatures=lines):
                    f.write(chunk)
            os.replace(part, out)
        finally:
            part.unlink(missing_ok=True)
        info = c.regions.store.log_info(origin_for(region))
    from ledger.audit.bundle import BundleReader

    with BundleReader(out) as bundle:
        m = bundle.manifest
    click.echo(f"exported {m.size} entries of {m.origin} to {out} "
               f"({out.stat().st_size / 1e6:.1f} MB; the log has {info.size} now)")
    click.echo(f"checkpoint root {m.root.hex()}; verify with: kakawari audit verify {out}")
    for problem in problems:
        click.echo(f"kakawari: warning: the recognition rules can't apply {problem}; the "
                   "views stop there (audit verify will name the fault)", err=True)


@click.group()
def audit() -> None:
    """Verify audit bundles and receipts offline, without trusting the operator.

    Exit codes: 0 verified; 1 verification failed (the first fault and its entry are
    printed); 2 bad arguments; 3 could not verify (not a bundle or receipt this version
    reads, unreadable file, chain unreachable).
    """


def _client_for(rpc: str | None) -> ClientFor | None:
    """Readers of anchor contracts on the chain at ``rpc`` (read-only: a throwaway key
    names the sender of calls)."""
    if rpc is None:
        return None
    from web3 import Web3
    from web3.providers import HTTPProvider

    from ledger.chain import Web3ChainClient

    from ..chain import ChainSession, ChainSetupError

    if not rpc.startswith(("http://", "https://")):
        raise click.BadParameter("the RPC URL must be http:// or https://", param_hint="--rpc")
    key = "0x" + secrets.token_bytes(32).hex()
    w3 = Web3(HTTPProvider(rpc, request_kwargs={"timeout": 30}))
    session = ChainSession(rpc, w3, key, Web3ChainClient(w3, key).chain_id)
    cache: dict[str, AnchorReader | ContractError] = {}

    def client_for(chain_id: int, contract: str) -> AnchorReader | None:
        if chain_id != session.chain_id:
            return None
        if contract not in cache:
            try:
                session.check_code("KakawariAnchor", contract)
                cache[contract] = session.client(contract)
            except ChainSetupError as exc:
                cache[contract] = ContractError(str(exc))
        found = cache[contract]
        if isinstance(found, ContractError):
            raise found
        return found

    return client_for


def _failed(exc: VerificationError, as_json: bool) -> None:
    where = f"entry {exc.seq}" if exc.seq is not None else "the bundle as a whole"
    if as_json:
        click.echo(json.dumps({"ok": False, "seq": exc.seq, "reason": exc.reason},
                              ensure_ascii=False))
    click.echo(f"FAILED at {where}: {exc.reason}", err=True)
    sys.exit(EXIT_FAILED)


@audit.command("verify")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--previous", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="An older bundle of the same region: its history must be unchanged.")
@click.option("--rpc", help="JSON-RPC URL of the chain the anchors are on: check them there.")
@click.option("--vkey", help="The region's checkpoint key as you know it (C2SP vkey); "
              "default: the one in the bundle's first entry.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable result on stdout.")
@click.option("--jobs", type=click.IntRange(1, 64), default=None,
              help="Processes checking signatures, this one included (default: one per "
                   "CPU; bundles under 20,000 entries use one).")
@click.option("--policy", "policy_file", type=click.File("rb"),
              help="A witness policy (C2SP tlog-policy): the bundle's checkpoint must be "
                   "signed by one of its logs and cosigned by its quorum.")
def audit_verify(bundle: Path, previous: Path | None, rpc: str | None, vkey: str | None,
                 as_json: bool, jobs: int | None, policy_file: Any) -> None:
    """Verify an audit bundle: every entry's form, signature and signer's authority,
    the tree against the signed checkpoint, anchors, an older bundle's history, and
    every member's points recomputed from the entries."""
    from ledger.parallel import default_jobs

    from ..audit.verify import audit_bundle

    policy = _policy(policy_file) if policy_file is not None else None
    client_for = _client_for(rpc)
    with _progress("verifying") as progress:
        try:
            report = audit_bundle(bundle, previous=previous, vkey=vkey, client_for=client_for,
                                  progress=progress, jobs=jobs or default_jobs())
            witnessed = _check_policy(policy, report) if policy is not None else None
        except VerificationError as exc:
            _failed(exc, as_json)
            return
    if as_json:
        out = _report_json(report)
        if witnessed is not None:
            out["witnessedBy"] = sorted(witnessed)
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for line in _report_lines(report):
        click.echo(line)
    if witnessed is not None and policy is not None:
        yes = ", ".join(sorted(witnessed)) or "no witness needed"
        click.echo(f"  witness policy met (quorum {policy.quorum}): cosigned by {yes}")


def _policy(file: Any) -> Any:
    from ledger.tlog_policy import PolicyError, parse_policy

    try:
        return parse_policy(file.read())
    except PolicyError as exc:
        raise click.BadParameter(str(exc), param_hint="--policy") from None


def _check_policy(policy: Any, report: Any) -> set[str]:
    """The policy's witnesses that cosigned; VerificationError unless the checkpoint's
    key is one of the policy's logs (when it lists any) and the quorum is met."""
    from ledger.tlog_policy import PolicyError

    note, key = report.log.checkpoint, report.log.facts.checkpoint_key
    from ledger.note import format_vkey

    if policy.logs and key not in {format_vkey(v) for v, _ in policy.logs}:
        raise VerificationError("the checkpoint key is not one of the policy's logs")
    try:
        witnessed: set[str] = policy.check(note)
    except PolicyError as exc:
        raise VerificationError(str(exc)) from None
    return witnessed


def _report_json(report: Any) -> dict[str, Any]:
    log, pts = report.log, report.points
    return {
        "ok": True, "origin": log.origin, "size": log.size, "root": "0x" + log.root.hex(),
        "checkpointKey": log.facts.checkpoint_key, "types": log.types,
        "anchors": log.anchors, "anchorsCheckedOnChain": log.anchors_on_chain,
        "chainLatest": [{"contract": c, "size": s, "root": "0x" + r.hex()}
                        for c, s, r in log.chain_latest],
        "previousSize": log.previous_size, "notes": log.notes,
        "members": pts.members, "points": pts.points, "claims": pts.claims,
        "recognitions": pts.recognitions, "decisions": pts.decisions,
        "policyVersion": pts.policy_version,
        "details": pts.details, "views": pts.views, "viewsMissing": pts.views_missing,
    }


def _report_lines(report: Any) -> Iterator[str]:
    log, pts = report.log, report.points
    types = ", ".join(f"{k} {v}" for k, v in sorted(log.types.items()))
    yield f"ok: {log.size} entries of {log.origin} verified; root 0x{log.root.hex()}"
    yield f"  checkpoint signed by {log.facts.checkpoint_key}"
    yield f"  every signature and signer's authority checked: {types}"
    if log.anchors:
        yield (f"  anchors: {log.anchors} recorded, each a prefix of this tree"
               + (f"; {log.anchors_on_chain} checked on chain" if log.anchors_on_chain
                  else ""))
    else:
        yield "  anchors: none recorded in this log"
    for contract, size, _ in log.chain_latest:
        yield f"  chain: latest anchor in {contract} covers {size} entries"
    if log.previous_size is not None:
        yield (f"  older bundle: its {log.previous_size} entries are unchanged here "
               "(RFC 9162 consistency proof verified)")
    claims = ", ".join(f"{k} {v}" for k, v in pts.claims.items()) or "none"
    yield (f"  points recomputed: {pts.members} members, {pts.points} lifetime points; "
           f"claims {claims}; {pts.recognitions} recognitions each as the policy in force "
           f"gives (latest policy v{pts.policy_version})")
    if pts.decisions:
        yield (f"  decisions recounted: {pts.decisions}, each equal to the count of the votes "
               "in the log")
    if pts.details is not None:
        yield f"  private details: {pts.details} match their hashes; none erased is included"
    yield f"  views equal to the recomputation: {', '.join(pts.views) or 'none in the bundle'}"
    for note in log.notes:
        yield f"  note: {note}"


@audit.command("fetch")
@click.argument("url")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The bundle file to write (a ZIP).")
@click.option("--vkey", help="The region's checkpoint key as you know it (C2SP vkey); "
              "default: the one entry 0 names.")
def audit_fetch(url: str, out: Path, vkey: str | None) -> None:
    """Build an audit bundle from a log's tiles alone: URL is the log prefix
    (https://host/logs/<region>) or a directory `kakawari log publish` wrote. Every
    tile is checked against the signed checkpoint on the way (exit 1 if one is not,
    3 if the log can't be read)."""
    import time

    from ..audit.fetch import FetchError, FetchUnavailable, fetch_bundle

    try:
        with _progress("fetching") as progress:
            log = fetch_bundle(url, out, now=int(time.time()), vkey=vkey, progress=progress)
    except FetchUnavailable as exc:
        click.echo(f"kakawari: {exc}", err=True)
        sys.exit(EXIT_CANNOT)
    except FetchError as exc:
        click.echo(f"FAILED: {exc}", err=True)
        sys.exit(EXIT_FAILED)
    click.echo(f"fetched {log.cp.size} entries of {log.origin} from {log.fetched} tiles and "
               f"entry bundles into {out}; verify with: kakawari audit verify {out}")


@audit.command("verify-receipt")
@click.argument("file", type=click.File("rb"))
@click.option("--rpc", help="JSON-RPC URL of the anchor's chain: check the proofs there too.")
@click.option("--vkey", help="The region's checkpoint key as you know it (C2SP vkey).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable result on stdout.")
def audit_verify_receipt(file: Any, rpc: str | None, vkey: str | None, as_json: bool) -> None:
    """Verify a member's receipt offline (and with --rpc, by the anchor contract's
    verifyInclusion on chain)."""
    from ledger.audit.bundle import BundleFormatError
    from ledger.audit.receipt import verify_receipt

    try:
        data = json.loads(file.read())
    except ValueError as exc:
        raise BundleFormatError(f"the receipt is not JSON: {exc}") from None
    try:
        summary = verify_receipt(data, vkey=vkey, client_for=_client_for(rpc))
    except VerificationError as exc:
        _failed(exc, as_json)
        return
    if rpc is not None and not summary.checked_on_chain:
        why = "; ".join(summary.notes) or "no anchor"
        click.echo(f"kakawari: the receipt verifies offline, but can't be checked on chain: "
                   f"{why}", err=True)
        sys.exit(EXIT_CANNOT)
    lines = list(_receipt_lines(summary))
    if as_json:
        out: dict[str, Any] = {
            "ok": True, "origin": summary.origin, "claim": summary.claim,
            "size": summary.size, "root": "0x" + summary.root.hex(),
            "checkedOnChain": summary.checked_on_chain, "summary": lines}
        if data.get("record") is not None:  # a record receipt (issue 16)
            out.pop("claim")
            out["record"] = summary.claim
        if summary.vote is not None:
            v = summary.vote
            out.pop("claim")
            out.update(proposal=v.proposal, voter=v.voter, ballot=v.ballot, votes=v.votes,
                       decided=v.decision is not None, decisionSeq=v.decision_seq)
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for line in lines:
        click.echo(line)


def _receipt_lines(s: Any) -> Iterator[str]:
    yield (f"ok: {len(s.entries)} entries of {s.origin} ({s.facts.name}) are in its signed "
           f"tree of {s.size} entries; root 0x{s.root.hex()}")
    for e in s.of_type("Claim"):
        m = e.message
        yield (f"  claim {s.claim} (entry {e.seq}): {m['title']!r} by {m['contributor']}, "
               f"{m['category']}, {m['minutes']} min")
    for e in s.of_type("Review"):
        m = e.message
        verdict = "approved" if m["approve"] else "rejected"
        yield f"  entry {e.seq}: {verdict} by {m['reviewer']}: {m['reason']!r}"
    for e in s.of_type("Recognition"):
        yield f"  entry {e.seq}: {e.message['points']} points to {e.message['member']}"
    for kind in ("Revocation", "Reinstatement"):
        for e in s.of_type(kind):
            yield f"  entry {e.seq}: {kind.lower()} by {e.signer}: {e.message['reason']!r}"
    for e in s.of_type("RecordLink"):
        m = e.message
        yield (f"  entry {e.seq}: {m['member']} {'lets' if m['shown'] else 'no longer lets'} "
               f"{m['partner']} show this record to {m['partnerMember']}")
    for e in s.of_type("RecordSummary"):
        m = e.message
        yield (f"  entry {e.seq}: record of {m['member']}: level {m['level']}, "
               f"{m['recognised']} recognised activities, {m['points']} lifetime points "
               f"(months: {m['months'] or 'none'}); recomputed by an audit of the bundle")
    v = s.vote
    if v is not None:
        yield f"  proposal {v.proposal}: {v.title!r} ({v.method})"
        for e in s.of_type("Vote"):
            yield f"  entry {e.seq}: vote by {v.voter}: {_ballot_words(v, e.message['ballot'])}"
        counted = _ballot_words(v, v.ballot)
        if v.decision is None:
            yield (f"  not decided yet: the last of these votes ({counted}) is the one that "
                   "counts unless she votes again before closing")
        else:
            d = v.decision
            won = ", ".join(v.choices[i] for i in d.get("winners", [])) or "none"
            yield (f"  entry {v.decision_seq}: decision — her last vote ({counted}) is among "
                   f"the {d['votes']} votes counted; winners: {won}; "
                   f"{'passed' if d.get('passed') else 'not passed'}")
            yield ("  (that every vote is counted right: kakawari audit verify on the "
                   "region's bundle)")
    if s.anchor is not None:
        where = "checked on chain" if s.checked_on_chain else "not checked on chain"
        yield (f"  anchored on chain {s.anchor['chainId']} in {s.anchor['contract']} "
               f"({where})")
    for note in s.notes:
        yield f"  note: {note}"


def _ballot_words(v: Any, ballot: list[int]) -> str:
    names = [v.choices[i] if 0 <= i < len(v.choices) else str(i) for i in ballot]
    if not names:
        return "an empty ballot"
    return (" > " if v.method == "ranked" else ", ").join(names)


@click.command()
@click.option("--region", required=True, callback=region_id)
@click.option("--claim", help="The claim id (0x + 64 hex digits).")
@click.option("--member", help="The member the receipt is for (their points are stated).")
@click.option("--proposal", help="A voter's receipt instead: the proposal id (with --voter).")
@click.option("--voter", help="The voter's address (with --proposal).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the receipt here (default: standard output).")
def receipt(region: str, claim: str | None, member: str | None, proposal: str | None,
            voter: str | None, out: Path | None) -> None:
    """A member's receipt of one contribution (--claim): its entries with inclusion
    proofs, the signed checkpoint and the anchor; or a voter's (--proposal, --voter):
    the proposal, her votes on it and its decision. Anyone can check it with `kakawari
    audit verify-receipt`, offline or on chain."""
    from ..audit.receipts import claim_receipt, vote_receipt
    from ..regions import RegionError
    from .base import opened

    if (claim is None) == (proposal is None):
        raise click.UsageError("give --claim, or --proposal with --voter")
    if proposal is not None and (voter is None or member is not None):
        raise click.UsageError("a voter's receipt takes --proposal and --voter (not --member)")
    with opened(keys=False) as c:
        if not c.regions.exists(region):
            raise RegionError(f"no region {region!r}")
        engine = c.regions.store.engine  # type: ignore[attr-defined]
        with engine.connect() as conn:
            if proposal is not None:
                assert voter is not None
                data = vote_receipt(c.regions.store, conn, region, proposal, voter,
                                    c.regions.facts(region).name)
            else:
                assert claim is not None
                data = claim_receipt(c.regions.store, conn, region, claim, member,
                                     c.regions.facts(region).name)
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    what = f"claim {claim}" if proposal is None else f"{voter}'s votes on proposal {proposal}"
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        click.echo(f"receipt of {what} ({len(data['entries'])} entries) written to {out}",
                   err=True)
