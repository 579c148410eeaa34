"""Country identifiers (names, ISO2, ISO3, FIPS 10-4, CAMEO country codes) to COW ccodes.

The mapping lives in the maintained table ``pipeline/lib/ingest/data/country_crosswalk.csv``: one row
per (kind, value, ccode, start_year, end_year, note). An empty ``ccode`` marks a known entity
that is not a COW state (Hong Kong, Western Sahara, CAMEO regions), so it stays NULL on purpose.
Empty years are open-ended. How the table was built and how to extend it:
``pipeline/lib/ingest/data/README.md``. The two changes of COW state inside a calendar year (Germany
and Yemen, 1990) are placed on their day when the caller has dates (:data:`WITHIN_YEAR`).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from pathlib import Path
from typing import Literal, TypeVar

import polars as pl

Kind = Literal["name", "iso2", "iso3", "fips", "cameo"]
KINDS: tuple[str, ...] = ("name", "iso2", "iso3", "fips", "cameo")
CROSSWALK_PATH = Path(__file__).parent / "data" / "country_crosswalk.csv"
SCHEMA = {
    "kind": pl.Utf8,
    "value": pl.Utf8,
    "ccode": pl.Int32,
    "start_year": pl.Int32,
    "end_year": pl.Int32,
    "note": pl.Utf8,
}
Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)
# COW state changes inside a calendar year (states2016.csv): (ccode to the day before, ccode
# from the day, the day). The table's year rule gives such a year to the state of 31 December.
WITHIN_YEAR: tuple[tuple[int, int, dt.date], ...] = (
    (260, 255, dt.date(1990, 10, 3)),   # German Federal Republic -> Germany
    (678, 679, dt.date(1990, 5, 22)),   # Yemen Arab Republic -> Yemen
)

_KEY, _YEAR, _NOW, _DATED, _PREV = "__cw_key", "__cw_year", "__cw_now", "__cw_dated", "__cw_prev"
_APOSTROPHES = r"['\u2018\u2019\u02bc`\u00b4]"


def name_key(expr: pl.Expr) -> pl.Expr:
    """Normalised country-name key: case-, accent- and punctuation-insensitive.

    Steps: Unicode NFKD with combining marks dropped (``Côte`` -> ``cote``), lower case,
    apostrophes removed, ``&`` -> ``and``, any other non-alphanumeric run -> one space, the
    word ``the`` dropped, ``st`` -> ``saint``, whitespace collapsed and stripped. Hence
    ``"Cote d'Ivoire"``, ``"CÔTE D’IVOIRE"`` and ``"Côte d Ivoire"`` share one key, as do
    ``"Gambia, The"`` / ``"The Gambia"`` and ``"St. Lucia"`` / ``"Saint Lucia"``.
    """
    return (
        expr.str.normalize("NFKD")
        .str.replace_all(r"\p{M}", "")
        .str.to_lowercase()
        .str.replace_all(_APOSTROPHES, "")
        .str.replace_all("&", " and ", literal=True)
        .str.replace_all(r"[^a-z0-9]+", " ")
        .str.replace_all(r"\bthe\b", " ")
        .str.replace_all(r"\bst\b", "saint")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )


def code_key(expr: pl.Expr) -> pl.Expr:
    """Normalised code key (ISO2, ISO3, FIPS, CAMEO): whitespace stripped, upper case."""
    return expr.str.strip_chars().str.to_uppercase()


def identifier_key(expr: pl.Expr, kind: str) -> pl.Expr:
    """Join key for an identifier column of the given ``kind`` (see :data:`KINDS`)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return name_key(expr) if kind == "name" else code_key(expr)


