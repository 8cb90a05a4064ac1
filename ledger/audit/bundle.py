"""The audit bundle container, format version 1: a ZIP archive of plain files.

``docs/audit-bundle.md`` describes the format for anyone writing their own verifier.
The members this package reads and writes:

=================  ==================================================================
``manifest.json``  what the bundle holds: format, version, origin, size, root, time
``entries.jsonl``  every entry of the log in order: its canonical bytes, then LF
``checkpoint.note`` the region's signed checkpoint (C2SP signed note) at ``size``
``anchors.json``   the log's ``Anchor`` entries as records, in log order
=================  ==================================================================

The service adds private details and spreadsheet views (``details.jsonl``,
``views/*.csv``); this module only carries them. Nothing in the manifest is trusted:
a verifier takes the size and root from the signed checkpoint and everything else
from the entries, and uses the manifest and ``anchors.json`` only to plan its one pass
over the entries.

:class:`BundleWriter` writes to any binary sink, seekable or not (an HTTP response
streams through :class:`ChunkSink`), one member at a time, so a log of any size
passes through in constant memory. :class:`BundleReader` opens a bundle file and
streams its members.
"""

from __future__ import annotations

import json
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from ..canonical import canonical_bytes
from ..entry import ORIGIN_PREFIX, origin_for
from ..errors import EntryError, LedgerError, VerificationError
from ..note import b64decode_strict, b64encode

__all__ = [
    "ANCHORS",
    "CHECKPOINT",
    "ENTRIES",
    "FORMAT",
    "MANIFEST",
    "VERSION",
    "BundleFormatError",
    "BundleReader",
    "BundleWriter",
    "ChunkSink",
    "Manifest",
]

FORMAT = "kakawari-audit-bundle"
VERSION = 1
MANIFEST = "manifest.json"
ENTRIES = "entries.jsonl"
CHECKPOINT = "checkpoint.note"
ANCHORS = "anchors.json"
REQUIRED = (MANIFEST, ENTRIES, CHECKPOINT, ANCHORS)

_READ_CHUNK = 1 << 20
_MAX_SMALL_MEMBER = 64 << 20  # manifest, checkpoint, anchors: read whole, so bounded


class BundleFormatError(LedgerError):
    """The file is not an audit bundle this verifier can read (not a ZIP, missing
    members, another format or a newer version): no verdict on the log either way."""


