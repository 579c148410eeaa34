"""GDELT 1.0 event files (Leetaru & Schrodt 2013).

Tab-separated, no header, empty field = missing (GDELT 1.0 Event Database codebook; the
column list is the shared ``gdelt1_events_columns.csv``). Daily files from 2013-04-01
(``YYYYMMDD.export.CSV.zip``) have the 58 columns of :data:`GDELT1_COLUMNS`; the back-files
(``YYYY.zip``, ``YYYYMM.zip``) the first 57 (no ``SOURCEURL``). The width is read from the
first line; lines of another width are quarantined. ``EventCode`` stays text (``043`` keeps
its zero); Goldstein and QuadClass are recomputed from the CAMEO code (METHODS §5.2), the
file's ``GoldsteinScale`` is kept as ``raw_goldstein`` and rows whose own ``QuadClass``
differs are counted (``notes["quad_class_disagreements"]``), not changed. Countries are CAMEO
country codes (the "cameo" crosswalk); ``Actor{1,2}Type{1,2,3}Code`` are the sectors.

References
----------
Leetaru, K. and P. A. Schrodt. 2013. "GDELT: Global Data on Events, Location, and Tone,
1979-2012." Paper presented at the ISA Annual Convention, San Francisco.
The GDELT Project. 2013. *GDELT 1.0 Event Database Data Format Codebook* v1.03.
"""

from __future__ import annotations

import re

import polars as pl

from pipeline.lib.ingest.contract import Col
from pipeline.lib.ingest.registry import Source
from pipeline.lib.ingest.sources.cameo import CAMEO_CODE_PATTERN

from ..layout import Layout, Side
from ..rules import parses_as_date

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
TYPES = {a: tuple(f"Actor{a}Type{i}Code" for i in (1, 2, 3)) for a in (1, 2)}

SOURCE = Source(
    name="gdelt1", folders=("gdelt1_sample",), title="GDELT 1.0 Event Database",
    version="daily export files from 2013-04-01 (58 columns); back-files 1979-2013 (57)",
    citation="""@inproceedings{leetaru2013gdelt,
  author = {Leetaru, Kalev and Schrodt, Philip A.},
  title = {{GDELT}: Global Data on Events, Location, and Tone, 1979--2012},
  booktitle = {International Studies Association Annual Convention}, year = {2013},
  address = {San Francisco}, url = {https://www.gdeltproject.org/}}""",
    url="https://www.gdeltproject.org/data.html#rawdatafiles",
    patterns=("*.export.CSV", "*.export.CSV.zip", "[12][0-9][0-9][0-9][01][0-9].zip",
              "[12][0-9][0-9][0-9].zip", "gdelt1_events_*.tsv"),
    sha256={"gdelt1_events_20160312.sample.tsv":
            "e3db56dc81fcbd170c6f6c49d815f925b3c072f0f16232e9d1f4efc78f6d6aa0"},
    note="Filter IsRootEvent; QuadClass and Goldstein are recomputed from the CAMEO code.")


def _detect(first: str) -> bool:
    fields = first.split("\t")
    return len(fields) in (57, 58) and re.fullmatch(r"\d{8}", fields[1]) is not None


LAYOUT = Layout(
    dataset="gdelt1", source=SOURCE, detect=_detect, fields=GDELT1_COLUMNS, widths=(57, 58),
    cols=(
        Col("GLOBALEVENTID", pl.Utf8, na=NA, required=True,
            check=lambda e: e.str.contains(r"^\d+$"), reason="GLOBALEVENTID is not a number"),
        Col("SQLDATE", pl.Utf8, na=NA, required=True,
            check=lambda e: parses_as_date(e, ("%Y%m%d",)), reason="not a YYYYMMDD date"),
        *[Col(f"Actor{a}{f}", pl.Utf8, na=NA) for a in (1, 2) for f in
          ("Name", "CountryCode", "Type1Code", "Type2Code", "Type3Code")],
        Col("IsRootEvent", pl.Boolean, na=NA),
        Col("EventCode", pl.Utf8, na=NA, required=True,
            check=lambda e: e.str.contains(CAMEO_CODE_PATTERN), reason="invalid CAMEO code"),
        Col("QuadClass", pl.Int8, na=NA, check=lambda e: e.is_between(1, 4),
            reason="QuadClass outside 1-4"),
        Col("GoldsteinScale", pl.Float64, na=NA, check=lambda e: e.is_between(-10, 10),
            reason="Goldstein outside [-10, 10]"),
    ),
    event_id="GLOBALEVENTID", date="SQLDATE", date_formats=("%Y%m%d",), code="EventCode",
    weight="GoldsteinScale", root_event="IsRootEvent", quad_class="QuadClass",
    source_side=Side("Actor1Name", "Actor1CountryCode", TYPES[1]),
    target_side=Side("Actor2Name", "Actor2CountryCode", TYPES[2]),
    country_kind="cameo",
    low_card=frozenset({"SQLDATE", "IsRootEvent", "EventCode", "QuadClass", "GoldsteinScale",
                        "Actor1CountryCode", "Actor2CountryCode", *TYPES[1], *TYPES[2]}),
    name_years=(r"(?i)^(\d{4})\d{4}\.export\.csv", r"^(\d{4})(?:0[1-9]|1[0-2])?\.zip$"),
)