@cache
def load_crosswalk(path: Path = CROSSWALK_PATH) -> pl.DataFrame:
    """Read the maintained crosswalk table with fixed dtypes (cached per path).

    Returns
    -------
    pl.DataFrame
        Columns ``kind, value, ccode, start_year, end_year, note``; ``ccode`` is NULL for
        known non-state entities, years are NULL when open-ended.

    Raises
    ------
    ValueError
        When one identifier (after normalisation) has two rows whose year ranges overlap, so
        a code could map to two states on one day; the message names the rows.
    """
    table = pl.read_csv(path, schema=SCHEMA)
    clash = overlaps(table)
    if clash.height:
        raise ValueError(f"{path}: {clash.height} identifier(s) with overlapping year ranges, "
                         f"e.g. {clash.row(0, named=True)}; fix the table's start/end years")
    return table


def keyed_table(kind: str, table: pl.DataFrame | None = None) -> pl.LazyFrame:
    """Rows of one ``kind`` with the normalised join key: ``key, ccode, start_year, end_year``."""
    source = load_crosswalk() if table is None else table
    return (
        source.lazy()
        .filter(pl.col("kind") == kind)
        .select(
            identifier_key(pl.col("value"), kind).alias("key"),
            pl.col("ccode"),
            pl.col("start_year"),
            pl.col("end_year"),
        )
    )


def overlaps(table: pl.DataFrame | None = None) -> pl.DataFrame:
    """Pairs of rows with the same (kind, key) whose year ranges overlap; empty when clean.

    Open ends count as -inf / +inf, so two undated rows for one key always overlap.
    """
    spans = pl.concat([keyed_table(k, table).with_columns(kind=pl.lit(k)) for k in KINDS])
    spans = spans.with_columns(
        pl.col("start_year").fill_null(-9999).alias("lo"),
        pl.col("end_year").fill_null(9999).alias("hi"),
    ).with_row_index("row")
    return (
        spans.join(spans, on=["kind", "key"], suffix="_b")
        .filter(
            (pl.col("row") < pl.col("row_b"))
            & (pl.col("lo") <= pl.col("hi_b"))
            & (pl.col("lo_b") <= pl.col("hi"))
        )
        .select("kind", "key", "ccode", "lo", "hi", "ccode_b", "lo_b", "hi_b")
        .collect()
    )


def _current(table: pl.LazyFrame) -> pl.LazyFrame:
    """One row per key: the mapping with the latest end (open end = latest), then start."""
    order = [pl.col("end_year").fill_null(9999), pl.col("start_year").fill_null(-9999)]
    return table.group_by(_KEY).agg(pl.col("ccode").sort_by(order).last().alias(_NOW))


def _year_expr(dtype: pl.DataType, year_col: str) -> pl.Expr:
    """Integer year from an integer, float, string or temporal column."""
    col = pl.col(year_col)
    year = col.dt.year() if dtype.is_temporal() else col.cast(pl.Int32, strict=False)
    return year.cast(pl.Int32).alias(_YEAR)


def _dated(lazy: pl.LazyFrame, table: pl.LazyFrame, year: pl.Expr, out: str) -> pl.LazyFrame:
    """Join column ``out``: the ccode of the table row whose years cover ``year`` for each key."""
    lookup = (
        lazy.select(_KEY, year.alias(_YEAR))
        .drop_nulls()
        .unique()
        .join(table, on=_KEY)
        .filter(
            (pl.col("start_year").is_null() | (pl.col("start_year") <= pl.col(_YEAR)))
            & (pl.col("end_year").is_null() | (pl.col("end_year") >= pl.col(_YEAR)))
        )
        .group_by(_KEY, _YEAR)
        .agg(pl.col("ccode").first().alias(out))
        .rename({_YEAR: f"{out}_year"})
    )
    return lazy.with_columns(year.alias(f"{out}_year")).join(
        lookup, on=[_KEY, f"{out}_year"], how="left", validate="m:1", maintain_order="left"
    ).drop(f"{out}_year")


