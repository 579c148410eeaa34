"""ICEWS Coded Event Data (Boschee et al. 2015), Dataverse ``.tab`` files.

Tab-separated, one header line, missing values the literal ``NA``, columns ``Event ID, Event
Date, Source Name, Source Sectors, Source Country, Event Text, CAMEO Code, Intensity, Target
Name, Target Sectors, Target Country, Story ID, Sentence Number, Publisher, City, District,
Province, Country, Latitude, Longitude`` (doi:10.7910/DVN/28075). Yearly
(``events.1995.20150313082510.tab``), weekly (``20181004-icews-events.tab``) and monthly
(``202201-icews-events.tab``) files, plain, ``.gz`` or ``.zip``, share it. Dates are
``YYYY-MM-DD`` or, in 2017-era files, ``M/D/YYYY``; each row is parsed with whichever fits.
``Intensity`` is the Goldstein weight of the CAMEO code and must equal the CAMEO table's (all
3,705 sample rows do). A code like ``13y`` (andybega/icews #78) is quarantined. A file without
the ``CAMEO Code`` column (the 2017 file, andybega/icews #74) takes the code whose CAMEO
``name`` equals its ``Event Text`` exactly. Country names use the "name" crosswalk.

References
----------
Boschee, E., J. Lautenschlager, S. O'Brien, S. Shellman, J. Starz and M. Ward. 2015. "ICEWS
Coded Event Data." Harvard Dataverse. doi:10.7910/DVN/28075.
Beger, A. icews: R package for the ICEWS event data (github.com/andybega/icews), issues #21
(IDs repeat across dates), #74 (no CAMEO Code), #78 (``13y``), #80 (repeated rows, monthly
files).
"""

from __future__ import annotations

import polars as pl

from pipeline.lib.ingest.contract import Col
from pipeline.lib.ingest.registry import Source
from pipeline.lib.ingest.sources.cameo import CAMEO_CODE_PATTERN

from ..layout import Layout, Side
from ..rules import parses_as_date

DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y")
NA = ("", "NA")

SOURCE = Source(
    name="icews", folders=("icews_sample",), title="ICEWS Coded Event Data",
    version="Harvard Dataverse doi:10.7910/DVN/28075 (1995 to 11 April 2023)",
    citation="""@misc{boschee2015icews,
  author = {Boschee, Elizabeth and Lautenschlager, Jennifer and O'Brien, Sean and
            Shellman, Steve and Starz, James and Ward, Michael},
  title = {{ICEWS} Coded Event Data}, publisher = {Harvard Dataverse}, year = {2015},
  doi = {10.7910/DVN/28075}, url = {https://doi.org/10.7910/DVN/28075}}""",
    url="https://doi.org/10.7910/DVN/28075",
    patterns=("events.*.tab", "events.*.tab.gz", "events.*.zip", "*-icews-events*.tab",
              "*-icews-events*.tab.gz", "*-icews-events*.zip"),
    sha256={"events.2018.sample.tab.gz":
            "38193b30a5094c1001a5aad5fc9e0dc42e145d2a2de14ea73157d4fa2df6e06e"},
    note="Yearly events.YYYY.*.tab and weekly YYYYMMDD-icews-events.tab, plain/.gz/.zip.")

LAYOUT = Layout(
    dataset="icews", source=SOURCE, header=True,
    detect=lambda first: first.startswith("Event ID\t"),
    cols=(
        Col("Event ID", pl.Utf8, na=NA, required=True,
            check=lambda e: e.str.contains(r"^\s*\d+\s*$"), reason="Event ID is not a number"),
        Col("Event Date", pl.Utf8, na=NA, required=True,
            check=lambda e: parses_as_date(e, DATE_FORMATS),
            reason="not a date (YYYY-MM-DD or M/D/YYYY)"),
        Col("Source Name", pl.Utf8, na=NA), Col("Source Sectors", pl.Utf8, na=NA),
        Col("Source Country", pl.Utf8, na=NA),
        Col("CAMEO Code", pl.Utf8, na=NA, required=True,
            check=lambda e: e.str.contains(CAMEO_CODE_PATTERN), reason="invalid CAMEO code"),
        Col("Intensity", pl.Float64, na=NA, check=lambda e: e.is_between(-10, 10),
            reason="Goldstein outside [-10, 10]"),
        Col("Target Name", pl.Utf8, na=NA), Col("Target Sectors", pl.Utf8, na=NA),
        Col("Target Country", pl.Utf8, na=NA),
    ),
    event_id="Event ID", date="Event Date", date_formats=DATE_FORMATS, code="CAMEO Code",
    code_from_text="Event Text", weight="Intensity", weight_must_match=True,
    source_side=Side("Source Name", "Source Country", ("Source Sectors",)),
    target_side=Side("Target Name", "Target Country", ("Target Sectors",)),
    country_kind="name",
    low_card=frozenset({"Event Date", "CAMEO Code", "Intensity", "Source Country",
                        "Target Country", "Source Sectors", "Target Sectors"}),
    name_years=(r"^events\.(\d{4})\.", r"^(\d{4})(?:\d{2}){1,2}-icews-events"),
)
