"""What a reader hands the store: typed rows, the rejected rows and counts that reconcile.

A :class:`ParseResult` holds the rows that load, the quarantine (file, line, column, reason
and the raw line of every rejected row) and the number of exact duplicates removed, such that
``rows_read == loaded + quarantined + deduplicated``; ``LINE`` is the 1-based physical line a
row came from while it is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

LINE = "_line"
QUARANTINE_SCHEMA = {
    "source_file": pl.Utf8,
    "line": pl.Int64,
    "column": pl.Utf8,
    "reason": pl.Utf8,
    "raw": pl.Utf8,
}
@dataclass
class ParseResult:
    """What a parser returns for one file."""

    frame: pl.DataFrame
    quarantine: pl.DataFrame
    rows_read: int
    deduplicated: int = 0
    source_file: str = ""
    notes: dict = field(default_factory=dict)

    @property
    def loaded(self) -> int:
        return self.frame.height

    def reconcile(self) -> None:
        """Raise if read != loaded + quarantined + deduplicated (nothing may be lost)."""
        total = self.loaded + self.quarantine.height + self.deduplicated
        if total != self.rows_read:
            raise AssertionError(
                f"{self.source_file}: rows do not reconcile: read {self.rows_read} != loaded "
                f"{self.loaded} + quarantined {self.quarantine.height} + deduplicated "
                f"{self.deduplicated}"
            )


def empty_quarantine() -> pl.DataFrame:
    return pl.DataFrame(schema=QUARANTINE_SCHEMA)


def quarantine_rows(frame: pl.DataFrame, source_file: str, column: str, reason: str | pl.Expr,
                    raw: pl.Expr | None = None) -> pl.DataFrame:
    """Shape rejected rows of an all-text frame into the quarantine layout."""
    cols = [c for c in frame.columns if c != LINE]
    raw_expr = raw if raw is not None else pl.concat_str(
        [pl.col(c).fill_null("") for c in cols], separator="\t")
    return frame.select(
        pl.lit(source_file).alias("source_file"),
        pl.col(LINE).cast(pl.Int64).alias("line"),
        pl.lit(column).cast(pl.Utf8).alias("column"),
        (reason if isinstance(reason, pl.Expr) else pl.lit(reason)).cast(pl.Utf8).alias("reason"),
        raw_expr.cast(pl.Utf8).alias("raw"),
    )
