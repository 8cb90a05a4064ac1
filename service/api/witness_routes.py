"""``POST /witness/add-checkpoint``: this server's witness, C2SP ``tlog-witness``.

The body and answers are the spec's, not the JSON API's: 200 with cosignature lines,
409 with ``text/x.tlog.size`` (the size last cosigned and a newline), 400/403/404/422
with a one-line reason in plain text, 503 when the witness keys are not available.
Not in the OpenAPI document: it is a protocol endpoint with its own media types (see
``docs/witnessing.md``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from ledger.witness import Refusal

from ..keyring import KeyringError
from ..witness import Witness
from .deps import ServicesDep

router = APIRouter(prefix="/witness", tags=["witness"])

TEXT = "text/plain; charset=utf-8"


@router.post("/add-checkpoint", include_in_schema=False)
async def add_checkpoint(request: Request, svc: ServicesDep) -> Response:
    body = await request.body()
    witness = Witness(svc.regions, svc.engine)
    try:
        from starlette.concurrency import run_in_threadpool

        lines = await run_in_threadpool(witness.add_checkpoint, body)
    except Refusal as r:
        if r.status == 409:
            # exactly the spec's media type (Starlette would add "; charset=utf-8")
            return Response(f"{r.size}\n", status_code=409,
                            headers={"Content-Type": "text/x.tlog.size"})
        return Response(r.reason + "\n", status_code=r.status, media_type=TEXT)
    except KeyringError as exc:
        return Response(f"the witness keys are not available: {exc}\n", status_code=503,
                        media_type=TEXT)
    return Response(lines, media_type=TEXT)


@router.get("/{origin_hash}/checkpoint", include_in_schema=False)
def monitor_checkpoint(origin_hash: str, svc: ServicesDep) -> Response:
    """tlog-witness monitor retrieval: the latest checkpoint cosigned for the log whose
    origin hashes (SHA-256, lowercase hex) to ``origin_hash``, with its cosignatures."""
    note = Witness(svc.regions, svc.engine).checkpoint_by_hash(origin_hash)
    if note is None:
        return Response("this witness has never cosigned that log\n", status_code=404,
                        media_type=TEXT)
    return Response(note, media_type=TEXT, headers={"Cache-Control": "public, max-age=5"})
