"""GDELT 1.0 event files (Leetaru & Schrodt 2013) into ``raw.events`` rows.

Layout (GDELT 1.0 Event Database codebook; column list in the shared
``gdelt1_events_columns.csv``): tab-separated, no header, empty field = missing. Daily files
from 2013-04-01 (``YYYYMMDD.export.CSV.zip``) have the 58 columns of :data:`GDELT1_COLUMNS`;
the back-files (``YYYY.zip``, ``YYYYMM.zip``) have the first 57 (no ``SOURCEURL``). The width
is read from the file's first line; lines of another width are quarantined.

Used: ``GLOBALEVENTID``, ``SQLDATE`` (YYYYMMDD), actor names, ``Actor{1,2}CountryCode`` (CAMEO
country codes, ISO3-like, matched with the "cameo" crosswalk), ``Actor{1,2}Type{1,2,3}Code``
(sectors, e.g. ``GOV``), ``IsRootEvent``, ``EventCode`` (text: ``043`` keeps its zero),
``GoldsteinScale`` (kept as ``raw_goldstein``) and ``QuadClass``. Goldstein and QuadClass are
recomputed from the CAMEO code (METHODS §5.2); rows where GDELT's own QuadClass differs from
the ICEWS split are counted in ``notes["quad_class_disagreements"]``, not changed.

References
----------
Leetaru, K. and P. A. Schrodt. 2013. "GDELT: Global Data on Events, Location, and Tone,
1979-2012." Paper presented at the ISA Annual Convention, San Francisco.
The GDELT Project. 2013. *GDELT 1.0 Event Database Data Format Codebook* v1.03.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pipeline.lib.ingest import Col, ParseResult
from pipeline.lib.sources.cameo import CAMEO_CODE_PATTERN
from pipeline.lib.sources.events import parse_date

GDELT1_COLUMNS = (
    "GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate",
    "Actor1Code", "Actor1Name", "Actor1CountryCode", "Actor1KnownGroupCode", "Actor1EthnicCode",
    "Actor1Religion1Code", "Actor1Religion2Code", "Actor1Type1Code", "Actor1Type2Code",
    "Actor1Type3Code",
    "Actor2Code", "Actor2Name", "Actor2CountryCode", "Actor2KnownGroupCode", "Actor2EthnicCode",
    "Actor2Religion1Code", "Actor2Religion2Code", "Actor2Type1Code", "Actor2Type2Code",
    "Actor2Type3Code",
    "IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass", "GoldsteinScale",
    "NumMentions", "NumSources", "NumArticles", "AvgTone",
    "Actor1Geo_Type", "Actor1Geo_FullName", "Actor1Geo_CountryCode", "Actor1Geo_ADM1Code",
    "Actor1Geo_Lat", "Actor1Geo_Long", "Actor1Geo_FeatureID",
    "Actor2Geo_Type", "Actor2Geo_FullName", "Actor2Geo_CountryCode", "Actor2Geo_ADM1Code",
    "Actor2Geo_Lat", "Actor2Geo_Long", "Actor2Geo_FeatureID",
    "ActionGeo_Type", "ActionGeo_FullName", "ActionGeo_CountryCode", "ActionGeo_ADM1Code",
    "ActionGeo_Lat", "ActionGeo_Long", "ActionGeo_FeatureID",
    "DATEADDED", "SOURCEURL",
)
NA = ("",)
_TEXT = [f"Actor{a}{f}" for a in (1, 2) for f in
         ("Name", "CountryCode", "Type1Code", "Type2Code", "Type3Code")]
_COLS = [
    Col("GLOBALEVENTID", pl.Utf8, na=NA, required=True,
        check=lambda e: e.str.contains(r"^\d+$"), reason="GLOBALEVENTID is not a number"),
    Col("SQLDATE", pl.Utf8, na=NA, required=True,
        check=lambda e: parse_date(e, ("%Y%m%d",)).is_not_null(), reason="not a YYYYMMDD date"),
    *[Col(c, pl.Utf8, na=NA) for c in _TEXT],
    Col("IsRootEvent", pl.Boolean, na=NA),
    Col("EventCode", pl.Utf8, na=NA, required=True,
        check=lambda e: e.str.contains(CAMEO_CODE_PATTERN), reason="invalid CAMEO code"),
    Col("QuadClass", pl.Int8, na=NA, check=lambda e: e.is_between(1, 4),
        reason="QuadClass outside 1-4"),
    Col("GoldsteinScale", pl.Float64, na=NA, check=lambda e: e.is_between(-10, 10),
        reason="Goldstein outside [-10, 10]"),
]


def parse_gdelt1(path: Path | str, cameo: pl.DataFrame) -> ParseResult:
    """Read one GDELT 1.0 event file (57 or 58 columns; plain or ``.zip``) into event rows.

    Parameters
    ----------
    path : a daily ``YYYYMMDD.export.CSV(.zip)`` file or a ``YYYY.zip``/``YYYYMM.zip`` back-file.
    cameo : CAMEO code table with ``code`` (Utf8) and ``goldstein`` (Float64).

    Returns
    -------
    ParseResult with ``EventsSchema`` rows (``dataset = "gdelt1"``); ``notes`` has
    ``columns`` (57 or 58), ``unmatched_countries`` and ``quad_class_disagreements``.

    Implemented by the streaming reader (:mod:`pipeline.lib.eventstream`) run to the end.
    """
    from pipeline.lib.eventstream import collect
    return collect(path, cameo, dataset="gdelt1")
