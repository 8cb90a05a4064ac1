"""The log as static tiles, C2SP ``tlog-tiles`` (https://c2sp.org/tlog-tiles).

A tile is 1..256 consecutive Merkle Tree Hashes at one tree height. Tile ``n`` of tile
level ``l`` holds, for ``i`` in ``0..255``::

    MTH(D[(n * 256 + i) * 256**l : (n * 256 + i + 1) * 256**l])

which is the complete subtree node ``(8 * l, n * 256 + i)`` of :mod:`ledger.subtree`
(tree level ``8 * l``; level 0 is the leaf hashes). A *full* tile is 256 hashes (8,192
bytes); the rightmost tile of each level of a tree of size ``s`` is *partial*, of width
``floor(s / 256**l) mod 256``, and is never hashed into the level above. Entry bundles
(``tile/entries/<N>``) are the entries of the level-0 tile ``N``, each as a big-endian
uint16 length and the entry's bytes.

Paths (relative to the log's prefix): ``tile/<L>/<N>[.p/<W>]`` and
``tile/entries/<N>[.p/<W>]``, with ``N`` in zero-padded 3-digit elements, all but the
last prefixed ``x`` (1234067 -> ``x001/x234/067``).

Pure: no I/O. Every malformed input raises :class:`~ledger.errors.TileError`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from . import merkle, subtree
from .errors import TileError

__all__ = [
    "HASH_SIZE",
    "HEIGHT",
    "MAX_BUNDLE_ENTRY",
    "MAX_LEVEL",
    "WIDTH",
    "Tile",
    "TileChecker",
    "decode_bundle",
    "decode_hashes",
    "encode_bundle",
    "encode_hashes",
    "encode_index",
    "new_tiles",
    "parse_tile_path",
    "partial_tiles",
    "tile_hash",
    "tile_width",
]

HEIGHT = 8
"""Tree levels a tile spans."""

WIDTH = 1 << HEIGHT
"""Hashes in a full tile (256)."""

HASH_SIZE = 32
MAX_LEVEL = 63
"""Largest tile level a path may name."""

MAX_BUNDLE_ENTRY = 0xFFFF
"""Largest entry an entry bundle can hold (its uint16 length prefix)."""

_MAX_SIZE = 2**64 - 1
_LEVEL = re.compile(r"0|[1-9][0-9]?")
_WIDTH = re.compile(r"[1-9][0-9]{0,2}")
_ELEMENT = re.compile(r"[0-9]{3}")


@dataclass(frozen=True, order=True)
class Tile:
    """A tile (``level`` >= 0) or entry bundle (``level`` None): its index and width."""

    level: int | None
    index: int
    width: int = WIDTH

    def __post_init__(self) -> None:
        if self.level is not None and not (
            type(self.level) is int and 0 <= self.level <= MAX_LEVEL
        ):
            raise TileError(f"tile level must be 0..{MAX_LEVEL}, got {self.level!r}")
        if not (type(self.index) is int and 0 <= self.index <= _MAX_SIZE):
            raise TileError(f"tile index must be a non-negative integer, got {self.index!r}")
        if not (type(self.width) is int and 1 <= self.width <= WIDTH):
            raise TileError(f"tile width must be 1..{WIDTH}, got {self.width!r}")

    @property
    def full(self) -> bool:
        return self.width == WIDTH

    @property
    def node_level(self) -> int:
        """The tree level of this tile's hashes (entry bundles: the leaves, 0)."""
        return HEIGHT * (self.level or 0)

    def nodes(self) -> list[subtree.Node]:
        """The subtree nodes whose hashes this tile holds, in order."""
        first = self.index * WIDTH
        return [(self.node_level, first + i) for i in range(self.width)]

    def leaf_range(self) -> tuple[int, int]:
        """The half-open range of entries this tile's hashes span."""
        span = 1 << self.node_level
        first = self.index * WIDTH
        return first * span, (first + self.width) * span

    def path(self) -> str:
        """The tile's path under the log prefix, e.g. ``tile/0/x001/234.p/7``."""
        level = "entries" if self.level is None else str(self.level)
        suffix = "" if self.full else f".p/{self.width}"
        return f"tile/{level}/{encode_index(self.index)}{suffix}"


