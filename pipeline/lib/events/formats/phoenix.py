"""Contemporary Phoenix event data (Open Event Data Alliance), daily ``events.full.*.txt``.

June 2014 onwards: tab-separated, no header, the 26 fields written by ``create_strings`` in
openeventdata/phoenix_pipeline ``postprocess.py``: event id, story date (YYYYMMDD), year,
month, day, then for source and target the full actor code, its *root* (CAMEO country code
or IGO/NGO/IMG/MNC), *agent* (GOV, MIL, REB, ...) and other codes (``;``-joined), then CAMEO
code, root code, class, Goldstein, issues, lat, lon, place, state and country names, sentence
ids, URLs and news sources (:data:`PHOENIX_COLUMNS`); ahalterman/phoxy ``ingest_phoenix.R``
and jrhammond/EventNetworks read the same order. Phoenix's own class is a five-way
"PentaClass" and its Goldstein table differs from ICEWS's for 124, 163 and 166 (METHODS
§5.2), so both are recomputed from our CAMEO table; the file's weight is ``raw_goldstein``.

References
----------
Beieler, J. 2016. "Creating a Real-Time, Reproducible Event Dataset." arXiv:1612.00866.
"""

from __future__ import annotations

import re

import polars as pl

from pipeline.lib.ingest.contract import Col
from pipeline.lib.ingest.registry import Source
from pipeline.lib.ingest.sources.cameo import CAMEO_CODE_PATTERN

from ..layout import Layout, Side
from ..rules import parses_as_date

PHOENIX_COLUMNS = (
    "eventid", "date", "year", "month", "day",
    "source", "source_root", "source_agent", "source_others",
    "target", "target_root", "target_agent", "target_others",
    "code", "root_code", "quad_class", "goldstein", "joined_issues",
    "lat", "lon", "placename", "statename", "countryname", "ids", "urls", "sources",
)
NA = ("", "NA")

SOURCE = Source(
    name="phoenix", title="Phoenix event data (Open Event Data Alliance)",
    version="daily events.full.YYYYMMDD.txt, June 2014 onwards",
    citation="""@misc{beieler2016phoenix,
  author = {Beieler, John},
  title = {Creating a Real-Time, Reproducible Event Dataset}, year = {2016},
  eprint = {1612.00866}, archivePrefix = {arXiv}}
@misc{oeda2015phoenix,
  author = {{Open Event Data Alliance}}, title = {Phoenix Event Data Set},
  year = {2015}, url = {http://phoenixdata.org/}}""",
    url="http://phoenixdata.org/",
    patterns=("events.full.*.txt", "events.full.*.txt.zip", "events.full.*.txt.gz"))


def phoenix_cols(date_formats: tuple[str, ...], optional_others: bool = False) -> tuple:
    """The typed Phoenix columns (shared with the Cline Center layout)."""
    return (
        Col("eventid", pl.Utf8, na=NA, required=True, check=lambda e: e.str.contains(r"^\S+$"),
            reason="event id contains blanks"),
        Col("date", pl.Utf8, na=NA, required=True,
            check=lambda e: parses_as_date(e, date_formats),
            reason=f"not a date ({' or '.join(date_formats)})"),
        *[Col(k, pl.Utf8, na=NA, optional=optional_others and k.endswith("_others"))
          for k in ("source", "source_root", "source_agent", "source_others",
                    "target", "target_root", "target_agent", "target_others")],
        Col("code", pl.Utf8, na=NA, required=True,
            check=lambda e: e.str.contains(CAMEO_CODE_PATTERN), reason="invalid CAMEO code"),
        Col("goldstein", pl.Float64, na=NA, check=lambda e: e.is_between(-10, 10),
            reason="Goldstein outside [-10, 10]"),
    )


SIDES = {s: Side(s, f"{s}_root", (f"{s}_agent", f"{s}_others")) for s in ("source", "target")}
LOW_CARD = frozenset({"date", "code", "goldstein", "source_root", "target_root", "source_agent",
                      "target_agent", "source_others", "target_others"})


def _detect(first: str) -> bool:
    fields = first.split("\t")
    return len(fields) == len(PHOENIX_COLUMNS) and re.fullmatch(r"\d{8}", fields[1]) is not None


LAYOUT = Layout(
    dataset="phoenix", source=SOURCE, detect=_detect, fields=PHOENIX_COLUMNS,
    widths=(len(PHOENIX_COLUMNS),), cols=phoenix_cols(("%Y%m%d",)),
    event_id="eventid", date="date", date_formats=("%Y%m%d",), code="code", weight="goldstein",
    source_side=SIDES["source"], target_side=SIDES["target"], country_kind="cameo",
    sector_sep=";", low_card=LOW_CARD, name_years=(r"^events\.full\.(\d{4})\d{4}",),
)
