"""COW Diplomatic Exchange v2006.1: diplomatic representation per dyad and wave year.

``raw.cow_diplomatic_exchange`` has ``ccode1, ccode2, year, DR_at_1, DR_at_2, DE, version``
(METHODS §1.1, §2.1). Files, in order of preference: the publisher's full
``Diplomatic_Exchange_2006v1.csv`` (plain or ``.gz``), the publisher's
``Diplomatic_Exchange_2006.1.zip`` (the CSV member is picked by name), and the shipped 105-row
``Diplomatic_Exchange_2006v1.excerpt.csv`` (all ccode1 = 2). Adding the full file to
``data/raw/cow_diplomatic_exchange/`` switches to it with no code change.

**Direction** (codebook reading; unverified, see METHODS §2.1): in the row (ccode1 = a,
ccode2 = b),

- ``DR_at_1`` is the level of side 2's representation at side 1: what b keeps in a's capital;
- ``DR_at_2`` is the level of side 1's representation at side 2: what a keeps in b's capital.

So ``DR_at_1(a, b, t)`` must equal ``DR_at_2(b, a, t)`` when both orders are present;
:func:`direction_mismatches` lists the rows where it does not, and :func:`ties` turns rows into
directed ties sender -> host.

**Codes** stay codes (Int8): 0 none, 1 chargé d'affaires, 2 minister, 3 ambassador, 9 other
(interest section, level unclear). 9 is *never* NULL: in 1950-65 every tie is 9, and 9/9 with
``DE = 0`` marks the USA-Cuba interest sections 1980-2005. ``DE`` (Int8, 0/1) is 1 when some
exchange at level 1-3 exists; do not derive presence from it. ``version`` is printed as the
float32 artefact ``2006.0999755859375``; it is stored rounded to one decimal (2006.1, Float64).

References
----------
Bayer, Reşat. 2006. "Diplomatic Exchange Data set, v2006.1." Online: http://correlatesofwar.org.
"""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath

import pandera.polars as pa
import polars as pl

from pipeline.lib.ingest.contract import Col, coerce, finish
from pipeline.lib.ingest.registry import RawTable, Source
from pipeline.lib.ingest.text import read_table_text
from pipeline.lib.store.results import ParseResult

DR_CODES = (0, 1, 2, 3, 9)
MEMBER = "Diplomatic_Exchange_2006v1.csv"
KEY = ["ccode1", "ccode2", "year"]


def _between(lo: int, hi: int):
    def check(c: pl.Expr) -> pl.Expr:
        return c.is_between(lo, hi)
    return check


def _isin(values: tuple[int, ...]):
    def check(c: pl.Expr) -> pl.Expr:
        return c.is_in(list(values))
    return check


_CC = {"check": _between(1, 999), "reason": "ccode outside 1-999", "required": True}
DIPEX_COLS = [
    Col("ccode1", pl.Int32, **_CC),
    Col("ccode2", pl.Int32, **_CC),
    Col("year", pl.Int32, check=_between(1816, 2100), reason="year outside 1816-2100",
        required=True),
    # Only an empty field is missing here: 9 is a code, and -9 is not one.
    *[Col(c, pl.Int8, na=("",), check=_isin(DR_CODES), required=True,
          reason="DR code not in {0,1,2,3,9}") for c in ("DR_at_1", "DR_at_2")],
    Col("DE", pl.Int8, na=("",), check=_isin((0, 1)), required=True, reason="DE not 0/1"),
    Col("version", pl.Float64),
]


def _member(path: Path) -> str | None:
    """The publisher CSV inside a zip, when present by name (else the single-member rule)."""
    if not path.name.lower().endswith(".zip"):
        return None
    try:
        with zipfile.ZipFile(path) as zf:
            names = {PurePosixPath(n.replace("\\", "/")).name for n in zf.namelist()}
    except (zipfile.BadZipFile, OSError):
        return None  # read_bytes raises the InputError with file and reason
    return MEMBER if MEMBER in names else None


def parse_dipex(path: Path) -> ParseResult:
    """Read Diplomatic Exchange (full CSV, publisher zip or the excerpt); codes stay codes."""
    rows, q_lines, n = read_table_text(path, sep=",", expected=[c.name for c in DIPEX_COLS],
                                       member=_member(path))
    typed, q_values = coerce(rows, DIPEX_COLS, str(path))
    typed = typed.with_columns(pl.col("version").round(1))
    return finish(typed, [q_lines, q_values], n, str(path))


