"""What each source has on disk: its files, which of them the parsers read, their sha256
against the registry, the release they say they are, and the tables still lacking a file.

``pipeline sources`` prints it, ``pipeline cite`` and the provenance of outputs take the
release from it. Nothing here imports dagster or opens the warehouse.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from pipeline.lib.ingest.registry import RawTable, Source
from pipeline.lib.store.paths import raw_dirs


@dataclass(frozen=True)
class FileStatus:
    path: Path
    sha256: str
    known: str | None         # the registry's sha256 for this file name (None: not registered)
    version: str
    how: str                  # how the release is known (read from the file, ...)
    read: bool                # a parser reads this file (the preferred match of a table)

    @property
    def drift(self) -> bool:
        return self.known is not None and self.known != self.sha256


@dataclass
class SourceStatus:
    source: Source
    files: list[FileStatus] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)   # raw tables without a file

    @property
    def release(self) -> tuple[str, str]:
        """The release of the files read: what they say (several if they disagree), else the
        registry's."""
        return combine((f.version, f.how) for f in self.files if f.read) or (
            self.source.version, "registry (no file read)")

    @property
    def state(self) -> str:
        if not self.files or (self.missing and self.source.required):
            return "MISSING"
        return "WARN" if any(f.drift for f in self.files) else "ok"


def combine(versions: Iterable[tuple[str, str]]) -> tuple[str, str] | None:
    """One release for several files: the ones read from the files win; disagreeing files
    give ``"2016 + 2024"`` and say so."""
    pairs = list(versions)
    read = sorted({v for v, how in pairs if how == "read from the file"})
    if len(read) > 1:
        return " + ".join(read), "read from the files, which disagree"
    if read:
        return read[0], "read from the file"
    return pairs[0] if pairs else None


def release_of(source: Source, files: Iterable[tuple[str, str | None]]) -> tuple[str, str]:
    """The release of ``source`` as the given (path, sha256) files say (see :func:`combine`)."""
    return combine(source.version_of(Path(p), sha) for p, sha in files) or (
        source.version, "registry")


def status(source: Source, tables: list[RawTable], sha256: Callable[[Path], str]) -> SourceStatus:
    """The on-disk state of ``source``; ``sha256(path)`` may be cached."""
    out = SourceStatus(source)
    read: set[Path] = set()
    own = [t for t in tables if t.source.name == source.name]
    for t in own:
        hit = source.find(t.patterns)
        if hit:
            read.add(hit[0])
        else:
            out.missing.append(t.name)
    for f in source.find(every=True):
        digest = sha256(f)
        version, how = source.version_of(f, digest)
        out.files.append(FileStatus(f, digest, source.sha256.get(f.name), version, how,
                                    f in read or not own))
    return out


def inventory(sources: list[Source], tables: list[RawTable],
              sha256: Callable[[Path], str]) -> list[SourceStatus]:
    return [status(s, tables, sha256) for s in sources]


def manual(sources: Iterable[Source], tables: Iterable[RawTable]) -> list[str]:
    """What is missing and has no direct download: where to get it, where to put it (one line
    a source).

    A source lacks a file when one of its raw tables (or, for event sources, the source
    itself) finds none; it is downloadable when a file of ``Source.download`` would match.
    """
    tables = list(tables)
    out = []
    for s in sources:
        groups = [t.patterns or s.patterns for t in tables if t.source.name == s.name]
        lacking = [g for g in groups or [s.patterns] if not s.find(g)]
        manual_only = [g for g in lacking if not any(
            fnmatch.fnmatchcase(name, PurePath(p).name) for name in s.download for p in g)]
        if manual_only:
            what = s.needs or " and ".join(" or ".join(g) for g in manual_only)
            out.append(f"{s.name}: {what}: get it from {s.url} and put it in "
                       f"{raw_dirs()[0] / s.name}/")
    return out
