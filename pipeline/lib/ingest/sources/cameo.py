"""The CAMEO event-code table with Goldstein weights and quad classes (METHODS §5.2, §6.1).

``cameo-codes.csv`` (andybega/icews ``data-raw``) is cp1252, has an empty-header R row index,
and quoted free text. ``goldstein_mappings`` (``code,name,goldstein,...``) reads with the same
parser. The pure helpers below are what the event parsers use to derive roots and classes.
"""

from __future__ import annotations

from pathlib import Path

import pandera.polars as pa
import polars as pl

from pipeline.lib.ingest.contract import Col, coerce, finish
from pipeline.lib.ingest.registry import RawTable, Source
from pipeline.lib.ingest.sources.unvotes import split_key_conflicts
from pipeline.lib.ingest.text import read_table_text
from pipeline.lib.store.results import LINE, ParseResult, empty_quarantine, quarantine_rows

CAMEO_CODE_PATTERN = r"^(0[1-9]|1[0-9]|20)[0-9]{0,2}$"
ROOTS = tuple(f"{r:02d}" for r in range(1, 21))
# ICEWS/GDELT: 01-05 verbal coop, 06-08 material coop, 09-13 verbal conflict, 14-20 material.
QUAD_CLASS = {r: 1 if int(r) <= 5 else 2 if int(r) <= 8 else 3 if int(r) <= 13 else 4
              for r in ROOTS}
# Phoenix: 01-02 neutral, 03-05 verbal coop, 06-08 material coop, 09-13 and 16 verbal
# conflict, 14, 15, 17-20 material conflict.
PHOENIX_QUAD_CLASS = {r: 0 if int(r) <= 2 else 3 if r == "16" else q
                      for r, q in QUAD_CLASS.items()}
_TEXT = ("", "NA")


def root_code(code: pl.Expr) -> pl.Expr:
    """Two-digit CAMEO root of a code (``"0211"`` → ``"02"``); NULL when not a valid code.

    Codes are text: leading zeros carry meaning (Schrodt 2012, CAMEO manual v1.1b3).
    """
    return pl.when(code.str.contains(CAMEO_CODE_PATTERN)).then(code.str.slice(0, 2))


def quad_class(root: pl.Expr) -> pl.Expr:
    """ICEWS/GDELT quad class (Int8 1–4) of a two-digit root; NULL for anything else.

    References: andybega/icews ``data-raw/clean-data.R``; Boschee et al. (2015),
    doi:10.7910/DVN/28075.
    """
    return root.replace_strict(QUAD_CLASS, default=None, return_dtype=pl.Int8)


def phoenix_quad_class(root: pl.Expr) -> pl.Expr:
    """Phoenix quad class (Int8 0–4): 0 neutral for roots 01–02, and 16 (reduce relations)
    counted as verbal conflict (openeventdata/phoenix_pipeline ``postprocess.py``)."""
    return root.replace_strict(PHOENIX_QUAD_CLASS, default=None, return_dtype=pl.Int8)


CODE_COLS = [
    Col("code", pl.Utf8, na=_TEXT, required=True,
        check=lambda c: c.str.contains(CAMEO_CODE_PATTERN),
        reason="not a CAMEO code (2-4 digits, root 01-20)"),
    Col("name", pl.Utf8, na=_TEXT, required=True),
    # -9 is a real Goldstein weight (root 18), so only empty/NA mean missing here.
    Col("goldstein", pl.Float64, na=_TEXT, required=True,
        check=lambda c: c.is_between(-10.0, 10.0), reason="Goldstein weight outside [-10, 10]"),
    Col("description", pl.Utf8, na=_TEXT),
    Col("file_root", pl.Utf8, na=_TEXT),
]


