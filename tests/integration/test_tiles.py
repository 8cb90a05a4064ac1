"""The log as C2SP tlog-tiles: the HTTP routes, static publication and audit fetch."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger import tiles
from ledger.entry import origin_for
from ledger.tiles import Tile, TileChecker
from service.api.app import create_app
from service.audit.fetch import FetchError, TiledLog, fetch_bundle
from service.audit.verify import audit_bundle
from service.tiles import PublishError, publish
from tests.integration.audit_fixtures import cli_env, export_to, run, seeded
from tests.integration.service_fixtures import World, database, world


@pytest.fixture(scope="module")
def region(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[World, dict[str, Any]]]:
    tmp = tmp_path_factory.mktemp("tiles")
    with database("sqlite", tmp) as url, world(tmp, url) as w:
        s = seeded(w, members=30, claims=200)
        yield w, s


@pytest.fixture(scope="module")
def client(region: tuple[World, dict[str, Any]]) -> Iterator[TestClient]:
    w, _ = region
    with TestClient(create_app(w.settings, w.regions)) as c:
        yield c


def size_of(w: World) -> int:
    return w.regions.store.log_info(origin_for(w.region)).size


def test_checkpoint_is_the_signed_note_and_not_cached_long(
        region: tuple[World, dict[str, Any]], client: TestClient) -> None:
    w, _ = region
    r = client.get(f"/logs/{w.region}/checkpoint")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.headers["cache-control"] == "public, max-age=5"
    cp = w.regions.store.latest_checkpoint(origin_for(w.region))
    assert cp is not None and r.text.startswith(cp.note)
    assert client.get("/logs/nowhere/checkpoint").status_code == 404


def test_every_tile_over_http_checks_out_against_the_checkpoint(
        region: tuple[World, dict[str, Any]], client: TestClient) -> None:
    w, _ = region
    size = size_of(w)
    assert size > 256, "the seeded log must span a full tile"

    def get(path: str) -> bytes:
        r = client.get(f"/logs/{w.region}/{path}")
        assert r.status_code == 200, (path, r.text)
        assert r.headers["content-type"] == "application/octet-stream"
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
        return r.content

    log = TiledLog(lambda p: client.get(f"/logs/{w.region}/{p}").content)
    entries = list(log.iter_entries(log.origin))
    stored = list(w.regions.store.iter_entries(origin_for(w.region)))
    assert entries == stored
    for tile in [Tile(0, 0), *tiles.partial_tiles(size), Tile(None, 0)]:
        get(tile.path())
    assert log.fetched == 2 * ((size + 255) // 256) + len(tiles.partial_tiles(size)) - 1


def test_entry_bundles_are_gzip_when_asked_and_tiles_outside_the_tree_are_404(
        region: tuple[World, dict[str, Any]], client: TestClient) -> None:
    w, _ = region
    size = size_of(w)
    plain = client.get(f"/logs/{w.region}/tile/entries/000",
                       headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    raw = client.get(f"/logs/{w.region}/tile/entries/000", headers={"Accept-Encoding": "gzip"},
                     extensions={})
    assert raw.headers["content-encoding"] == "gzip" and raw.content == plain.content
    assert tiles.decode_bundle(plain.content, 256)[0].startswith(b"{")
    width = size % 256
    beyond = [f"tile/0/{size // 256:03d}.p/{width + 1}", "tile/0/009",
              f"tile/0/{(size // 256) + 1:03d}", "tile/1/000", "tile/3/000.p/1", "tile/0/00",
              "tile/0/x000/001", "tile/entries/5", "tile/0/000.p/256", "tile/x/000"]
    for path in beyond:
        assert client.get(f"/logs/{w.region}/{path}").status_code == 404, path
    # a partial tile that is a prefix of a full one may still be served (kept, not deleted)
    prefix = client.get(f"/logs/{w.region}/tile/0/000.p/7")
    assert prefix.status_code == 200 and prefix.content == client.get(
        f"/logs/{w.region}/tile/0/000").content[: 7 * 32]


def test_publish_writes_the_same_bytes_incrementally(
        region: tuple[World, dict[str, Any]], client: TestClient, tmp_path: Path) -> None:
    w, s = region
    origin = origin_for(w.region)
    store = w.regions.store
    cp = store.latest_checkpoint(origin)
    assert cp is not None
    first = publish(store, origin, tmp_path, cp.note)
    assert first.old_size == 0 and first.size == cp.size and first.written > 0
    files = {p.relative_to(tmp_path).as_posix(): p.read_bytes()
             for p in tmp_path.rglob("*") if p.is_file()}
    for path, data in files.items():
        assert client.get(f"/logs/{w.region}/{path}").content == data, path
    # nothing new: nothing written
    assert publish(store, origin, tmp_path, cp.note).written == 0
    # grow the log by a few transactions; each signs a checkpoint
    old_partial = tiles.partial_tiles(cp.size)
    for i in range(3):
        w.domain.submit(w.region, [s["alice"].sign("Profile", displayName=f"花子{i}",
                                                   resident=True)])
    new = store.latest_checkpoint(origin)
    assert new is not None and new.size == cp.size + 3
    again = publish(store, origin, tmp_path, new.note)
    assert again.old_size == cp.size and again.size == new.size
    # the partial tiles of every checkpointed size since, and of the old one, are there
    for size in range(cp.size, new.size + 1):
        for tile in tiles.partial_tiles(size):
            assert (tmp_path / tile.path()).exists(), (size, tile)
    assert all((tmp_path / t.path()).read_bytes() == files[t.path()] for t in old_partial)
    assert (tmp_path / "checkpoint").read_text() == new.note
    # the published directory is a log prefix audit fetch can read
    log = TiledLog(lambda p: (tmp_path / p).read_bytes())
    assert sum(1 for _ in log.iter_entries(log.origin)) == new.size
    with pytest.raises(PublishError, match="backwards"):
        publish(store, origin, tmp_path, cp.note)
    (tmp_path / "checkpoint").write_text(new.note.replace(origin, "kakawari/other"))
    with pytest.raises(PublishError, match="holds the log"):
        publish(store, origin, tmp_path, new.note)


def _report(path: Path) -> dict[str, Any]:
    report = audit_bundle(path, jobs=1)
    log = dict(vars(report.log))
    return {"log": log, "points": vars(report.points)}


def test_a_bundle_fetched_from_tiles_verifies_as_the_export_does(
        region: tuple[World, dict[str, Any]], client: TestClient, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    w, _ = region
    now = w.regions.clock()
    exported = export_to(w, tmp_path / "export.zip", details=False, now=now)
    import service.audit.fetch as fetch

    def getter(prefix: str, timeout: float = 30) -> Any:
        return (lambda p: _ok(client.get(f"{prefix}/{p}"))), (lambda: None)

    monkeypatch.setattr(fetch, "getter_for", getter)
    fetched = tmp_path / "fetched.zip"
    log = fetch_bundle(f"/logs/{w.region}", fetched, now=now)
    assert log.region == w.region
    assert _report(fetched) == _report(exported)
    from ledger.audit.bundle import BundleReader

    with BundleReader(fetched) as a, BundleReader(exported) as b:
        assert a.names() == b.names()
        for name in a.names():
            if name != "checkpoint.note":
                assert a.read(name) == b.read(name), name
        assert a.text("checkpoint.note").startswith(b.text("checkpoint.note"))


def _ok(r: Any) -> bytes:
    if r.status_code != 200:
        raise FetchError(f"HTTP {r.status_code}")
    return bytes(r.content)


def test_fetch_refuses_an_altered_tile_and_leaves_no_file(
        region: tuple[World, dict[str, Any]], client: TestClient, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    w, _ = region
    import service.audit.fetch as fetch

    size = size_of(w)
    last = tiles.partial_tiles(size)[-1].path()
    cases = {"tile/entries/000": lambda d: d.replace(b'"seq":3', b'"seq":4', 1),
             "tile/0/000": lambda d: d[:32] + bytes(32) + d[64:],
             last: lambda d: bytes(32) + d[32:],
             "checkpoint": lambda d: d.replace(b"\n\n", b"\nextra\n\n", 1)}
    for target, alter in cases.items():
        def getter(prefix: str, timeout: float = 30, target: str = target,
                   alter: Any = alter) -> Any:
            def get(p: str) -> bytes:
                data = _ok(client.get(f"{prefix}/{p}"))
                return alter(data) if p == target else data
            return get, (lambda: None)

        monkeypatch.setattr(fetch, "getter_for", getter)
        out = tmp_path / "bad.zip"
        with pytest.raises(FetchError):
            fetch_bundle(f"/logs/{w.region}", out, now=0)
        assert not out.exists() and not list(tmp_path.glob("*.part")), target
    # a checkpoint key other than the region's is refused before any entry is written
    from ledger.note import new_signer_keys

    monkeypatch.setattr(fetch, "getter_for", lambda prefix, timeout=30: (
        (lambda p: _ok(client.get(f"{prefix}/{p}"))), (lambda: None)))
    _, other = new_signer_keys(origin_for(w.region))
    with pytest.raises(FetchError, match="not signed by the region's key"):
        fetch_bundle(f"/logs/{w.region}", tmp_path / "other.zip", now=0, vkey=other)


def test_tile_checker_order_is_enforced() -> None:
    checker = TileChecker(300, bytes(32))
    with pytest.raises(Exception, match="level below"):
        checker.add_tile(Tile(1, 0, 1), bytes(32))


def test_commands_publish_fetch_and_verify(region: tuple[World, dict[str, Any]],
                                           tmp_path: Path) -> None:
    w, _ = region
    env = cli_env(w)
    site = tmp_path / "site"
    out = run(env, "log", "publish", "--region", w.region, "--out", str(site)).stdout
    assert f"published kakawari/{w.region} at size {size_of(w)}" in out
    assert "(was 0;" in out
    again = run(env, "log", "publish", "--region", w.region, "--out", str(site)).stdout
    assert "0 tiles and entry bundles written" in again
    bundle = tmp_path / "fetched.zip"
    fetched = run(env, "audit", "fetch", str(site), "--out", str(bundle)).stdout
    assert f"fetched {size_of(w)} entries" in fetched
    assert "ok:" in run(env, "audit", "verify", str(bundle)).stdout
    (site / "tile" / "entries" / "000").write_bytes(b"\x00\x01x")
    failed = run(env, "audit", "fetch", str(site), "--out", str(tmp_path / "bad.zip"), code=1)
    assert "FAILED" in failed.stderr and not (tmp_path / "bad.zip").exists()
    missing = run(env, "audit", "fetch", str(tmp_path / "nowhere"), "--out",
                  str(tmp_path / "bad.zip"), code=3)
    assert "could not read" in missing.stderr
    assert "no region" in run(env, "log", "publish", "--region", "nowhere", "--out",
                              str(site), code=3).stderr
