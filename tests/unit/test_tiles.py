"""ledger.tiles: C2SP tlog-tiles paths, widths, contents and the tile checker."""

from __future__ import annotations

import functools

import pytest

from ledger import merkle, subtree, tiles
from ledger.errors import TileError
from ledger.tiles import Tile, TileChecker


def test_index_encoding_is_the_specs_example() -> None:
    assert tiles.encode_index(1234067) == "x001/x234/067"
    assert tiles.encode_index(0) == "000"
    assert tiles.encode_index(999) == "999"
    assert tiles.encode_index(1000) == "x001/000"
    assert Tile(0, 1234067).path() == "tile/0/x001/x234/067"
    assert Tile(2, 5, 17).path() == "tile/2/005.p/17"
    assert Tile(None, 273, 112).path() == "tile/entries/273.p/112"


@pytest.mark.parametrize("index", [0, 1, 999, 1000, 1234067, 10**18, 2**64 - 1])
def test_paths_round_trip(index: int) -> None:
    for tile in (Tile(0, index), Tile(63, index, 1), Tile(None, index, 255)):
        assert tiles.parse_tile_path(tile.path()) == tile


@pytest.mark.parametrize("path", [
    "tile/00/000", "tile/64/000", "tile/0/00", "tile/0/0000", "tile/0/x000/001",
    "tile/0/001/002", "tile/0/x1/002", "tile/0/000.p/0", "tile/0/000.p/256", "tile/0/000.p/07",
    "tile/0/000.p/", "tile/0/000.p", "tiles/0/000", "tile/0", "tile/-1/000", "tile/0/x001",
    "tile/entries/x001/x02/003", "tile/0/x018/x446/x744/x073/x709/x551/616",
    "tile/0/x001/x000/x000/x000/x000/x000/x000/000",
])
def test_bad_paths_are_refused(path: str) -> None:
    with pytest.raises(TileError):
        tiles.parse_tile_path(path)


def test_the_70000_leaf_tree_of_the_spec() -> None:
    """273 full level-0 tiles, a partial of width 112, one full level-1 tile, a partial
    of width 17, and a partial level-2 tile of width 1 (tlog-tiles, Partial Tiles)."""
    assert tiles.partial_tiles(70_000) == [Tile(0, 273, 112), Tile(1, 1, 17), Tile(2, 0, 1)]
    made = list(tiles.new_tiles(0, 70_000))
    assert [t for t in made if t.level == 0 and t.full] == [Tile(0, i) for i in range(273)]
    assert [t for t in made if t.level == 1] == [Tile(1, 0), Tile(1, 1, 17)]
    assert [t for t in made if t.level == 2] == [Tile(2, 0, 1)]
    assert len(made) == 273 + 1 + 2 + 1
    assert tiles.tile_width(0, 273, 70_000) == 112
    assert tiles.tile_width(0, 274, 70_000) == 0
    assert tiles.tile_width(1, 1, 70_000) == 17
    assert tiles.tile_width(3, 0, 70_000) == 0
    assert [t.path() for t in tiles.partial_tiles(70_000)] == [
        "tile/0/273.p/112", "tile/1/001.p/17", "tile/2/000.p/1"]


def test_a_tree_of_256_is_a_full_tile_and_a_level_1_partial() -> None:
    assert tiles.partial_tiles(256) == [Tile(1, 0, 1)]
    assert list(tiles.new_tiles(0, 256)) == [Tile(0, 0), Tile(1, 0, 1)]
    assert tiles.partial_tiles(0) == []
    assert list(tiles.new_tiles(5, 5)) == []


def test_new_tiles_only_names_what_grew() -> None:
    assert list(tiles.new_tiles(70_000, 70_100)) == [
        Tile(0, 273, 212), Tile(1, 1, 17), Tile(2, 0, 1)]
    assert list(tiles.new_tiles(70_000, 70_144)) == [
        Tile(0, 273), Tile(1, 1, 18), Tile(2, 0, 1)]
    with pytest.raises(TileError):
        list(tiles.new_tiles(2, 1))


@functools.cache
def _tree(n: int) -> tuple[list[bytes], dict[subtree.Node, bytes]]:
    entries = [f"entry {i}".encode() for i in range(n)]
    nodes: dict[subtree.Node, bytes] = {}
    edge: list[tuple[subtree.Node, bytes]] = []
    for i, data in enumerate(entries):
        leaf = merkle.leaf_hash(data)
        nodes[(0, i)] = leaf
        nodes.update(subtree.append_leaf(edge, i, leaf))
    return entries, nodes