def direction_mismatches(frame: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Rows where ``DR_at_1(a, b, t) != DR_at_2(b, a, t)``, among dyads present in both orders.

    Returns ``ccode1, ccode2, year, DR_at_1, DR_at_2_mirror`` where ``DR_at_2_mirror`` is
    ``DR_at_2`` of the row (ccode2, ccode1, year). A dyad-year inconsistent in both columns
    appears once per order; dyads present in one order only are not checked.
    """
    lf = frame.lazy()
    mirror = lf.select(pl.col("ccode2").alias("ccode1"), pl.col("ccode1").alias("ccode2"),
                       "year", pl.col("DR_at_2").alias("DR_at_2_mirror"))
    return (
        lf.select(*KEY, "DR_at_1")
        .join(mirror, on=KEY, how="inner")
        .filter(pl.col("DR_at_1") != pl.col("DR_at_2_mirror"))
        .sort(KEY)
        .collect()
    )


def ties(frame: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Directed representation ties ``sender, host, year, level`` (level = DR code, 0 kept).

    The tie a -> b is ``DR_at_2`` of the row (a, b) (METHODS §2.1). Where that row is absent
    (the excerpt holds only ccode1 = 2) it is ``DR_at_1`` of the row (b, a). One row per
    (sender, host, year); self-pairs are dropped.
    """
    lf = frame.lazy()
    own = lf.select(pl.col("ccode1").alias("sender"), pl.col("ccode2").alias("host"), "year",
                    pl.col("DR_at_2").alias("level"))
    mirrored = lf.select(pl.col("ccode2").alias("sender"), pl.col("ccode1").alias("host"),
                         "year", pl.col("DR_at_1").alias("level"))
    return (
        pl.concat([own, mirrored.join(own, on=["sender", "host", "year"], how="anti")])
        .filter(pl.col("sender") != pl.col("host"))
        .sort("sender", "host", "year")
        .collect()
    )


class CowDiplomaticExchange(pa.DataFrameModel):
    """Diplomatic representation levels per dyad and wave year (codes, 9 kept)."""

    ccode1: pl.Int32 = pa.Field(ge=1, le=999)
    ccode2: pl.Int32 = pa.Field(ge=1, le=999)
    year: pl.Int32 = pa.Field(ge=1816, le=2100)
    DR_at_1: pl.Int8 = pa.Field(isin=list(DR_CODES))
    DR_at_2: pl.Int8 = pa.Field(isin=list(DR_CODES))
    DE: pl.Int8 = pa.Field(isin=[0, 1])
    version: pl.Float64 = pa.Field(nullable=True)

    class Config:
        strict = True
        unique = KEY


DIPEX = Source(
    name="cow_diplomatic_exchange",
    title="COW Diplomatic Exchange",
    version="2006.1",
    citation="""@misc{bayer2006dipex,
  author = {Bayer, Re{\\c{s}}at},
  title = {Diplomatic Exchange Data set, v2006.1},
  year = {2006},
  howpublished = {Online: \\url{http://correlatesofwar.org}}
}""",
    url="https://correlatesofwar.org/data-sets/diplomatic-exchange/",
    patterns=("Diplomatic_Exchange_2006v1.csv", "Diplomatic_Exchange_2006v1.csv.gz",
              "Diplomatic_Exchange_2006.1.zip", "Diplomatic_Exchange_2006v1.excerpt.csv"),
    required=False,
    sha256={"Diplomatic_Exchange_2006v1.csv":
            "735ae1347b0e7a714bca0f47d99c925cb85fb7bca2da1900206c755af2778be6",
            "Diplomatic_Exchange_2006v1.excerpt.csv":
            "61d60270f7097a0b98cc81bc6fc7b6a526d9a90f7f20e1867457e15eb5cffca1"},
    download={"Diplomatic_Exchange_2006.1.zip":
              "https://correlatesofwar.org/wp-content/uploads/Diplomatic_Exchange_2006.1.zip"},
    # The zip itself has no registered sha256; the CSV inside it has (see SOURCE.md).
    member_sha256={"Diplomatic_Exchange_2006.1.zip": (
        "Diplomatic_Exchange_2006v1.csv",
        "735ae1347b0e7a714bca0f47d99c925cb85fb7bca2da1900206c755af2778be6")},
    note="The full publisher CSV is preferred; the 105-row excerpt is kept for format tests.",
)

SOURCES: list[Source] = [DIPEX]
TABLES: list[RawTable] = [
    RawTable("cow_diplomatic_exchange", DIPEX, parse_dipex, CowDiplomaticExchange,
             tuple(KEY), "Diplomatic representation levels (DR_at_1, DR_at_2) and exchange "
             "flag (DE) per dyad and wave year, codes kept (9 = other/unclear)."),
]