@dataclass(frozen=True)
class Manifest:
    """``manifest.json``: what the bundle says it holds (checked, never trusted)."""

    origin: str
    size: int
    root: bytes
    exported_at: int
    generator: str
    members: tuple[str, ...]

    @property
    def region(self) -> str:
        return self.origin[len(ORIGIN_PREFIX) :]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "origin": self.origin,
            "region": self.region,
            "size": self.size,
            "root": b64encode(self.root),
            "exportedAt": self.exported_at,
            "generator": self.generator,
            "members": list(self.members),
        }

    @classmethod
    def from_json(cls, data: Any) -> Manifest:
        """Parse a manifest; :class:`BundleFormatError` for another format or version,
        :class:`VerificationError` for a version-1 manifest with bad fields."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise BundleFormatError(f"not a {FORMAT} (manifest.json has another format)")
        if data.get("version") != VERSION:
            raise BundleFormatError(
                f"bundle format version {data.get('version')!r}; this verifier reads "
                f"version {VERSION} (a newer kakawari may read it)"
            )
        try:
            origin = str(data["origin"])
            region = origin.removeprefix(ORIGIN_PREFIX)
            if origin_for(region) != origin or data["region"] != region:
                raise ValueError("origin and region disagree")
            root = b64decode_strict(data["root"])
            if root is None or len(root) != 32:
                raise ValueError("root is not base64 of 32 bytes")
            members = tuple(str(m) for m in data["members"])
            manifest = cls(origin, _uint(data["size"]), root, _uint(data["exportedAt"]),
                           str(data["generator"]), members)
        except (KeyError, TypeError, ValueError, EntryError) as exc:
            raise VerificationError(f"manifest.json is malformed: {exc}") from None
        return manifest


def _uint(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
        raise ValueError(f"{value!r} is not a non-negative integer")
    return value


class ChunkSink:
    """A write-only, unseekable binary sink that keeps what was written until
    :meth:`take`: lets a generator hand a ZIP out chunk by chunk (``zipfile`` writes
    data descriptors when it can't seek back)."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def write(self, data: bytes) -> int:
        self._buf += data
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def take(self) -> bytes:
        out = bytes(self._buf)
        self._buf.clear()
        return out


class BundleWriter:
    """Writes the members of a bundle, in order, to ``sink``; :meth:`finish` writes the
    manifest last (the ZIP central directory lets readers find it first)."""

    def __init__(self, sink: IO[bytes] | ChunkSink) -> None:
        self._zip = zipfile.ZipFile(
            cast(IO[bytes], sink),  # zipfile needs only write() and flush() to write
            "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6, allowZip64=True,
        )
        self.members: list[str] = []

    def open(self, name: str) -> IO[bytes]:
        """A member to stream into (of any size)."""
        self.members.append(name)
        stream: IO[bytes] = self._zip.open(_info(name), "w", force_zip64=True)
        return stream

    def write(self, name: str, data: bytes) -> None:
        self.members.append(name)
        self._zip.writestr(_info(name), data)

    def finish(self, manifest: Manifest) -> None:
        """Write ``manifest.json`` and close the archive."""
        self._zip.writestr(_info(MANIFEST), canonical_bytes(manifest.to_json()) + b"\n")
        self._zip.close()


def _info(name: str) -> zipfile.ZipInfo:
    # A fixed timestamp: two exports of the same log differ only where the log does.
    info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


class BundleReader:
    """An audit bundle file, opened for reading; close it (or use ``with``).

    Raises :class:`BundleFormatError` when the file is not a bundle of this version,
    :class:`VerificationError` when its manifest is malformed.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (OSError, zipfile.BadZipFile) as exc:
            raise BundleFormatError(f"{self.path} is not a readable ZIP file: {exc}") from None
        try:
            names = set(self._zip.namelist())
            missing = [m for m in REQUIRED if m not in names]
            if missing:
                raise BundleFormatError(
                    f"{self.path} is not an audit bundle: it lacks {', '.join(missing)}"
                )
            self.manifest = Manifest.from_json(self.json(MANIFEST))
        except BaseException:
            self._zip.close()
            raise

    def __enter__(self) -> BundleReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    def has(self, name: str) -> bool:
        try:
            self._zip.getinfo(name)
        except KeyError:
            return False
        return True

    def names(self) -> list[str]:
        return self._zip.namelist()

    def read(self, name: str) -> bytes:
        """A small member, whole (at most 64 MiB)."""
        info = self._info(name)
        if info.file_size > _MAX_SMALL_MEMBER:
            raise VerificationError(f"{name} is {info.file_size} bytes; too large")
        try:
            return self._zip.read(info)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise VerificationError(f"the bundle file is damaged ({name}): {exc}") from None

    def text(self, name: str) -> str:
        try:
            return self.read(name).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise VerificationError(f"{name} is not UTF-8: {exc}") from None

    def json(self, name: str) -> Any:
        try:
            return json.loads(self.read(name))
        except ValueError as exc:
            raise VerificationError(f"{name} is not JSON: {exc}") from None

    def open(self, name: str) -> IO[bytes]:
        return self._zip.open(self._info(name))

    def lines(self, name: str) -> Iterator[bytes]:
        """The LF-terminated lines of a member, without their LF, streamed. A last line
        without LF is yielded too; the file's damage raises :class:`VerificationError`."""
        rest = b""
        try:
            with self.open(name) as f:
                while True:
                    chunk = f.read(_READ_CHUNK)
                    if not chunk:
                        break
                    parts = (rest + chunk).split(b"\n")
                    rest = parts.pop()
                    yield from parts
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise VerificationError(f"the bundle file is damaged ({name}): {exc}") from None
        if rest:
            yield rest

    def _info(self, name: str) -> zipfile.ZipInfo:
        try:
            return self._zip.getinfo(name)
        except KeyError:
            raise VerificationError(f"the bundle has no {name}") from None
