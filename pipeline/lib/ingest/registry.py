"""One registry of every raw source and the raw tables built from it.

A :class:`Source` says what a dataset is (version, citation, publisher, expected files, known
checksums); a :class:`RawTable` says which parser turns which of its files into which
``raw.<table>``, with which pandera schema and key. The Dagster wiring, the README's source
table, ``pipeline sources`` and ``pipeline cite`` are all generated from here.

File lookup: for each directory of :func:`pipeline.lib.store.paths.raw_dirs` (``data/raw`` first,
then the shared mirror), the source's folder(s) are searched for its patterns in preference
order; the first directory with a match wins (so a file a user adds under ``data/raw`` shadows
the mirror, and a full file shadows an excerpt in the same folder).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.lib.store.paths import raw_dirs
from pipeline.lib.store.results import ParseResult


@dataclass(frozen=True)
class Source:
    name: str                      # folder under data/raw/
    title: str
    version: str
    citation: str                  # BibTeX entry (or entries)
    url: str                       # publisher page
    patterns: tuple[str, ...]      # glob patterns, preferred first
    required: bool = False
    folders: tuple[str, ...] = ()  # extra folder names searched after `name`
    sha256: dict[str, str] = field(default_factory=dict)    # file name -> known sha256
    download: dict[str, str] = field(default_factory=dict)  # file name -> direct URL
    note: str = ""
    # A zip download whose own sha256 is not known is verified by its data member:
    # zip name -> (member name, sha256 of the member).
    member_sha256: dict[str, tuple[str, str]] = field(default_factory=dict)
    release: Callable[[Path], str | None] | None = None  # the release a file says it is
    cite: Callable[[str], str] | None = None  # BibTeX for a given release (default: citation)
    needs: str = ""            # what must be present, when it is more than one of the patterns
    newest_first: bool = False  # several files match a pattern: take the last by name

    def where_to_get(self) -> str:
        dirs = ", ".join(str(d / self.name) for d in raw_dirs())
        what = self.needs or " or ".join(self.patterns)
        return (f"{self.title} ({self.version}): put {what} in one of [{dirs}]; "
                f"publisher: {self.url}")

    def version_of(self, path: Path, sha256: str | None = None) -> tuple[str, str]:
        """The release of ``path`` and how it is known: from the file (a version column or
        its name), from the registry's sha256 of that very file, or assumed."""
        found = self.release(path) if self.release is not None else None
        if found:
            return found, "read from the file"
        known = self.sha256.get(path.name)
        if known is not None and sha256 is not None and known == sha256:
            return self.version, "registered sha256"
        return self.version, "assumed: the file does not say"

    def citation_for(self, version: str | None = None) -> str:
        """BibTeX for ``version`` (the registry's release by default)."""
        if self.cite is None or version is None:
            return self.citation
        return self.cite(version)

    def find(self, patterns: tuple[str, ...] | None = None, *, every: bool = False) -> list[Path]:
        """Files of this source: the first match by preference, or with ``every`` all matches
        (a file name found in several directories counts once, from the first)."""
        patterns = patterns or self.patterns
        found: dict[str, Path] = {}
        for d in raw_dirs():
            for folder in (self.name, *self.folders):
                base = d / folder
                if not base.is_dir():
                    continue
                for pat in patterns:
                    hits = sorted((p for p in base.glob(pat) if p.is_file()),
                                  reverse=self.newest_first)
                    if hits and not every:
                        return [hits[0]]
                    for h in hits:
                        found.setdefault(h.name, h)
        return sorted(found.values(), key=lambda p: p.name)


@dataclass(frozen=True)
class RawTable:
    name: str                                   # raw.<name>
    source: Source
    parser: Callable[[Path], ParseResult]
    schema: type                                # pandera.polars.DataFrameModel
    key: tuple[str, ...]
    description: str
    patterns: tuple[str, ...] | None = None     # subset of the source's patterns
    required: bool | None = None                # default: the source's flag
    collapse: str = ""   # what "deduplicated" counts when the parser merges rows by design

    @property
    def is_required(self) -> bool:
        return self.source.required if self.required is None else self.required