def encode_index(index: int) -> str:
    """``index`` as 3-digit path elements, all but the last prefixed ``x``."""
    if not (type(index) is int and 0 <= index <= _MAX_SIZE):
        raise TileError(f"tile index must be a non-negative integer, got {index!r}")
    parts = []
    while True:
        parts.append(f"{index % 1000:03d}")
        index //= 1000
        if not index:
            break
    return "/".join(["x" + p for p in reversed(parts[1:])] + [parts[0]])


def parse_tile_path(path: str) -> Tile:
    """Parse ``tile/<L>/<N>[.p/<W>]`` or ``tile/entries/<N>[.p/<W>]`` strictly.

    The one spelling the spec allows: no leading zeros in ``L`` and ``W``, every element
    of ``N`` three digits, all but the last with an ``x``, no leading ``x000`` element.
    """
    if not isinstance(path, str):
        raise TileError("a tile path is a string")
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise TileError(f"not a tile path: {path!r:.100}")
    level: int | None
    if parts[1] == "entries":
        level = None
    elif _LEVEL.fullmatch(parts[1]) and int(parts[1]) <= MAX_LEVEL:
        level = int(parts[1])
    else:
        raise TileError(f"bad tile level in {path!r:.100}")
    rest = parts[2:]
    width = WIDTH
    if len(rest) >= 2 and rest[-2].endswith(".p"):
        if _WIDTH.fullmatch(rest[-1]) is None or int(rest[-1]) >= WIDTH:
            raise TileError(f"bad partial tile width in {path!r:.100}")
        width = int(rest[-1])
        rest = [*rest[:-2], rest[-2][:-2]]
    if len(rest) > 7:  # 2**64 has 20 digits
        raise TileError(f"tile index too long in {path!r:.100}")
    index = 0
    for i, element in enumerate(rest):
        last = i == len(rest) - 1
        digits = element if last else element.removeprefix("x")
        if (not last and not element.startswith("x")) or _ELEMENT.fullmatch(digits) is None:
            raise TileError(f"bad tile index element {element!r:.20} in {path!r:.100}")
        if i == 0 and not last and digits == "000":
            raise TileError(f"tile index with a leading zero element in {path!r:.100}")
        index = index * 1000 + int(digits)
    if index > _MAX_SIZE:
        raise TileError(f"tile index too large in {path!r:.100}")
    return Tile(level, index, width)


def _check_size(size: object) -> int:
    if not (type(size) is int and 0 <= size <= _MAX_SIZE):
        raise TileError(f"tree size must be an integer in 0..2**64-1, got {size!r:.40}")
    return size


def level_count(level: int, size: int) -> int:
    """How many hashes tile level ``level`` has in a tree of ``size``: ``size >> 8l``."""
    return _check_size(size) >> (HEIGHT * level)


def tile_width(level: int, index: int, size: int) -> int:
    """Width of tile ``index`` of ``level`` in a tree of ``size`` (0: not in the tree).

    Entry bundles have the widths of level 0.
    """
    count = level_count(level, size)
    return max(0, min(WIDTH, count - index * WIDTH))


