"""The web app reads and hashes codes exactly as the service does (service/codes.py and
service/static/js/codes.js), for codes however they were typed."""

from __future__ import annotations

import json
import shutil
import subprocess

from service.codes import code_hash, new_code, normalize_code
from tests.conftest import REPO, skip_or_fail

SCRIPT = """
globalThis.crypto ??= (await import('node:crypto')).webcrypto;
const { normalizeCode, codeHash, newCode } = await import(process.argv[1]);
const inputs = JSON.parse(process.argv[2]);
const out = [];
for (const s of inputs) out.push([normalizeCode(s), await codeHash(s)]);
out.push([newCode(), null]);
console.log(JSON.stringify(out));
"""


def test_the_browser_and_the_service_read_codes_alike() -> None:
    node = shutil.which("node")
    if node is None:
        skip_or_fail("node is needed (scripts/setup installs it)")
    code = new_code()
    inputs = [code, code.lower().replace("-", " "), "Ｋ７ＱＭ－３ＷＸＰ－９ＲＴＤ",
              "oil-OIL ー x_y",
              "\u3000k7qm\u30003wxp\u30009rtd\u3000", "umi-a1b2c3"]
    done = subprocess.run([node, "--input-type=module", "-e", SCRIPT,
                           str(REPO / "service/static/js/codes.js"), json.dumps(inputs)],
                          capture_output=True, text=True, timeout=60, check=True)
    *pairs, (fresh, _) = json.loads(done.stdout)
    assert pairs == [[normalize_code(s), code_hash(s)] for s in inputs]
    assert len(fresh) == 14 and normalize_code(fresh) == fresh.replace("-", "")
