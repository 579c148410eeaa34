"""Quarantine rows naming a ccode that is not a COW state-system member in their year.

Parsers check that a ccode is a number in 1-999; they do not know the state system. This
check needs ``raw.cow_system`` (system2016: one row per member state-year, a state counting
in a year if it was a member on any day of it), so it runs after parsing, on the typed frame.

Rows are *kept* (not judged) when a ccode or the year is NULL (events whose actor matched no
state keep a NULL ccode by design), or when the year lies outside the years the system frame
covers (system2016 ends in 2016; a 2020 event cannot be checked against it).

References
----------
Correlates of War Project. 2017. "State System Membership List, v2016." Online,
http://correlatesofwar.org.
"""

from __future__ import annotations

import polars as pl

from pipeline.lib.store.results import LINE, QUARANTINE_SCHEMA

_LINE_COLS = (LINE, "source_line")


def _non_member(col: str, year_col: str, members: pl.DataFrame) -> pl.Expr:
    """True where ``col`` is a ccode absent from ``members`` (ccode, year) in ``year_col``."""
    key = pl.concat_str([pl.col(col).cast(pl.Int32), pl.col(year_col).cast(pl.Int32)],
                        separator=":")
    member_keys = members.select(
        pl.concat_str(["ccode", "year"], separator=":")).to_series().implode()
    return pl.col(col).is_not_null() & ~key.is_in(member_keys)


def flag_non_members(frame: pl.DataFrame, system: pl.DataFrame, ccode_cols: list[str] | str,
                     year_col: str, *, source_file: str = "",
                     line_col: str | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Split ``frame`` into rows whose ccodes are system members that year, and quarantine.

    Parameters
    ----------
    frame : typed rows with Int ``ccode_cols`` and an integer ``year_col``.
    system : ``raw.cow_system`` (or system2016.csv parsed), with ``ccode`` and ``year``.
    ccode_cols : the ccode column(s) to check, e.g. ``["ccode1", "ccode2"]``; a row is
        quarantined if any of them is not a member (the first failing column is named).
    year_col : the year column.
    source_file : label for the quarantine rows (default: ``frame``'s ``source_file`` column
        when present, else empty).
    line_col : column holding the file line (default ``_line`` or ``source_line`` when
        present; else the quarantine ``line`` is NULL).

    Returns
    -------
    (kept, quarantine): ``kept`` has ``frame``'s columns and row order; ``quarantine`` is in
    the :data:`pipeline.lib.store.results.QUARANTINE_SCHEMA` layout, reason
    ``"ccode 345 not a COW system member in 2010"``. ``kept.height + quarantine.height ==
    frame.height``.
    """
    cols = [ccode_cols] if isinstance(ccode_cols, str) else list(ccode_cols)
    members = system.select(pl.col("ccode").cast(pl.Int32), pl.col("year").cast(pl.Int32))
    if members.drop_nulls().is_empty():
        raise ValueError("the state-system frame has no (ccode, year) rows")
    lo, hi = members["year"].min(), members["year"].max()
    year = pl.col(year_col).cast(pl.Int32)
    checkable = year.is_not_null() & year.is_between(lo, hi)
    problem = pl.coalesce([
        pl.when(checkable & _non_member(c, year_col, members)).then(pl.struct(
            pl.lit(c).alias("column"),
            pl.format("ccode {} not a COW system member in {}", pl.col(c), year)
            .alias("reason")))
        for c in cols])
    flagged = frame.with_columns(problem.alias("__problem"))
    bad = flagged.filter(pl.col("__problem").is_not_null())
    line_col = line_col or next((c for c in _LINE_COLS if c in frame.columns), None)
    label = (pl.col("source_file") if not source_file and "source_file" in frame.columns
             else pl.lit(source_file))
    text = [c for c in frame.columns if c != LINE]
    quarantine = bad.select(
        label.cast(pl.Utf8).alias("source_file"),
        (pl.col(line_col) if line_col else pl.lit(None)).cast(pl.Int64).alias("line"),
        pl.col("__problem").struct.field("column").cast(pl.Utf8).alias("column"),
        pl.col("__problem").struct.field("reason").cast(pl.Utf8).alias("reason"),
        pl.concat_str([pl.col(c).cast(pl.Utf8).fill_null("") for c in text],
                      separator="\t").alias("raw"),
    ).cast(QUARANTINE_SCHEMA)
    kept = flagged.filter(pl.col("__problem").is_null()).drop("__problem")
    return kept, quarantine