def parse_cameo_codes(path: Path) -> ParseResult:
    """CAMEO codes with name, Goldstein (1992) weight, root, both quad classes, description.

    Reads ``cameo-codes.csv`` (cp1252) or ``goldstein_mappings.csv[.gz]``; ``description`` and
    the file's own ``root_code`` are optional. A file ``root_code`` that disagrees with the
    code's first two digits quarantines the row.
    """
    rows, q_lines, n = read_table_text(path, sep=",", expected=["code", "name", "goldstein"],
                                       encoding="cp1252")
    optional = {"description": "description", "root_code": "file_root"}
    rows = rows.select(
        "code", "name", "goldstein",
        *[(pl.col(src) if src in rows.columns else pl.lit(None, pl.Utf8)).alias(dst)
          for src, dst in optional.items()],
        LINE)
    typed, q_values = coerce(rows, CODE_COLS, str(path))
    root = root_code(pl.col("code"))
    wrong = pl.col("file_root").is_not_null() & (pl.col("file_root") != root)
    raw = pl.concat_str([pl.col(c).cast(pl.Utf8).fill_null("") for c in rows.columns
                         if c != LINE], separator="\t")
    bad = typed.filter(wrong)
    q_root = (quarantine_rows(bad, str(path), "root_code",
                              pl.format("root_code '{}' is not the root of code '{}'",
                                        pl.col("file_root"), pl.col("code")), raw)
              if bad.height else empty_quarantine())
    typed = (typed.filter(~wrong)
             .with_columns(root.alias("root_code"))
             .with_columns(quad_class(pl.col("root_code")).alias("quad_class"),
                           phoenix_quad_class(pl.col("root_code")).alias("phoenix_quad_class"))
             .select("code", "name", "goldstein", "root_code", "quad_class",
                     "phoenix_quad_class", "description", LINE))
    typed, q_conflicts = split_key_conflicts(typed, ["code"], str(path))
    digits = typed["code"].str.len_chars().value_counts(name="n").sort("code")
    notes = {f"codes_{d}_digit": k for d, k in zip(digits["code"], digits["n"])}
    return finish(typed, [q_lines, q_values, q_root, q_conflicts], n, str(path), notes=notes)


class CameoCodes(pa.DataFrameModel):
    """raw.cameo_codes: one row per CAMEO event code."""

    code: pl.Utf8 = pa.Field(str_matches=CAMEO_CODE_PATTERN)
    name: pl.Utf8
    goldstein: pl.Float64 = pa.Field(ge=-10.0, le=10.0)
    root_code: pl.Utf8 = pa.Field(isin=list(ROOTS))
    quad_class: pl.Int8 = pa.Field(isin=[1, 2, 3, 4])
    phoenix_quad_class: pl.Int8 = pa.Field(isin=[0, 1, 2, 3, 4])
    description: pl.Utf8 = pa.Field(nullable=True)

    class Config:
        strict = True
        unique = ("code",)


CAMEO = Source(
    name="cameo",
    required=True,  # events are validated against it
    title="CAMEO event codes with Goldstein weights (andybega/icews data-raw/cameo-codes.csv)",
    version="andybega/icews commit 3746c729551f5fcb5a49f643f82638011a5fcfec",
    citation="""@misc{gerner2002cameo,
  author = {Gerner, Deborah J. and Schrodt, Philip A. and Y{\\i}lmaz, {\\"O}mür and Abu-Jabr, Rajaa},
  title = {Conflict and Mediation Event Observations ({CAMEO}): A New Event Data Framework for
           the Analysis of Foreign Policy Interactions},
  year = {2002},
  howpublished = {Paper presented at the Annual Meeting of the International Studies
                  Association, New Orleans}
}
@manual{schrodt2012cameo,
  author = {Schrodt, Philip A.},
  title = {{CAMEO}: Conflict and Mediation Event Observations Event and Actor Codebook},
  year = {2012},
  note = {Version 1.1b3}
}
@article{goldstein1992,
  author = {Goldstein, Joshua S.},
  title = {A Conflict-Cooperation Scale for {WEIS} Events Data},
  journal = {Journal of Conflict Resolution},
  volume = {36}, number = {2}, pages = {369--385}, year = {1992},
  doi = {10.1177/0022002792036002007}
}""",
    url="https://github.com/andybega/icews",
    patterns=("cameo-codes.csv", "cameo-codes.csv.gz"),
    folders=("icews_sample",),
    sha256={"cameo-codes.csv":
            "6bb520c64069b7d42d7099eba1dc07528533db5e2321f2f8cb6e9ebd24ad56c0"},
    download={"cameo-codes.csv": "https://raw.githubusercontent.com/andybega/icews/"
              "3746c729551f5fcb5a49f643f82638011a5fcfec/data-raw/cameo-codes.csv"},
    note="Not UTF-8 (read as cp1252). Shipped in the icews_sample folder.",
)

SOURCES: list[Source] = [CAMEO]
TABLES: list[RawTable] = [
    RawTable("cameo_codes", CAMEO, parse_cameo_codes, CameoCodes, ("code",),
             "CAMEO event codes with Goldstein weight, root code and ICEWS and Phoenix quad "
             "classes."),
]
