"""How fast can someone guess a walletless member's passphrase? (issue 13, 17)

Builds a region with one managed member (redeemed invitation, the default scrypt cost)
in a temporary directory, then posts wrong passphrases to ``/v1/regions/ama/accounts/
login`` from one client for a fixed time, through the real app in this process
(TestClient: no network), and prints:

- requests/s: answers of any kind;
- guesses/s: answers in which a passphrase was actually checked (401 ``bad-login``);
  refusals by the rate limit (429) are not guesses;
- the share of 429s, and the guesses a lockout allows in a day at most.

Also times sign-in with an unknown address against a known one (median of a few
each): with constant-cost answers the two are about the same.

Run: ``.venv/bin/python scripts/bench_guess.py [--seconds 10]`` (not part of CI).
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any


def build(tmp: Path) -> tuple[Any, str, str]:
    """(test client, region, managed member's address)."""
    from fastapi.testclient import TestClient

    from ledger import eip712
    from ledger.messages import MESSAGE_TYPES
    from service.accounts import code_hash
    from service.api.app import create_app
    from service.config import Settings
    from service.db import open_database
    from service.keyring import Keyring
    from service.regions import Regions

    settings = Settings(data_dir=tmp / "data", passphrase="bench-pass")
    settings.data_dir.mkdir(parents=True)
    regions = Regions(open_database(settings.db_url), Keyring(settings, b"bench-pass"))
    admin = secrets.token_bytes(32)
    regions.create("ama", "Bench", eip712.address_of(admin))
    client = TestClient(create_app(settings, regions))
    client.__enter__()

    def signed(type_: str, **fields: Any) -> dict[str, Any]:
        mtype = MESSAGE_TYPES[type_]
        message = eip712.normalize_message(mtype, {
            "region": "ama", "nonce": secrets.randbits(53), "issuedAt": int(time.time()),
            mtype.signer_field: eip712.address_of(admin), **fields})
        domain = eip712.Domain(settings.chain_id)
        return {"message": message, "signature": eip712.sign_message(admin, domain, mtype,
                                                                      message)}

    assert client.post("/v1/regions/ama/members",
                       json=signed("Join", displayName="admin")).status_code == 201
    code = "bench-" + secrets.token_hex(8)
    r = client.post("/v1/regions/ama/invitations", json=signed(
        "Invitation", codeHash=code_hash(code), expiresAt=int(time.time()) + 3600))
    assert r.status_code == 201, r.text
    r = client.post("/v1/regions/ama/accounts", json={
        "code": code, "displayName": "Sato", "passphrase": "the right passphrase"})
    assert r.status_code == 201, r.text
    return client, "ama", str(r.json()["address"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        client, region, address = build(Path(tmp))
        url = f"/v1/regions/{region}/accounts/login"

        def login(who: str) -> int:
            return int(client.post(url, json={"address": who,
                                              "passphrase": secrets.token_hex(6)}).status_code)

        # constant cost: unknown vs known address (before the guessing locks the account)
        known, unknown = [], []
        for _ in range(3):
            for who, into in ((address, known), ("0x" + secrets.token_hex(20), unknown)):
                start = time.perf_counter()
                login(who)
                into.append(time.perf_counter() - start)
        statuses: dict[int, int] = {}
        start = time.perf_counter()
        while time.perf_counter() - start < args.seconds:
            status = login(address)
            statuses[status] = statuses.get(status, 0) + 1
        elapsed = time.perf_counter() - start
        total = sum(statuses.values())
        checked = statuses.get(401, 0)
        print(f"{total} requests in {elapsed:.1f} s: {total / elapsed:.1f} requests/s, "
              f"{checked / elapsed:.2f} passphrase guesses/s ({checked} checked), "
              f"answers {dict(sorted(statuses.items()))}")
        print(f"sign-in answer time, median of 3: known address "
              f"{1000 * statistics.median(known):.1f} ms, unknown "
              f"{1000 * statistics.median(unknown):.1f} ms")
        try:
            from service.ratelimit import RULES
        except ImportError:
            print("no rate limits in this version: guessing is bounded by scrypt alone, "
                  f"~{86_400 * checked / elapsed:.0f} guesses a day per account")
        else:
            rule = RULES["login-account"]
            print(f"rate limit: {rule.limit} failures per account per {rule.window} s, then "
                  f"{rule.lockout} s locked: at most "
                  f"{86_400 // rule.lockout * rule.limit} guesses a day per account")
        client.__exit__(None, None, None)


if __name__ == "__main__":
    main()
