"""Strategic rivalries and regional/global powers, from {peacesciencer} (METHODS §6.5).

Three raw tables from ``data/raw/peacesciencer/`` (``.csv.gz`` conversions of the package's
``.rda`` files, empty field = NA), owned by the :data:`~.peacesciencer.PEACESCIENCER` source:

- ``td_rivalries``: Thompson & Dreyer (2012) strategic rivalries 1494–2010, one row per
  rivalry spell (``rivalryno``), with region and up to three types.
- ``tss_rivalries``: Thompson, Sakuwa & Suhas (2022) update to 2020 (``tssr_id``), ``start``
  and ``end`` renamed ``styear``/``endyear``; the type, ``principal`` and ``aprin``
  (asymmetric principal) markers are 1 or empty in the file and 0/1 here.
- ``maoz_powers``: Maoz (2010) regional and global power spells, dates NULL where the state
  does not hold that role in the row's spell.

Spells are undirected (the package puts the lower ccode first, which is not relied on);
Venice has the package's made-up code 324, which is in no COW list. A
spell ending in a list's last year (TD 2010, TSS 2020; Maoz 2019-12-31) is *ongoing at the
end of coverage*, not ended. The helpers :func:`rivalry_years` and :func:`power_years` turn
spells into years and carry such spells forward to the caller's last year; anything else
past a list's coverage is unknown (NULL), not "no rivalry".

References
----------
Thompson, William R., and David R. Dreyer. 2012. *Handbook of International Rivalries,
1494–2010*. Washington, DC: CQ Press.
Thompson, William R., Kentaro Sakuwa, and Prashant Hosur Suhas. 2022. *Analyzing Strategic
Rivalries in World Politics: Types of Rivalry, Regional Variation, and
Escalation/De-escalation*. Singapore: Springer.
Maoz, Zeev. 2010. *Networks of Nations: The Evolution, Structure, and Impact of
International Networks, 1816–2001*. Cambridge: Cambridge University Press.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

import pandera.polars as pa
import polars as pl

from pipeline.lib.ingest.contract import Col, coerce, finish
from pipeline.lib.ingest.registry import RawTable
from pipeline.lib.ingest.row_rules import quarantine_rules
from pipeline.lib.ingest.sources.peacesciencer import PEACESCIENCER
from pipeline.lib.ingest.sources.unvotes import split_key_conflicts
from pipeline.lib.ingest.text import read_table_text
from pipeline.lib.store.results import LINE, ParseResult

MAOZ_KEY = ("ccode", "regstdate", "globstdate")
TD_LAST_YEAR = 2010
TSS_LAST_YEAR = 2020
MAOZ_LAST_DAY = date(2019, 12, 31)
RIVALRY_TYPES = ("spatial", "positional", "ideological", "interventionary")
TSS_FLAGS = ("positional", "spatial", "ideological", "interventionary", "principal", "aprin")
_TEXT = ("", "NA")


def _ccode(name: str) -> Col:
    return Col(name, pl.Int32, na=_TEXT, required=True, check=lambda c: c.is_between(1, 999),
               reason="ccode outside 1-999")


def _year(name: str, rename: str | None = None) -> Col:
    return Col(name, pl.Int32, na=_TEXT, required=True, rename=rename,
               check=lambda c: c.is_between(1494, 2100), reason="year outside 1494-2100")


def _type(name: str, required: bool) -> Col:
    return Col(name, pl.Utf8, na=_TEXT, required=required,
               check=lambda c: c.is_in(RIVALRY_TYPES), reason="not a rivalry type")


_ID = {"dtype": pl.Int32, "na": _TEXT, "required": True, "check": lambda c: c >= 1,
       "reason": "id below 1"}
TD_COLS = [Col("rivalryno", **_ID), Col("rivalryname", na=_TEXT, required=True),
           _ccode("ccode1"), _ccode("ccode2"), _year("styear"), _year("endyear"),
           Col("region", na=_TEXT, required=True), _type("type1", True),
           _type("type2", False), _type("type3", False)]
TSS_COLS = [Col("tssr_id", **_ID), Col("rivalry", na=_TEXT, required=True),
            _ccode("ccode1"), _ccode("ccode2"), _year("start", "styear"), _year("end", "endyear"),
            *[Col(f, pl.Int8, na=_TEXT, check=lambda c: c.is_in([0, 1]), reason="not 1 or empty")
              for f in TSS_FLAGS]]
MAOZ_COLS = [_ccode("ccode"),
             *[Col(f"{role}{edge}date", pl.Date, na=_TEXT)
               for role in ("reg", "glob") for edge in ("st", "end")]]
_SPELL_RULES = [
    ("ccode2", pl.col("ccode1") == pl.col("ccode2"),
     pl.format("a state cannot rival itself: {}", pl.col("ccode1"))),
    ("endyear", pl.col("styear") > pl.col("endyear"),
     pl.format("spell ends ({}) before it starts ({})", pl.col("endyear"), pl.col("styear"))),
]


def _raw(columns: list[str]) -> pl.Expr:
    return pl.concat_str([pl.col(c).cast(pl.Utf8).fill_null("") for c in columns],
                         separator="\t")


def _parse(path: Path, cols: list[Col], rules: list, key: list[str],
           zero: tuple[str, ...] = ()) -> ParseResult:
    """Read, type, apply the cross-column ``rules``, fill ``zero`` columns' NULLs with 0;
    rows sharing ``key`` but differing elsewhere are quarantined."""
    rows, q_lines, n = read_table_text(path, sep=",", expected=[c.name for c in cols])
    typed, q_values = coerce(rows.select(*[c.name for c in cols], LINE), cols, str(path))
    out = [c.rename or c.name for c in cols]
    typed, q_rules = quarantine_rules(typed, rules, str(path), _raw(out))
    typed = typed.with_columns(pl.col(zero).fill_null(0))
    typed, q_key = split_key_conflicts(typed, key, str(path))
    return finish(typed, [q_lines, q_values, *q_rules, q_key], n, str(path))


def parse_td_rivalries(path: Path) -> ParseResult:
    """Read ``td_rivalries`` (Thompson & Dreyer 2012), one row per rivalry spell."""
    return _parse(path, TD_COLS, _SPELL_RULES, ["rivalryno"])


def parse_tss_rivalries(path: Path) -> ParseResult:
    """Read ``tss_rivalries`` (Thompson, Sakuwa & Suhas 2022); empty markers become 0."""
    return _parse(path, TSS_COLS, _SPELL_RULES, ["tssr_id"], zero=TSS_FLAGS)


def _role_rules() -> list:
    rules = []
    for role in ("reg", "glob"):
        st, end = pl.col(f"{role}stdate"), pl.col(f"{role}enddate")
        rules += [(f"{role}enddate", st.is_null() != end.is_null(),
                   pl.lit(f"{role} spell has only one of its start and end dates")),
                  (f"{role}enddate", st > end,
                   pl.format("{} spell ends before it starts", pl.lit(role)))]
    none = pl.all_horizontal(pl.col(f"{r}stdate").is_null() for r in ("reg", "glob"))
    return [*rules, ("regstdate", none, pl.lit("neither a regional nor a global spell"))]


def parse_maoz_powers(path: Path) -> ParseResult:
    """Read ``maoz_powers`` (Maoz 2010): regional and global power spells, ISO dates."""
    return _parse(path, MAOZ_COLS, _role_rules(), list(MAOZ_KEY))


def _spell_years(spells: pl.LazyFrame, start: pl.Expr, end: pl.Expr, ongoing: pl.Expr,
                 last_year: int) -> pl.LazyFrame:
    """One row per spell-year up to ``last_year``; an ``ongoing`` spell runs to it."""
    stop = pl.when(ongoing).then(pl.lit(last_year)).otherwise(pl.min_horizontal(end, last_year))
    return (spells.with_columns(pl.int_ranges(start, stop + 1, dtype=pl.Int32).alias("year"))
            .explode("year").filter(pl.col("year").is_not_null()))


def rivalry_years(td: pl.DataFrame | pl.LazyFrame, tss: pl.DataFrame | pl.LazyFrame, *,
                  last_year: int) -> pl.DataFrame:
    """Directed rival pair-years coded by Thompson & Dreyer and/or Thompson, Sakuwa & Suhas.

    Parameters
    ----------
    td, tss : ``raw.td_rivalries`` and ``raw.tss_rivalries`` (``ccode1, ccode2, styear,
        endyear``).
    last_year : last year of output. A spell ending in its list's last year (TD 2010,
        TSS 2020) is ongoing at the end of coverage and is carried forward to ``last_year``
        (rivalries last decades; Thompson & Dreyer 2012); every spell stops at ``last_year``.

    Returns
    -------
    ``ccode1, ccode2`` (Int32), ``year`` (Int32), ``td, tss`` (Boolean): one row per ordered
    pair and year in which at least one list codes a rivalry, both orders present, sorted.
    A flag is True when the list codes the rivalry (or carries an ongoing one), False when
    the list covers the year and codes none, and NULL when the year is past the list's
    coverage and no ongoing spell reaches it (the list cannot say).
    """
    parts = []
    for name, frame, last_coded in (("td", td, TD_LAST_YEAR), ("tss", tss, TSS_LAST_YEAR)):
        end = pl.col("endyear")
        years = _spell_years(frame.lazy(), pl.col("styear"), end, end >= last_coded, last_year)
        parts.append(years.select(pl.col("ccode1", "ccode2").cast(pl.Int32), "year",
                                  pl.lit(name).alias("list")))
    pairs = pl.concat(parts)
    mirrored = pairs.select(pl.col("ccode2").alias("ccode1"), pl.col("ccode1").alias("ccode2"),
                            "year", "list")
    coded = (pl.concat([pairs, mirrored])
             .group_by("ccode1", "ccode2", "year")
             .agg((pl.col("list") == name).any().alias(name) for name in ("td", "tss")))
    return (coded.with_columns(
        pl.when(pl.col(name)).then(True).when(pl.col("year") > last_coded).then(None)
        .otherwise(False).alias(name)
        for name, last_coded in (("td", TD_LAST_YEAR), ("tss", TSS_LAST_YEAR)))
        .sort("ccode1", "ccode2", "year").collect())


def power_years(maoz: pl.DataFrame | pl.LazyFrame, years: Iterable[int]) -> pl.DataFrame:
    """State-years in which Maoz (2010) codes a state as a regional and/or global power.

    Parameters
    ----------
    maoz : ``raw.maoz_powers`` (``ccode`` and the four spell dates).
    years : the years wanted (e.g. ``range(1946, 2015)``).

    Returns
    -------
    ``ccode`` (Int32), ``year`` (Int32), ``regional_power``, ``global_power`` (Boolean),
    one row per state and year in ``years`` in which it holds at least one role, sorted.
    A role held on any day of a year counts for that year, as a state counts in COW's
    system2016 (so France, regional from 1944-08-25, is a regional power in 1944). A spell
    ending on 2019-12-31 is ongoing at the end of coverage and carried to ``max(years)``.
    States never listed, or in years without a role, have no row: join and fill False.
    """
    wanted = sorted(set(years))
    if not wanted:
        return pl.DataFrame(schema={"ccode": pl.Int32, "year": pl.Int32,
                                    "regional_power": pl.Boolean, "global_power": pl.Boolean})
    parts = []
    for role, flag in (("reg", "regional_power"), ("glob", "global_power")):
        st, end = pl.col(f"{role}stdate"), pl.col(f"{role}enddate")
        spells = maoz.lazy().filter(st.is_not_null())
        years_of = _spell_years(spells, st.dt.year(), end.dt.year(), end >= MAOZ_LAST_DAY,
                                wanted[-1])
        parts.append(years_of.select(pl.col("ccode").cast(pl.Int32), "year",
                                     pl.lit(flag).alias("role")))
    return (pl.concat(parts)
            .filter(pl.col("year").is_in(wanted))
            .group_by("ccode", "year")
            .agg((pl.col("role") == flag).any().alias(flag)
                 for flag in ("regional_power", "global_power"))
            .sort("ccode", "year").collect())


_CCODE = {"ge": 1, "le": 999}
_YEARS = {"ge": 1494, "le": 2100}


class TdRivalries(pa.DataFrameModel):
    """raw.td_rivalries: Thompson & Dreyer (2012) strategic rivalry spells."""

    rivalryno: pl.Int32 = pa.Field(ge=1)
    rivalryname: pl.Utf8
    ccode1: pl.Int32 = pa.Field(**_CCODE)
    ccode2: pl.Int32 = pa.Field(**_CCODE)
    styear: pl.Int32 = pa.Field(**_YEARS)
    endyear: pl.Int32 = pa.Field(**_YEARS)
    region: pl.Utf8
    type1: pl.Utf8 = pa.Field(isin=list(RIVALRY_TYPES))
    type2: pl.Utf8 = pa.Field(isin=list(RIVALRY_TYPES), nullable=True)
    type3: pl.Utf8 = pa.Field(isin=list(RIVALRY_TYPES), nullable=True)

    class Config:
        strict = True
        unique = ["rivalryno"]


class TssRivalries(pa.DataFrameModel):
    """raw.tss_rivalries: Thompson, Sakuwa & Suhas (2022) strategic rivalry spells."""

    tssr_id: pl.Int32 = pa.Field(ge=1)
    rivalry: pl.Utf8
    ccode1: pl.Int32 = pa.Field(**_CCODE)
    ccode2: pl.Int32 = pa.Field(**_CCODE)
    styear: pl.Int32 = pa.Field(**_YEARS)
    endyear: pl.Int32 = pa.Field(**_YEARS)
    positional: pl.Int8 = pa.Field(isin=[0, 1])
    spatial: pl.Int8 = pa.Field(isin=[0, 1])
    ideological: pl.Int8 = pa.Field(isin=[0, 1])
    interventionary: pl.Int8 = pa.Field(isin=[0, 1])
    principal: pl.Int8 = pa.Field(isin=[0, 1])
    aprin: pl.Int8 = pa.Field(isin=[0, 1])

    class Config:
        strict = True
        unique = ["tssr_id"]


class MaozPowers(pa.DataFrameModel):
    """raw.maoz_powers: Maoz (2010) regional and global power spells (NULL = no such role)."""

    ccode: pl.Int32 = pa.Field(**_CCODE)
    regstdate: pl.Date = pa.Field(nullable=True)
    regenddate: pl.Date = pa.Field(nullable=True)
    globstdate: pl.Date = pa.Field(nullable=True)
    globenddate: pl.Date = pa.Field(nullable=True)

    class Config:
        strict = True
        unique = list(MAOZ_KEY)


SOURCES: list = []  # the files belong to peacesciencer.PEACESCIENCER, listed by that module
TABLES: list[RawTable] = [
    RawTable("td_rivalries", PEACESCIENCER, parse_td_rivalries, TdRivalries, ("rivalryno",),
             "Thompson & Dreyer (2012) strategic rivalry spells 1494-2010 with region and "
             "types (an end year of 2010 means ongoing).", patterns=("td_rivalries.csv*",),
             required=False),
    RawTable("tss_rivalries", PEACESCIENCER, parse_tss_rivalries, TssRivalries, ("tssr_id",),
             "Thompson, Sakuwa & Suhas (2022) strategic rivalry spells 1494-2020 with 0/1 type, "
             "principal and asymmetric-principal markers (an end year of 2020 means ongoing).",
             patterns=("tss_rivalries.csv*",), required=False),
    RawTable("maoz_powers", PEACESCIENCER, parse_maoz_powers, MaozPowers, MAOZ_KEY,
             "Maoz (2010) regional and global power spells (dates; NULL where the state does "
             "not hold the role; an end of 2019-12-31 means ongoing).",
             patterns=("maoz_powers.csv*",), required=False),
]
