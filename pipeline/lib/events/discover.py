"""Which event files exist, and which partition year each belongs to."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from pipeline.lib.ingest.registry import Source

from .engine import open_layout
from .partition import partition_year
from .registry import FORMATS, name_year


def file_year(path: Path, dataset: str | None = None) -> int | None:
    """The partition year of one file (:mod:`.partition`); the file is opened only when its
    name states none."""
    year = name_year(path)
    return year if year is not None else partition_year(path, open_layout(path, dataset))


def event_files() -> dict[int, list[tuple[Source, Path]]]:
    """Every event file of every format's source, grouped by partition year."""
    by_year: dict[int, list[tuple[Source, Path]]] = defaultdict(list)
    for fmt in FORMATS:
        for path in fmt.source.find(every=True):
            year = file_year(path)
            if year is not None:
                by_year[year].append((fmt.source, path))
    return dict(by_year)
