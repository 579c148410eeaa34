"""Every source and raw table the pipeline knows, collected from the source modules."""

from __future__ import annotations

from pipeline.lib.events.registry import EVENT_SOURCES
from pipeline.lib.ingest.registry import RawTable, Source
from pipeline.lib.ingest.sources import (
    cameo,
    copdab,
    cow,
    idealpoints,
    netify,
    peacesciencer,
    rivalries,
    unvotes,
    unvotes_r,
    weis,
)

_MODULES = (cow, peacesciencer, rivalries, unvotes, unvotes_r, idealpoints, cameo, copdab,
            weis, netify)

RAW_TABLES: list[RawTable] = [t for m in _MODULES for t in m.TABLES]


def all_sources() -> list[Source]:
    """Each source once, in registry order (table sources first, then event sources)."""
    seen: dict[str, Source] = {}
    for s in [*(s for m in _MODULES for s in m.SOURCES), *EVENT_SOURCES]:
        seen.setdefault(s.name, s)
    return list(seen.values())


def raw_table(name: str) -> RawTable:
    for t in RAW_TABLES:
        if t.name == name:
            return t
    raise KeyError(f"no raw table {name!r}; known: {[t.name for t in RAW_TABLES]}")
