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

from pipeline.lib.ingest import LINE, Col, InputError, ParseResult, coerce, read_table_text
from pipeline.lib.sources.cameo import CAMEO_CODE_PATTERN
from pipeline.lib.sources.events import build_events, first_line, parse_date

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
    """
    path = Path(path)
    expected = [c.name for c in _COLS]
    from_text = "CAMEO Code" not in first_line(path).split("\t")
    if from_text:
        if "name" not in cameo.columns:
            raise InputError(path, "no CAMEO Code column and no CAMEO names to map Event Text",
                             line=1, column="CAMEO Code")
        expected = [c if c != "CAMEO Code" else "Event Text" for c in expected]
    rows, q_lines, n = read_table_text(path, sep="\t", expected=expected, header=True,
                                       quoted=False)
    if from_text:
        rows = _code_from_text(rows, cameo)
    typed, q_values = coerce(rows, _COLS, str(path))
    staged = typed.select(
        pl.col("Event ID").str.strip_chars().alias("event_id"),
        parse_date("Event Date", DATE_FORMATS).alias("event_date"),
        pl.col("Source Name").alias("source_actor"), pl.col("Target Name").alias("target_actor"),
        pl.col("Source Country").alias("source_country"),
        pl.col("Target Country").alias("target_country"),
        pl.col("Source Sectors").alias("source_sectors"),
        pl.col("Target Sectors").alias("target_sectors"),
        pl.col("CAMEO Code").alias("cameo_code"), pl.col("Intensity").alias("raw_goldstein"),
        pl.lit(None, pl.Boolean).alias("is_root_event"), pl.col(LINE),
    )
    return build_events(staged, rows, [q_lines, q_values], n, path, "icews", cameo,
                        country_kind="name", raw_must_match=True)
