"""ICEWS Coded Event Data (Boschee et al. 2015) ``.tab`` files into ``raw.events`` rows.

The Dataverse layout (doi:10.7910/DVN/28075): tab-separated, one header line, missing values
the literal ``NA``, columns ``Event ID, Event Date, Source Name, Source Sectors, Source
Country, Event Text, CAMEO Code, Intensity, Target Name, Target Sectors, Target Country, Story
ID, Sentence Number, Publisher, City, District, Province, Country, Latitude, Longitude``.
Yearly (``events.1995.20150313082510.tab``) and weekly (``20181004-icews-events.tab``) files,
plain, ``.gz`` or ``.zip``, share it. Dates are ``YYYY-MM-DD`` or, in 2017-era files,
``M/D/YYYY``; each row is parsed with whichever fits. ``Intensity`` is the Goldstein weight
of the CAMEO code and must equal the CAMEO table's (all 3,705 sample rows do); rows where it
differs, or whose code is malformed (``13y``, andybega/icews #78) or unknown, are
quarantined. A file without the ``CAMEO Code`` column (the 2017 file, andybega/icews #74)
takes the code whose CAMEO ``name`` equals its ``Event Text`` exactly (the sample's 122
texts all map back to their own codes). Country names are ICEWS names, matched with the
"name" crosswalk.

References
----------
Boschee, E., J. Lautenschlager, S. O'Brien, S. Shellman, J. Starz and M. Ward. 2015. "ICEWS
Coded Event Data." Harvard Dataverse. doi:10.7910/DVN/28075.
Beger, A. icews: R package for the ICEWS event data (github.com/andybega/icews), issues #21
(event IDs repeat across dates), #74 (2017 file lacks CAMEO Code), #78 (``13y`` codes),
#80 (duplicated rows in the 2021 file; monthly ``202201-icews-events.tab``).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipeline.lib.ingest import Col, ParseResult
from pipeline.lib.sources.cameo import CAMEO_CODE_PATTERN
from pipeline.lib.sources.events import parse_date

DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")
NA = ("", "NA")
_COLS = [
    Col("Event ID", pl.Utf8, na=NA, required=True,
        check=lambda e: e.str.contains(r"^\s*\d+\s*$"), reason="Event ID is not a number"),
    Col("Event Date", pl.Utf8, na=NA, required=True,
        check=lambda e: parse_date(e, DATE_FORMATS).is_not_null(),
        reason="not a date (YYYY-MM-DD or M/D/YYYY)"),
    Col("Source Name", pl.Utf8, na=NA), Col("Source Sectors", pl.Utf8, na=NA),
    Col("Source Country", pl.Utf8, na=NA),
    Col("CAMEO Code", pl.Utf8, na=NA, required=True,
        check=lambda e: e.str.contains(CAMEO_CODE_PATTERN), reason="invalid CAMEO code"),
    Col("Intensity", pl.Float64, na=NA, check=lambda e: e.is_between(-10, 10),
        reason="Goldstein outside [-10, 10]"),
    Col("Target Name", pl.Utf8, na=NA), Col("Target Sectors", pl.Utf8, na=NA),
    Col("Target Country", pl.Utf8, na=NA),
]


def _code_from_text(rows: pl.DataFrame, cameo: pl.DataFrame) -> pl.DataFrame:
    """Add ``CAMEO Code`` from ``Event Text`` (exact CAMEO ``name``; unmatched -> NA)."""
    names = cameo.select(pl.col("name").alias("Event Text"),
                         pl.col("code").alias("CAMEO Code")).unique("Event Text", keep="none")
    return rows.join(names, on="Event Text", how="left", maintain_order="left").with_columns(
        pl.col("CAMEO Code").fill_null("NA"))


def parse_icews(path: Path | str, cameo: pl.DataFrame) -> ParseResult:
    """Read one ICEWS ``.tab`` (``.tab.gz``, ``.zip``) file into unified event rows.

    Parameters
    ----------
    path : the ICEWS file.
    cameo : CAMEO code table with ``code`` (Utf8) and ``goldstein`` (Float64).

    Returns
    -------
    ParseResult with ``EventsSchema`` rows (``dataset = "icews"``); ``notes`` has
    ``unmatched_countries`` (ICEWS name -> count of rows without a ccode).

    Implemented by the streaming reader (:mod:`pipeline.lib.eventstream`) run to the end.
    """
    from pipeline.lib.eventstream import collect
    return collect(path, cameo, dataset="icews")