def partial_tiles(size: int) -> list[Tile]:
    """The partial tiles of a tree of ``size``, one per level that has one, bottom up.

    A tree of 70,000 has a partial level-0 tile of width 112 (index 273), a partial
    level-1 tile of width 17 (index 1) and a partial level-2 tile of width 1 (index 0).
    """
    out: list[Tile] = []
    level = 0
    while level <= MAX_LEVEL and (count := level_count(level, size)):
        if count % WIDTH:
            out.append(Tile(level, count // WIDTH, count % WIDTH))
        level += 1
    return out


def new_tiles(old_size: int, new_size: int) -> Iterator[Tile]:
    """The hash tiles a tree of ``new_size`` has that one of ``old_size`` had not.

    Every full tile completed since ``old_size`` and the partial tiles of
    ``new_size`` (unless ``old_size == new_size``). Entry bundles follow level 0:
    ``Tile(None, t.index, t.width)`` for each level-0 tile ``t``.
    """
    _check_size(old_size)
    _check_size(new_size)
    if old_size > new_size:
        raise TileError(f"old size {old_size} is larger than new size {new_size}")
    if old_size == new_size:
        return
    level = 0
    while level <= MAX_LEVEL and (count := level_count(level, new_size)):
        first_new = level_count(level, old_size) // WIDTH
        for index in range(first_new, count // WIDTH):
            yield Tile(level, index)
        if count % WIDTH:
            yield Tile(level, count // WIDTH, count % WIDTH)
        level += 1


# -- contents --------------------------------------------------------------------------


def encode_hashes(hashes: Sequence[bytes]) -> bytes:
    """A tile's bytes: its hashes concatenated."""
    if not 1 <= len(hashes) <= WIDTH:
        raise TileError(f"a tile holds 1..{WIDTH} hashes, not {len(hashes)}")
    for h in hashes:
        if type(h) is not bytes or len(h) != HASH_SIZE:
            raise TileError(f"tile hashes are {HASH_SIZE} bytes each")
    return b"".join(hashes)


def decode_hashes(data: bytes, width: int) -> list[bytes]:
    """The ``width`` hashes of a tile's bytes; TileError unless exactly that long."""
    if not isinstance(data, bytes) or len(data) != width * HASH_SIZE:
        got = len(data) if isinstance(data, bytes) else type(data).__name__
        raise TileError(f"a tile of width {width} is {width * HASH_SIZE} bytes, got {got}")
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def encode_bundle(entries: Iterable[bytes]) -> bytes:
    """An entry bundle: each entry as a big-endian uint16 length and its bytes."""
    out = bytearray()
    count = 0
    for data in entries:
        if not isinstance(data, bytes | bytearray):
            raise TileError("entries are bytes")
        if len(data) > MAX_BUNDLE_ENTRY:
            raise TileError(
                f"entry of {len(data)} bytes does not fit an entry bundle "
                f"(at most {MAX_BUNDLE_ENTRY})"
            )
        out += len(data).to_bytes(2, "big")
        out += data
        count += 1
    if not 1 <= count <= WIDTH:
        raise TileError(f"an entry bundle holds 1..{WIDTH} entries, not {count}")
    return bytes(out)


def decode_bundle(data: bytes, width: int) -> list[bytes]:
    """The ``width`` entries of an entry bundle; TileError if it holds any other
    number, or trailing bytes, or an entry runs past the end."""
    if not isinstance(data, bytes):
        raise TileError("an entry bundle is bytes")
    out: list[bytes] = []
    pos = 0
    while pos < len(data):
        if pos + 2 > len(data):
            raise TileError("entry bundle ends inside a length prefix")
        length = int.from_bytes(data[pos : pos + 2], "big")
        end = pos + 2 + length
        if end > len(data):
            raise TileError(f"entry {len(out)} of the bundle runs past its end")
        out.append(data[pos + 2 : end])
        pos = end
        if len(out) > width:
            break
    if len(out) != width:
        raise TileError(f"entry bundle holds {len(out)} entries, expected {width}")
    return out


def tile_hash(hashes: Sequence[bytes]) -> bytes:
    """The hash a full tile contributes to the level above: MTH of its 256 hashes."""
    if len(hashes) != WIDTH:
        raise TileError("only a full tile is hashed into the level above")
    level = list(hashes)
    sha256 = hashlib.sha256
    while len(level) > 1:
        level = [sha256(b"\x01" + level[i] + level[i + 1]).digest()
                 for i in range(0, len(level), 2)]
    return level[0]


# -- checking a tiled log --------------------------------------------------------------


class TileChecker:
    """Checks a tree of ``size`` read as tiles against the checkpoint's ``root``.

    Feed it, in order, level 0 (each entry bundle with its level-0 tile:
    :meth:`add_entries`), then each higher level's tiles (:meth:`add_tile`), then call
    :meth:`finish`. Every leaf hash of a level-0 tile must be the hash of its entry,
    every hash of a higher tile must be the tile hash of the full tile below, and the
    leaves must make ``root``; any difference raises :class:`TileError` naming the
    tile. Memory: one hash per full tile.
    """

    def __init__(self, size: int, root: bytes) -> None:
        self.size = _check_size(size)
        if type(root) is not bytes or len(root) != HASH_SIZE:
            raise TileError(f"root must be {HASH_SIZE} bytes")
        self.root = root
        self._edge: list[tuple[subtree.Node, bytes]] = []
        self._leaves = 0
        self._expected: dict[int, list[bytes]] = {1: []}
        self._next: dict[int, int] = {0: 0}

    def expected_tiles(self, level: int) -> list[Tile]:
        """The tiles of ``level`` (entry bundles: level 0) this tree has, in order."""
        count = level_count(level, self.size)
        return [Tile(level, i, min(WIDTH, count - i * WIDTH))
                for i in range((count + WIDTH - 1) // WIDTH)]

    def levels(self) -> list[int]:
        """The tile levels of this tree (none for the empty tree)."""
        return [lv for lv in range(MAX_LEVEL + 1) if level_count(lv, self.size)]

    def _check_place(self, tile: Tile) -> int:
        level = tile.level or 0
        want = self._next.get(level)
        if want is None or tile.index != want:
            raise TileError(f"{tile.path()}: tiles must be checked in order")
        width = tile_width(level, tile.index, self.size)
        if tile.width != width:
            raise TileError(f"{tile.path()}: the tree of {self.size} has width {width} there")
        self._next[level] = want + 1
        return level

    def add_entries(self, tile: Tile, bundle: bytes, hashes: bytes) -> list[bytes]:
        """Check entry bundle and level-0 tile ``tile``; returns the entries."""
        if tile.level not in (0, None):
            raise TileError("add_entries takes a level-0 tile")
        self._check_place(Tile(0, tile.index, tile.width))
        entries = decode_bundle(bundle, tile.width)
        leaves = decode_hashes(hashes, tile.width)
        for i, (data, leaf) in enumerate(zip(entries, leaves, strict=True)):
            if merkle.leaf_hash(data) != leaf:
                raise TileError(
                    f"{Tile(0, tile.index, tile.width).path()}: hash {i} is not the leaf "
                    f"hash of entry {tile.index * WIDTH + i}"
                )
            subtree.append_leaf(self._edge, self._leaves, leaf)
            self._leaves += 1
        if tile.full:
            self._expected[1].append(tile_hash(leaves))
        return entries

    def add_tile(self, tile: Tile, data: bytes) -> None:
        """Check hash tile ``tile`` (level >= 1) against the tiles below."""
        if tile.level is None or tile.level < 1:
            raise TileError("add_tile takes a tile of level 1 or higher")
        if self._next.get(tile.level - 1, 0) * WIDTH < level_count(tile.level - 1, self.size):
            raise TileError(f"{tile.path()}: the level below is not complete")
        self._next.setdefault(tile.level, 0)
        level = self._check_place(tile)
        hashes = decode_hashes(data, tile.width)
        first = tile.index * WIDTH
        expected = self._expected.get(level, [])[first : first + tile.width]
        for i, (got, want) in enumerate(zip(hashes, expected, strict=True)):
            if got != want:
                raise TileError(f"{tile.path()}: hash {i} is not the hash of the tile below")
        if tile.full:
            self._expected.setdefault(level + 1, []).append(tile_hash(hashes))

    def finish(self) -> None:
        """Every tile was read and the leaves make the checkpoint's root."""
        for level in self.levels():
            if self._next.get(level, 0) != len(self.expected_tiles(level)):
                raise TileError(f"tiles of level {level} were not all checked")
        if subtree.root_from(self.size, dict(self._edge)) != self.root:
            raise TileError(f"the entries do not make the checkpoint's root at size {self.size}")