def test_tile_hashes_are_the_mth_of_their_ranges() -> None:
    """Tile n of level l, hash i = MTH(D[(n*256+i)*256**l : (n*256+i+1)*256**l])."""
    entries, nodes = _tree(70_000)
    leaves = [nodes[(0, i)] for i in range(len(entries))]
    for tile in (Tile(1, 0), Tile(1, 1, 17), Tile(2, 0, 1)):
        hashes = [nodes[n] for n in tile.nodes()]
        span = 256 ** (tile.level or 0)
        for i in (0, tile.width - 1):
            lo = (tile.index * 256 + i) * span
            assert hashes[i] == merkle.root_hash(leaves[lo : lo + span])
    full0 = [nodes[n] for n in Tile(0, 5).nodes()]
    assert tiles.tile_hash(full0) == nodes[(8, 5)]


def _serve(entries: list[bytes], nodes: dict[subtree.Node, bytes], tile: Tile) -> bytes:
    if tile.level is None:
        lo = tile.index * 256
        return tiles.encode_bundle(entries[lo : lo + tile.width])
    return tiles.encode_hashes([nodes[n] for n in tile.nodes()])


def _check(size: int, entries: list[bytes], nodes: dict[subtree.Node, bytes],
           tamper: Tile | None = None) -> list[bytes]:
    checker = TileChecker(size, subtree.root_from(size, nodes))

    def get(tile: Tile) -> bytes:
        data = _serve(entries, nodes, tile)
        if tile == tamper:
            data = bytes([data[0] ^ 1]) + data[1:]
        return data

    got: list[bytes] = []
    for level in checker.levels():
        for tile in checker.expected_tiles(level):
            if level == 0:
                got += checker.add_entries(tile, get(Tile(None, tile.index, tile.width)),
                                           get(tile))
            else:
                checker.add_tile(tile, get(tile))
    checker.finish()
    return got


@pytest.mark.parametrize("size", [1, 255, 256, 257, 513, 70_000])
def test_checker_accepts_the_true_tree(size: int) -> None:
    entries, nodes = _tree(size)
    assert _check(size, entries, nodes) == entries


@pytest.mark.parametrize("bad", [Tile(0, 3), Tile(None, 10), Tile(1, 1, 17), Tile(2, 0, 1),
                                 Tile(0, 273, 112)])
def test_checker_refuses_any_altered_tile(bad: Tile) -> None:
    entries, nodes = _tree(70_000)
    with pytest.raises(TileError):
        _check(70_000, entries, nodes, tamper=bad)


def test_checker_refuses_another_root_and_missing_tiles() -> None:
    entries, nodes = _tree(300)
    checker = TileChecker(300, bytes(32))
    checker.add_entries(Tile(0, 0), _serve(entries, nodes, Tile(None, 0)),
                        _serve(entries, nodes, Tile(0, 0)))
    with pytest.raises(TileError, match="not all checked"):
        checker.finish()
    with pytest.raises(TileError, match="width"):
        checker.add_entries(Tile(0, 1, 3), b"", b"")
    last = Tile(0, 1, 44)
    checker.add_entries(last, _serve(entries, nodes, Tile(None, 1, 44)),
                        _serve(entries, nodes, last))
    checker.add_tile(Tile(1, 0, 1), _serve(entries, nodes, Tile(1, 0, 1)))
    with pytest.raises(TileError, match="root"):
        checker.finish()


def test_entry_bundles() -> None:
    bundle = tiles.encode_bundle([b"a", b"", b"xyz"])
    assert bundle == b"\x00\x01a\x00\x00\x00\x03xyz"
    assert tiles.decode_bundle(bundle, 3) == [b"a", b"", b"xyz"]
    for bad, width in [(bundle, 2), (bundle, 4), (bundle + b"\x00", 3), (bundle[:-1], 3)]:
        with pytest.raises(TileError):
            tiles.decode_bundle(bad, width)
    with pytest.raises(TileError, match="does not fit"):
        tiles.encode_bundle([b"x" * 65536])
    assert tiles.decode_bundle(tiles.encode_bundle([b"x" * 65535]), 1) == [b"x" * 65535]
    with pytest.raises(TileError):
        tiles.decode_hashes(bytes(33), 1)
