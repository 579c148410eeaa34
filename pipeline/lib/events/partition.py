"""The partition year of an event file: one rule, used to group files and to write them.

A file belongs to the year its name states (each format's naming convention,
:func:`~.registry.name_year`); a file whose name states none belongs to the year most of its
event dates fall in (dates that parse in the format's date styles, years 1900-2100; ties go to
the earliest). A multi-year file (a Historical Phoenix archive) is still one partition: its
rows keep their true ``event_date``, only re-ingestion is coarser. The dates are read from the
date field alone, block by block, and the answer is cached per file (path, size, mtime).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from .blocks import blocks
from .layout import FileLayout
from .lines import LineReader
from .registry import name_year
from .rules import parse_date


def partition_year(path: Path | str, fl: FileLayout) -> int | None:
    """The partition year of ``path`` (resolved as ``fl``); see the module docstring."""
    path = Path(path)
    year = name_year(path)
    if year is not None:
        return year
    stat = path.stat()
    key = (path.resolve(), stat.st_size, stat.st_mtime_ns)
    if key not in _SEEN:
        _SEEN[key] = _date_mode(path, fl)
    return _SEEN[key]


_SEEN: dict[tuple, int | None] = {}


def _date_mode(path: Path, fl: FileLayout) -> int | None:
    lay = fl.layout
    at = fl.names.index(fl.file_name(lay.date))
    counts: list[pl.DataFrame] = []
    reader = LineReader(fl.names, lay.sep, str(path), lay.quoted)
    for blk in blocks(path, header=lay.header, quoted=lay.quoted):
        try:
            dates = pl.read_csv(blk.data, has_header=False, separator=lay.sep, columns=[at],
                                quote_char='"' if lay.quoted else None,
                                schema=dict.fromkeys(fl.names, pl.Utf8), encoding="utf8-lossy",
                                truncate_ragged_lines=True, raise_if_empty=False)
        except pl.exceptions.PolarsError:  # malformed quoting: the exact reader, lines dropped
            dates = reader.read(blk)[0].select(fl.names[at])
        counts.append(dates.select(parse_date(pl.col(fl.names[at]), lay.date_formats)
                                   .dt.year().alias("year"))
                      .filter(pl.col("year").is_between(1900, 2100))
                      .group_by("year").len())
    if not counts:
        return None
    total = pl.concat(counts).group_by("year").agg(pl.col("len").sum())
    if not total.height:
        return None
    return int(total.filter(pl.col("len") == pl.col("len").max())["year"].min())
