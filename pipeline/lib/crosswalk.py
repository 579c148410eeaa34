"""Country identifiers (names, ISO3, FIPS 10-4, CAMEO country codes) to COW ccodes.

STUB: the API below is the contract; the implementation and the maintained crosswalk file
``pipeline/lib/data/country_crosswalk.csv`` are being written.
"""

from __future__ import annotations

from typing import Literal

import polars as pl

Kind = Literal["name", "iso3", "fips", "cameo"]


def attach_ccode(frame: pl.DataFrame | pl.LazyFrame, column: str, kind: Kind, out: str,
                 year_col: str | None = None) -> pl.DataFrame | pl.LazyFrame:
    """Add Int32 column ``out`` = COW ccode of ``column`` (NULL when unmatched or NULL input).

    ``year_col`` (optional) picks the code valid in that year where an identifier maps to
    different ccodes over time (Germany 255/260, Yemen 678/679, Serbia/Yugoslavia 345, ...).
    Never drops or duplicates rows.
    """
    raise NotImplementedError


def unmatched(frame: pl.DataFrame, column: str, out: str) -> pl.DataFrame:
    """Non-null ``column`` values whose ``out`` ccode is NULL, with counts (descending)."""
    return (frame.filter(pl.col(column).is_not_null() & pl.col(out).is_null())
            .group_by(column).len("n").sort("n", descending=True))
