"""Which event files exist, and which partition year each belongs to."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import polars as pl

from pipeline.lib.ingest import decode, read_bytes
from pipeline.lib.registry import Source
from pipeline.lib.sources.events import EVENT_SOURCES, file_partition_year

# The first date-like field of a line: 2018-06-01, 20180601 or 6/1/2018 (ICEWS 2017 style).
_DATE_FIELD = (r"(?:^|[\t,])(?:(\d{4})-\d{2}-\d{2}|(\d{4})(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
               r"|\d{1,2}/\d{1,2}/(\d{4}))(?:[\t,]|$)")


def infer_partition_year(path: Path) -> int | None:
    """The year most event dates in a file fall in (for files whose name carries no year).

    A multi-year file (e.g. a Historical Phoenix archive) is still one partition: its rows
    keep their true ``event_date``, only re-ingestion is coarser.
    """
    text, _ = decode(*read_bytes(path))
    lines = pl.Series("l", text.split("\n"))
    years = (lines.str.extract_groups(_DATE_FIELD).struct.unnest()
             .select(pl.coalesce(pl.all()).cast(pl.Int32, strict=False).alias("y"))["y"]
             .drop_nulls())
    years = years.filter((years >= 1900) & (years <= 2100))
    return int(years.mode().sort()[0]) if years.len() else None


def event_files() -> dict[int, list[tuple[Source, Path]]]:
    """Every event file of every event source, grouped by partition year.

    The year comes from the file name (ICEWS, GDELT and Phoenix naming conventions); a file
    whose name carries none belongs to the year most of its event dates fall in.
    """
    by_year: dict[int, list[tuple[Source, Path]]] = defaultdict(list)
    for src in EVENT_SOURCES:
        for path in src.find(every=True):
            year = file_partition_year(path) or infer_partition_year(path)
            if year is not None:
                by_year[year].append((src, path))
    return dict(by_year)