def _on_the_day(ccode: pl.Expr, day: pl.Expr) -> pl.Expr:
    """``ccode`` with the days before each :data:`WITHIN_YEAR` change given back to the earlier
    state, when the identifier meant that state the year before (so ``"Germany"`` on 1990-06-01
    is 260, while an identifier that always meant unified Germany stays 255)."""
    for before, after, change in WITHIN_YEAR:
        earlier = (
            (ccode == after)
            & (day < change)
            & (day.dt.year() == change.year)
            & (pl.col(_PREV) == before)
        )
        ccode = pl.when(earlier).then(pl.lit(before)).otherwise(ccode)
    return ccode


def attach_ccode(
    frame: Frame, column: str, kind: Kind, out: str, year_col: str | None = None
) -> Frame:
    """Add Int32 column ``out`` = COW ccode of ``column`` (NULL when unmatched or NULL input).

    Never drops, duplicates or reorders rows: the lookup side is reduced to one row per key
    (or per key and year) before a left join validated as many-to-one. Works on DataFrame and
    LazyFrame and returns the same type. An existing column ``out`` is overwritten in place.

    Parameters
    ----------
    frame
        Input table.
    column
        Identifier column (Utf8).
    kind
        ``"name"`` (matched after :func:`name_key` normalisation), ``"iso2"``, ``"iso3"``,
        ``"fips"`` or ``"cameo"`` (matched after :func:`code_key`).
    out
        Name of the ccode column to add.
    year_col
        Optional year column (integer, or a date/datetime whose year is used). Picks the row
        whose [start_year, end_year] covers the year, for identifiers whose COW state changed
        over time (Germany 255/260, Yemen 678/679, GDELT ``CZE`` 315/316). Rows with a NULL
        year get the current mapping, as when ``year_col`` is None. With a date/datetime, the
        changes inside a year (:data:`WITHIN_YEAR`) fall on their day: ``DEU`` is 260 up to
        1990-10-02 and 255 from 1990-10-03, ``YEM`` 678 up to 1990-05-21 and 679 after.

    Returns
    -------
    pl.DataFrame or pl.LazyFrame
        ``frame`` with ``out`` added.

    References
    ----------
    Correlates of War Project. 2017. "State System Membership List, v2016."
    """
    table = keyed_table(kind).rename({"key": _KEY})
    lazy = frame.lazy().with_columns(identifier_key(pl.col(column), kind).alias(_KEY))
    lazy = lazy.join(_current(table), on=_KEY, how="left", validate="m:1", maintain_order="left")
    ccode = pl.col(_NOW)
    if year_col is not None:
        dtype = lazy.collect_schema()[year_col]
        lazy = lazy.with_columns(_year_expr(dtype, year_col))
        lazy = _dated(lazy, table, pl.col(_YEAR), _DATED)
        ccode = pl.when(pl.col(_YEAR).is_null()).then(pl.col(_NOW)).otherwise(pl.col(_DATED))
        if dtype.is_temporal():
            lazy = _dated(lazy, table, pl.col(_YEAR) - 1, _PREV)
            ccode = _on_the_day(ccode, pl.col(year_col).cast(pl.Date))
    result = lazy.with_columns(ccode.cast(pl.Int32).alias(out)).drop(
        [_KEY, _YEAR, _NOW, _DATED, _PREV], strict=False
    )
    return result.collect() if isinstance(frame, pl.DataFrame) else result


def unmatched(frame: pl.DataFrame, column: str, out: str) -> pl.DataFrame:
    """Non-null ``column`` values whose ``out`` ccode is NULL, with counts (descending).

    The count column is ``n`` (``n_rows`` if ``column`` is itself called ``n``). Includes
    known non-state entities (NULL by design); compare with :func:`load_crosswalk` to
    separate those from identifiers missing from the table.
    """
    count = "n_rows" if column == "n" else "n"
    return (
        frame.filter(pl.col(column).is_not_null() & pl.col(out).is_null())
        .group_by(column)
        .len(count)
        .sort([count, column], descending=[True, False])
    )
