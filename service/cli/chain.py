"""Chain commands: ``kakawari chain deploy``, ``kakawari anchor``, ``kakawari anchors``.

Each needs a chain (``--rpc URL`` or ``KAKAWARI_CHAIN_RPC_URL``); without one they say
how to configure it and exit 3. ``anchors --offline`` checks the recorded anchors
against the local log only.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

import click

from ledger.anchoring import (
    AnchorCheck,
    AnchoringError,
    AnchorOutcome,
    AnchorRecord,
    ChainStatus,
    ForkError,
    chain_status,
    check_anchors,
    reanchored,
)
from ledger.chain import ChainClient, Web3ChainClient
from ledger.entry import origin_for

from ..chain import (
    ChainSession,
    ChainSetupError,
    anchor_client,
    anchor_region,
    connect,
    deploy,
    find_deployment,
    note_registration,
)
from ..config import load_settings
from ..regions import RegionError
from ..scheduler import AnchorLock, record_run

RPC_HELP = "JSON-RPC URL of the chain (default: KAKAWARI_CHAIN_RPC_URL)."


def _region(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from .base import region_id

    return region_id(ctx, param, value)


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _warn_development(session: ChainSession) -> None:
    if session.development:
        click.echo(f"kakawari: warning: {session.development}; anchors on it prove nothing "
                   "to anyone else", err=True)


@click.group("chain")
def chain() -> None:
    """The EVM chain that region logs are anchored on."""


@chain.command("deploy")
@click.option("--rpc", metavar="URL", help=RPC_HELP)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--replace", is_flag=True,
              help="Deploy even if the chain's record points at live contracts.")
def chain_deploy(rpc: str | None, as_json: bool, replace: bool) -> None:
    """Deploy the anchor and badge contracts and record their addresses for the chain
    (<data dir>/deployments/<chainId>.json)."""
    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    session = connect(settings, rpc)
    _warn_development(session)
    deployment, record, previous = deploy(settings, session, replace=replace)
    if as_json:
        click.echo(json.dumps({
            "chainId": deployment.chain_id,
            "anchor": deployment.anchor,
            "badge": deployment.badge,
            "block": deployment.block,
            "deployer": session.address,
            "record": str(record.path),
            "development": session.development is not None,
            "replaced": None if previous is None else previous.anchor,
        }, indent=2))
        return
    click.echo(f"deployed on chain {deployment.chain_id}")
    click.echo(f"KakawariAnchor:   {deployment.anchor}")
    click.echo(f"RecognitionBadge: {deployment.badge}")
    click.echo(f"block:            {deployment.block}")
    click.echo(f"deployer:         {session.address} (badge admin and minter)")
    click.echo(f"record:           {record.path}")
    if previous is not None:
        click.echo(f"replaced:         {previous.anchor} (recorded in {previous.path})")


@click.command("anchor")
@click.option("--region", required=True, callback=_region, help="Region id, e.g. ama.")
@click.option("--rpc", metavar="URL", help=RPC_HELP)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def anchor(region: str, rpc: str | None, as_json: bool) -> None:
    """Anchor the region's latest signed checkpoint on chain and record it in the log.

    The first anchor registers the log (this account owns it and may anchor it). An
    anchor that reached the chain but was not recorded (a crash) is recorded, not sent
    again. Exit 1 if the chain holds another root for this log (a fork)."""
    from .base import EXIT_FAILED, fail, opened

    with opened(keys=True) as c:
        if not c.regions.exists(region):
            raise RegionError(f"no region {region!r}")
        session = connect(c.settings, rpc)
        _warn_development(session)
        client = anchor_client(c.settings, session)
        engine = c.regions.store.engine  # type: ignore[attr-defined]
        with AnchorLock(engine, c.settings.data_dir).held() as mine:
            if not mine:
                fail("another anchoring run (kakawari serve's schedule or another kakawari "
                     "anchor) is under way on this database; try again when it is done")
            now = int(time.time())
            try:
                outcome = anchor_region(c.regions, c.domain, client, region)
            except ForkError as exc:
                record_run(engine, region, now, error=f"ForkError: {exc}")
                fail(f"refused: {exc}", EXIT_FAILED)
                return
            except Exception as exc:
                record_run(engine, region, now, error=f"{type(exc).__name__}: {exc}")
                raise
            record_run(engine, region, now, outcome=outcome)
        if outcome.registered:
            note_registration(c.settings, session.chain_id, outcome.anchor.contract,
                              outcome.origin, outcome.log_id, session.address)
    _print_outcome(outcome, session, as_json)


def _record_json(rec: AnchorRecord) -> dict[str, Any]:
    return {"chainId": rec.chain_id, "contract": rec.contract, "txHash": _hex(rec.tx_hash),
            "block": rec.block_number, "size": rec.size, "root": _hex(rec.root)}


def _print_outcome(o: AnchorOutcome, session: ChainSession, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({
            "status": o.status, "origin": o.origin, "logId": _hex(o.log_id),
            **_record_json(o.anchor), "gas": o.gas_used, "seq": o.seq,
            "registered": o.registered,
            "lost": [{"seq": x.seq, **_record_json(x.record)} for x in o.lost],
            "recovered": None if o.recovered is None else
            {"seq": o.recovered.seq, **_record_json(o.recovered.record)},
            "development": session.development is not None,
        }, indent=2))
        return
    if o.registered:
        click.echo(f"registered {o.origin} (logId {_hex(o.log_id)}) on chain "
                   f"{o.anchor.chain_id}; owner and anchorer {session.address}")
    for lost in o.lost:
        r = lost.record
        click.echo(f"the anchor recorded at entry {lost.seq} (size {r.size}, tx "
                   f"{_hex(r.tx_hash)}) is no longer on chain (a reorg, or a restarted node): "
                   "anchoring again")
    if o.recovered is not None:
        r = o.recovered.record
        click.echo(f"recorded an anchor that was on chain but not in the log: size {r.size}, "
                   f"tx {_hex(r.tx_hash)} (entry {o.recovered.seq})")
    headline = {
        "anchored": f"anchored {o.origin} at size {o.anchor.size}",
        "recovered": f"{o.origin} is anchored at size {o.anchor.size}; nothing new to anchor",
        "already-anchored": f"already anchored: {o.origin} has nothing new since size "
                            f"{o.anchor.size}",
    }[o.status]
    click.echo(headline)
    a = o.anchor
    click.echo(f"chain id:  {a.chain_id}")
    click.echo(f"contract:  {a.contract}")
    click.echo(f"tx hash:   {_hex(a.tx_hash)}")
    click.echo(f"block:     {a.block_number}")
    click.echo(f"size:      {a.size}")
    click.echo(f"root:      {_hex(a.root)}")
    click.echo(f"gas:       {o.gas_used if o.gas_used is not None else '- (no transaction sent)'}")
    click.echo(f"entry:     {o.seq} (Anchor)")


@click.command("anchors")
@click.option("--region", required=True, callback=_region, help="Region id, e.g. ama.")
@click.option("--rpc", metavar="URL", help=RPC_HELP)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--offline", is_flag=True,
              help="Check against the local log only, without a chain.")
def anchors(region: str, rpc: str | None, as_json: bool, offline: bool) -> None:
    """List the region's recorded anchors and check each: the contract's rootAt(size)
    and the log's own root at that size must both equal the recorded root. Exit 1 if
    any differs, or if the chain holds another root for this log."""
    from .base import EXIT_FAILED, opened

    origin = origin_for(region)
    status: ChainStatus | None = None
    with opened(keys=False) as c:
        if not c.regions.exists(region):
            raise RegionError(f"no region {region!r}")
        store = c.regions.store
        session = None if offline else connect(c.settings, rpc, signing=False)
        if session is not None:
            _warn_development(session)
            if find_deployment(c.settings, session.chain_id) is not None:
                try:
                    current = anchor_client(c.settings, session)
                except ChainSetupError as exc:  # each anchor's own check says so too
                    click.echo(f"kakawari: {exc}", err=True)
                else:
                    status = chain_status(store, current, origin)
        checks = list(check_anchors(store, origin,
                                    None if session is None else _clients(session)))
    again = reanchored(checks)
    failed = any(not ch.ok and ch.seq not in again for ch in checks) or (
        status is not None and status.forked)
    if as_json:
        click.echo(json.dumps({
            "region": region, "origin": origin, "ok": not failed,
            "chain": None if status is None else _status_json(status),
            "anchors": [{**_check_json(ch), "anchoredAgainBy":
                         again[ch.seq].seq if ch.seq in again else None} for ch in checks],
        }, indent=2))
    else:
        _print_checks(origin, checks, status, session, again)
    if failed:
        sys.exit(EXIT_FAILED)


def _clients(session: ChainSession) -> Any:
    """The client for each recorded anchor contract on the session's chain."""
    cache: dict[str, ChainClient | AnchoringError] = {}

    def client_for(chain_id: int, contract: str) -> ChainClient | None:
        if chain_id != session.chain_id:
            return None
        if contract not in cache:
            try:
                session.check_code("KakawariAnchor", contract)
                client: Web3ChainClient | AnchoringError = session.client(contract)
            except ChainSetupError as exc:
                client = AnchoringError(str(exc))
            cache[contract] = client
        found = cache[contract]
        if isinstance(found, AnchoringError):
            raise found
        return found

    return client_for


