"""Small pure pieces of issue 13: which lost anchors a later one covers, request ids,
and the JSON log line."""

from __future__ import annotations

import json
import logging

from ledger.anchoring import AnchorCheck, AnchorRecord, reanchored
from service.logs import REQUEST_ID, JsonFormatter, request_id

C = "0x" + "ab" * 20


def check(seq: int, size: int, *, on_chain: bool, chain_id: int = 1, ok_log: bool = True,
          contract: str = C) -> AnchorCheck:
    root = bytes([size]) * 32
    rec = AnchorRecord(chain_id, contract, b"\x01" * 32, 10, size, root)
    problems = () if on_chain and ok_log else ("x",)
    return AnchorCheck(seq, rec, True, root if on_chain else None,
                       root if ok_log else b"\x00" * 32, problems)


def test_a_lost_anchor_counts_as_anchored_again_only_under_a_later_sound_one() -> None:
    lost, later = check(5, 5, on_chain=False), check(9, 9, on_chain=True)
    assert reanchored([lost, later]) == {5: later}
    assert reanchored([lost]) == {}  # nothing covers it: still a failure
    assert reanchored([later, lost]) == {}  # an earlier anchor covers nothing later
    other_chain = check(9, 9, on_chain=True, chain_id=2)
    assert reanchored([lost, other_chain]) == {}
    wrong_root = check(5, 5, on_chain=False, ok_log=False)
    assert reanchored([wrong_root, later]) == {}  # the log itself disagrees: not lost


def test_request_ids_are_taken_only_when_sane() -> None:
    assert request_id("abc-1.2:3_x") == "abc-1.2:3_x"
    for bad in (None, "", "has space", "x" * 129, "semi;colon", "ü"):
        fresh = request_id(bad)
        assert fresh != bad and len(fresh) == 32


def test_json_log_lines_carry_the_request_id_and_extra_fields() -> None:
    record = logging.LogRecord("kakawari.access", logging.INFO, __file__, 1, "GET %s", ("/x",),
                               None)
    record.status = 201
    token = REQUEST_ID.set("req-1")
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        REQUEST_ID.reset(token)
    assert line["message"] == "GET /x" and line["requestId"] == "req-1"
    assert line["status"] == 201 and line["level"] == "info"
    assert json.loads(JsonFormatter().format(record)).get("requestId") is None
