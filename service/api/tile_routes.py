"""The log as C2SP ``tlog-tiles``: ``GET /logs/<region>/checkpoint``, ``/tile/...``.

The prefix of region ``ama``'s log is ``<server>/logs/ama``. The checkpoint is the
latest signed checkpoint with the cosignatures its partners' witnesses returned; it
may be cached for a few seconds only. Tiles and entry bundles are immutable (a
partial tile of width W never changes either) and cached for a year. Entry bundles
are gzip-compressed when the client accepts gzip. Everything here is public: it is
the same log anyone can check with ``kakawari audit fetch``.
"""

from __future__ import annotations

import gzip

from fastapi import APIRouter, Request, Response

from ledger.errors import TileError
from ledger.tiles import parse_tile_path

from ..tiles import served_checkpoint, tile_data, tile_in_tree
from .deps import RegionDep, ServicesDep
from .problems import Problem

router = APIRouter(prefix="/logs", tags=["tiles"])

CHECKPOINT_CACHE = "public, max-age=5"
TILE_CACHE = "public, max-age=31536000, immutable"
OCTETS = "application/octet-stream"


@router.get(
    "/{region}/checkpoint",
    response_class=Response,
    responses={200: {"content": {"text/plain; charset=utf-8": {"schema": {"type": "string"}}},
                     "description": "The signed checkpoint with its cosignatures"}},
)
def checkpoint(region: RegionDep, svc: ServicesDep) -> Response:
    """The log's checkpoint (C2SP tlog-checkpoint, a signed note) with witness
    cosignatures. Not cached beyond a few seconds."""
    from ..witness import cosignature_lines

    note = served_checkpoint(svc.regions.store, f"kakawari/{region}",
                             lambda size: cosignature_lines(svc.engine, region, size))
    if note is None:
        raise Problem(404, "no-checkpoint", "No checkpoint yet", "This log is empty.")
    return Response(note.encode("utf-8"), media_type="text/plain; charset=utf-8",
                    headers={"Cache-Control": CHECKPOINT_CACHE})


@router.get(
    "/{region}/tile/{path:path}",
    response_class=Response,
    responses={200: {"content": {OCTETS: {"schema": {"type": "string", "format": "binary"}}},
                     "description": "A tile (hashes) or entry bundle (tlog-tiles)"}},
)
def tile(region: RegionDep, path: str, request: Request, svc: ServicesDep) -> Response:
    """A tile ``tile/<L>/<N>[.p/<W>]`` or entry bundle ``tile/entries/<N>[.p/<W>]`` of the
    tree of the latest checkpoint, ``N`` as 3-digit elements (``x001/x234/067``)."""
    try:
        wanted = parse_tile_path("tile/" + path)
    except TileError as exc:
        raise Problem(404, "no-tile", "No such tile", str(exc)) from None
    origin = f"kakawari/{region}"
    store = svc.regions.store
    size = store.log_info(origin).size
    if not tile_in_tree(wanted, size):
        raise Problem(404, "no-tile", "No such tile",
                      f"The tree of {size} entries has no {wanted.path()}.")
    data = tile_data(store, origin, wanted, size)
    headers = {"Cache-Control": TILE_CACHE}
    if wanted.level is None:
        headers["Vary"] = "Accept-Encoding"
        if "gzip" in request.headers.get("accept-encoding", ""):
            data = gzip.compress(data, 6, mtime=0)
            headers["Content-Encoding"] = "gzip"
    return Response(data, media_type=OCTETS, headers=headers)
