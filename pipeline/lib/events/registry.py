"""The event formats the pipeline reads: one line per format module.

Adding a format is one module in :mod:`.formats` that declares a ``LAYOUT`` (and its
``SOURCE``) plus one line in :data:`FORMATS`; the README shows a worked example. The order is
the order formats are tried on a file's first line and the order of the sources in the
registry.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.lib.ingest.rawio import InputError
from pipeline.lib.ingest.registry import Source

from .formats import cline_phoenix, gdelt, icews, phoenix
from .layout import Layout

FORMATS: tuple[Layout, ...] = (
    icews.LAYOUT,
    gdelt.LAYOUT,
    phoenix.LAYOUT,
    cline_phoenix.LAYOUT,
)

DATASETS: tuple[str, ...] = tuple(f.dataset for f in FORMATS)
EVENT_SOURCES: list[Source] = [f.source for f in FORMATS]


def layout(dataset: str) -> Layout:
    """The layout of ``dataset``."""
    for f in FORMATS:
        if f.dataset == dataset:
            return f
    raise ValueError(f"no event format {dataset!r}; known: {list(DATASETS)}")


def detect(first: str, label: str | Path) -> Layout:
    """The layout whose format a file's first line (decoded, no LF) shows; InputError else."""
    if not first.strip():
        raise InputError(label, "file is empty", line=1)
    first = first.lstrip("\ufeff")
    for f in FORMATS:
        if f.detect(first):
            return f
    fields = first.split("\t")
    raise InputError(label, f"not a known event format (ICEWS .tab header, GDELT 57/58 or "
                     f"Phoenix 26 tab fields, Historical Phoenix CSV); {len(fields)} "
                     f"tab-separated fields in {first[:80]!r}", line=1)


def name_year(path: Path | str) -> int | None:
    """The partition year a file's name states (each format's naming convention), or None."""
    name = Path(path).name
    for pat in (p for f in FORMATS for p in f.name_years):
        m = re.search(pat, name)
        if m and 1900 <= int(m.group(1)) <= 2100:
            return int(m.group(1))
    return None
