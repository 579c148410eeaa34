"""The reading contract every source parser follows.

A parser turns one raw file into a :class:`ParseResult`: the typed rows that load, the rows
that were rejected (quarantined, with file, line, column and reason) and the count of exact
duplicates removed, such that ``rows_read == loaded + quarantined + deduplicated``.  A file
that cannot be read at all (empty, wrong header, truncated archive, unsafe zip member) raises
:class:`InputError`, whose message names the file, line and column.

Reading is two-step: :func:`~pipeline.lib.ingest.text.read_table_text` produces an all-text frame with a ``_line``
column (the 1-based physical line in the file), then :func:`coerce` casts each column to its
declared dtype and domain, moving failing rows to quarantine instead of guessing. Opening
and decoding the file's bytes is :mod:`pipeline.lib.ingest.rawio` (also where :class:`InputError`
lives).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from pipeline.lib.ingest.text import read_table_text
from pipeline.lib.store.results import LINE, ParseResult, empty_quarantine

DEFAULT_NA = ("", "NA", "-9", "-8")


@dataclass(frozen=True)
class Col:
    """A column's target dtype and domain.

    ``na`` text values become NULL; a value that does not cast to ``dtype`` or fails ``check``
    (an expression on the cast column, NULLs pass) sends its row to quarantine with ``reason``.
    """

    name: str
    dtype: pl.DataType | type = pl.Utf8
    na: tuple[str, ...] = DEFAULT_NA
    check: Callable[[pl.Expr], pl.Expr] | None = None
    reason: str = "value out of domain"
    required: bool = False
    rename: str | None = None
    optional: bool = False  # the column may be absent from the file: then it is all NULL


def with_optional(rows: pl.DataFrame, cols: list[Col]) -> pl.DataFrame:
    """Add each optional column the file lacks, as NULL text (before :func:`coerce`)."""
    return rows.with_columns(pl.lit(None, pl.Utf8).alias(c.name) for c in cols
                             if c.optional and c.name not in rows.columns)


def cast_column(name: str, dtype) -> pl.Expr:
    """Text column ``name`` cast to ``dtype`` (stripped; failures NULL), as :func:`coerce` does."""
    c = pl.col(name).str.strip_chars()
    if dtype in (pl.Int8, pl.Int16, pl.Int32, pl.Int64):
        # Integers written as floats ("1.0") are accepted; "1.5" is not.
        f = c.cast(pl.Float64, strict=False)
        return pl.when(f == f.round(0)).then(f).otherwise(None).cast(dtype, strict=False)
    if dtype == pl.Boolean:
        return c.replace_strict({"1": True, "0": False, "TRUE": True, "FALSE": False,
                                 "true": True, "false": False}, default=None,
                                return_dtype=pl.Boolean)
    if dtype == pl.Utf8:
        return pl.col(name)
    if dtype in (pl.Float32, pl.Float64):
        # "nan"/"inf" cast without error but are not values: they would pass range checks
        # (NaN sorts above every number in Polars), so they are rejected like other text.
        f = c.cast(dtype, strict=False)
        return pl.when(f.is_finite()).then(f).otherwise(None)
    if dtype == pl.Date:
        # Polars 2 no longer casts strings to Date; parse ISO dates, failures become NULL.
        return c.str.to_date("%Y-%m-%d", strict=False)
    return c.cast(dtype, strict=False)


def coerce(rows: pl.DataFrame, cols: list[Col], source_file: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Cast text columns to their declared dtypes; rows that fail go to quarantine.

    Returns ``(typed, quarantine)``; ``typed`` keeps ``_line`` and only the declared columns.
    """
    nulled = rows.with_columns(
        pl.when(pl.col(c.name).str.strip_chars().is_in(list(c.na))).then(None)
        .otherwise(pl.col(c.name)).alias(c.name)
        for c in cols if c.na
    )
    typed = nulled.with_columns(cast_column(c.name, c.dtype).alias(f"__{c.name}") for c in cols)
    problems = []
    for c in cols:
        t = pl.col(f"__{c.name}")
        src = pl.col(c.name)
        msgs = [
            (src.is_not_null() & t.is_null(),
             pl.format("not a valid {}: '{}'", pl.lit(str(c.dtype)), src)),
        ]
        if c.check is not None:
            msgs.append((t.is_not_null() & ~c.check(t).fill_null(True),
                         pl.format("{}: '{}'", pl.lit(c.reason), src)))
        if c.required:
            msgs.append((src.is_null(), pl.lit("required value missing")))
        for cond, msg in msgs:
            problems.append(pl.when(cond).then(pl.struct(
                pl.lit(c.name).alias("column"), msg.alias("reason"))))
    flagged = typed.with_columns(pl.coalesce(problems).alias("__problem") if problems
                                 else pl.lit(None).alias("__problem"))
    bad = flagged.filter(pl.col("__problem").is_not_null())
    good = flagged.filter(pl.col("__problem").is_null())
    text_cols = [c for c in rows.columns if c != LINE]
    quarantine = bad.select(
        pl.lit(source_file).alias("source_file"),
        pl.col(LINE).cast(pl.Int64).alias("line"),
        pl.col("__problem").struct.field("column").cast(pl.Utf8),
        pl.col("__problem").struct.field("reason").cast(pl.Utf8),
        pl.concat_str([pl.col(c).fill_null("") for c in text_cols], separator="\t").alias("raw"),
    )
    out = good.select(
        *[pl.col(f"__{c.name}").alias(c.rename or c.name) for c in cols], pl.col(LINE))
    return out, quarantine


def drop_exact_duplicates(frame: pl.DataFrame, subset: list[str] | None = None) -> tuple[pl.DataFrame, int]:
    """Remove rows identical on ``subset`` (default: all but ``_line``), keeping the first."""
    subset = subset or [c for c in frame.columns if c != LINE]
    out = frame.unique(subset=subset, keep="first", maintain_order=True)
    return out, frame.height - out.height


def finish(frame: pl.DataFrame, quarantines: list[pl.DataFrame], rows_read: int,
           source_file: str, dedupe: list[str] | None | bool = None,
           notes: dict | None = None) -> ParseResult:
    """Drop duplicates (unless ``dedupe is False``), drop ``_line`` and reconcile the counts."""
    n_dup = 0
    if dedupe is not False:
        frame, n_dup = drop_exact_duplicates(frame, dedupe or None)
    result = ParseResult(
        frame=frame.drop(LINE, strict=False),
        quarantine=pl.concat([empty_quarantine(), *quarantines]).sort("line"),
        rows_read=rows_read, deduplicated=n_dup, source_file=source_file, notes=notes or {})
    result.reconcile()
    return result


def read_csv_typed(path: Path, cols: list[Col], *, sep: str = ",", header: bool = True,
                   quoted: bool = True, encoding: str = "utf-8",
                   dedupe: list[str] | None | bool = None) -> ParseResult:
    """Read + coerce + dedupe in one call, for sources with one flat table per file."""
    rows, q_lines, n = read_table_text(path, sep=sep, header=header, quoted=quoted,
                                       expected=[c.name for c in cols if not c.optional],
                                       encoding=encoding)
    typed, q_values = coerce(with_optional(rows, cols), cols, str(path))
    return finish(typed, [q_lines, q_values], n, str(path), dedupe=dedupe)
