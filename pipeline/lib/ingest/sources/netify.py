"""ICEWS directed dyad-year quad-class counts, 2002–2014, as packaged by R {netify}
(METHODS §1.1, §5.2).

A complete 152 × 151 × 13 panel of event counts by quad class. Countries come as long names
and ISO3 codes; COW ccodes are attached through the project crosswalk by ISO3 and year.
Unmatched codes keep their rows (ccode NULL) and are listed in the notes.
"""

from __future__ import annotations

from pathlib import Path

import pandera.polars as pa
import polars as pl

from pipeline.lib.ingest import crosswalk
from pipeline.lib.ingest.contract import Col, coerce, finish
from pipeline.lib.ingest.registry import RawTable, Source
from pipeline.lib.ingest.sources.unvotes import split_key_conflicts
from pipeline.lib.ingest.text import read_table_text
from pipeline.lib.store.results import LINE, ParseResult

QUADS = ("verbCoop", "matlCoop", "verbConf", "matlConf")
_ISO3 = r"^[A-Z]{3}$"
COLS = [
    Col("i", pl.Utf8, na=("", "NA"), required=True),
    Col("j", pl.Utf8, na=("", "NA"), required=True),
    *[Col(c, pl.Utf8, na=("", "NA"), required=True,
          check=lambda s: s.str.contains(_ISO3), reason="not an ISO3 code")
      for c in ("i_iso3c", "j_iso3c")],
    Col("year", pl.Int16, required=True, check=lambda c: c.is_between(1995, 2030),
        reason="year outside the ICEWS range 1995-2030"),
    *[Col(q, pl.Int32, check=lambda c: c >= 0, reason="negative event count") for q in QUADS],
]


def parse_icews_dyadyear(path: Path) -> ParseResult:
    """Directed dyad-year counts with COW ccodes of source (i) and target (j).

    Counts are ICEWS events (Boschee et al. 2015) per quad class, 0 for none; the netify
    authors' actor filtering is undocumented. ccodes come from
    :func:`pipeline.lib.ingest.crosswalk.attach_ccode` on ISO3 with the row's year; the notes list
    each unmatched ISO3 code with its row count.
    """
    rows, q_lines, n = read_table_text(path, sep=",", expected=[c.name for c in COLS])
    typed, q_values = coerce(rows.select(*[c.name for c in COLS], LINE), COLS, str(path))
    typed = crosswalk.attach_ccode(typed, "i_iso3c", "iso3", "source_ccode", year_col="year")
    typed = crosswalk.attach_ccode(typed, "j_iso3c", "iso3", "target_ccode", year_col="year")
    typed = typed.select("i", "j", "i_iso3c", "j_iso3c", "source_ccode", "target_ccode",
                         "year", *QUADS, LINE)
    typed, q_conflicts = split_key_conflicts(typed, ["i_iso3c", "j_iso3c", "year"], str(path))
    missing = pl.concat([
        crosswalk.unmatched(typed, "i_iso3c", "source_ccode").rename({"i_iso3c": "iso3"}),
        crosswalk.unmatched(typed, "j_iso3c", "target_ccode").rename({"j_iso3c": "iso3"}),
    ]).group_by("iso3").agg(pl.col("n").sum()).sort("n", "iso3", descending=[True, False])
    notes = {"unmatched_iso3_rows": int(missing["n"].sum()),
             "unmatched_iso3": ", ".join(f"{c} ({k})" for c, k in
                                         zip(missing["iso3"], missing["n"]))}
    return finish(typed, [q_lines, q_values, q_conflicts], n, str(path), notes=notes)


class IcewsDyadYear(pa.DataFrameModel):
    """raw.icews_dyadyear: ICEWS event counts per directed dyad-year and quad class."""

    i: pl.Utf8
    j: pl.Utf8
    i_iso3c: pl.Utf8 = pa.Field(str_matches=_ISO3)
    j_iso3c: pl.Utf8 = pa.Field(str_matches=_ISO3)
    source_ccode: pl.Int32 = pa.Field(ge=2, le=999, nullable=True)
    target_ccode: pl.Int32 = pa.Field(ge=2, le=999, nullable=True)
    year: pl.Int16 = pa.Field(ge=1995, le=2030)
    verbCoop: pl.Int32 = pa.Field(ge=0, nullable=True)
    matlCoop: pl.Int32 = pa.Field(ge=0, nullable=True)
    verbConf: pl.Int32 = pa.Field(ge=0, nullable=True)
    matlConf: pl.Int32 = pa.Field(ge=0, nullable=True)

    class Config:
        strict = True
        unique = ("i_iso3c", "j_iso3c", "year")


ICEWS_DYADYEAR = Source(
    name="icews_dyadyear_netify",
    title="ICEWS directed dyad-year quad-class counts, 2002-2014 (R netify data set icews)",
    version="netify-dev/netify commit d0dceb6a666e013651d017c5f6a55a51fee7bff2 (data/icews.rda)",
    citation="""@misc{boschee2015icews,
  author = {Boschee, Elizabeth and Lautenschlager, Jennifer and O'Brien, Sean and
            Shellman, Steve and Starz, James and Ward, Michael},
  title = {{ICEWS} Coded Event Data},
  year = {2015},
  publisher = {Harvard Dataverse},
  doi = {10.7910/DVN/28075}
}
@misc{dorff_minhas_netify,
  author = {Dorff, Cassy and Minhas, Shahryar},
  title = {netify: Tools for Network Data Workflows},
  note = {R package, data set icews},
  url = {https://github.com/netify-dev/netify}
}""",
    url="https://github.com/netify-dev/netify",
    patterns=("icews_dyadyear_counts.csv", "icews_dyadyear_counts.csv.gz"),
    sha256={"icews_dyadyear_counts.csv.gz":
            "5e6442eb1fb07d1c09603e4787e58e75893bd0914de0352a1a2cd3a663a80ed8"},
    note="CSV column subset of data/icews.rda. Turkey, Taiwan, Czech Republic, Iceland, "
         "Serbia and Montenegro are absent.",
)

SOURCES: list[Source] = [ICEWS_DYADYEAR]
TABLES: list[RawTable] = [
    RawTable("icews_dyadyear", ICEWS_DYADYEAR, parse_icews_dyadyear, IcewsDyadYear,
             ("i_iso3c", "j_iso3c", "year"),
             "ICEWS event counts per directed dyad-year in the four quad classes, 2002-2014, "
             "with COW ccodes of source and target."),
]