def _check_json(ch: AnchorCheck) -> dict[str, Any]:
    return {"seq": ch.seq, **_record_json(ch.record), "checkedOnChain": ch.checked_on_chain,
            "chainRoot": None if ch.chain_root is None else _hex(ch.chain_root),
            "logRoot": None if ch.log_root is None else _hex(ch.log_root),
            "ok": ch.ok, "problems": list(ch.problems)}


def _status_json(s: ChainStatus) -> dict[str, Any]:
    return {"chainId": s.chain_id, "contract": s.contract, "size": s.size,
            "root": _hex(s.root), "forked": s.forked,
            "recordedAt": None if s.recorded is None else s.recorded.seq}


def _print_checks(origin: str, checks: list[AnchorCheck], status: ChainStatus | None,
                  session: ChainSession | None, again: dict[int, AnchorCheck]) -> None:
    if not checks:
        click.echo(f"no anchors recorded in {origin}")
    for ch in checks:
        r = ch.record
        if ch.seq in again:
            later = again[ch.seq]
            click.echo(f"entry {ch.seq}: size {r.size} chain {r.chain_id} tx {_hex(r.tx_hash)}: "
                       "no longer on chain (a reorg, or a restarted node, dropped its "
                       f"transaction); anchored again by entry {later.seq} at size "
                       f"{later.record.size}, which contains it")
            continue
        if not ch.ok:
            verdict = "MISMATCH"
        elif ch.checked_on_chain:
            verdict = "ok"
        elif session is None:
            verdict = "ok in the log (chain not checked: --offline)"
        else:
            verdict = f"ok in the log (chain {r.chain_id} not checked: connected to " \
                      f"{session.chain_id})"
        click.echo(f"entry {ch.seq}: size {r.size} root {_hex(r.root)} chain {r.chain_id} "
                   f"contract {r.contract} block {r.block_number} tx {_hex(r.tx_hash)}: "
                   f"{verdict}")
        for problem in ch.problems:
            click.echo(f"    {problem}")
    if status is not None:
        if status.size == 0:
            click.echo(f"chain {status.chain_id}: {origin} has no anchor in {status.contract}")
        elif status.forked:
            mine = "none (the log is shorter)" if status.log_root is None \
                else _hex(status.log_root)
            click.echo(f"FORK: chain {status.chain_id} holds root {_hex(status.root)} at size "
                       f"{status.size}; this log's root there is {mine}")
        elif status.recorded is None:
            click.echo(f"chain {status.chain_id}: latest anchor size {status.size} is not "
                       "recorded in the log yet; `kakawari anchor` records it")
        else:
            click.echo(f"chain {status.chain_id}: latest anchor size {status.size}, recorded "
                       f"at entry {status.recorded.seq}")
    bad = sum(not ch.ok and ch.seq not in again for ch in checks)
    lost = f", {len(again)} lost from the chain and anchored again" if again else ""
    click.echo(f"{len(checks)} anchors, {bad} mismatched{lost}")
