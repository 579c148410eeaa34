"""Duplicates among one file's events: exact repeats dropped, key conflicts quarantined.

Rows equal in every column but their position (file, line, partition) are one event seen
twice (the 2021 ICEWS file repeats whole rows; andybega/icews #80); the first is kept and the
others are counted as ``deduplicated``. Event IDs recur across dates in ICEWS releases
(andybega/icews #21), so the key is ``(dataset, event_id, event_date)``; rows sharing it but
differing in content are not resolved by guessing: all of them are quarantined.

:class:`IdBits` finds repeats in bounded memory while a file streams: a bitset over numeric
event IDs flags rows whose ID was seen before; only those are held back and resolved at the
end with :func:`dedupe_events`.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from .schema import EVENT_KEY

MAX_BITS = 1 << 31
_POSITION = ("source_file", "source_line", "partition_year")


def dedupe_events(frame: pl.DataFrame, ignore: tuple[str, ...] = _POSITION
                  ) -> tuple[pl.DataFrame, int, pl.DataFrame]:
    """``(kept, n_exact_duplicates, conflicts)``; ``conflicts`` has ``_differs`` naming the
    columns in which rows sharing a key differ (see the module docstring)."""
    content = [c for c in frame.columns if c not in ignore]
    unique = frame.unique(subset=content, keep="first", maintain_order=True)
    clash = pl.struct(list(EVENT_KEY)).is_duplicated()
    differs = pl.concat_str(
        [pl.when(pl.col(c).n_unique().over(list(EVENT_KEY)) > 1).then(pl.lit(c))
         for c in content if c not in EVENT_KEY], separator=", ", ignore_nulls=True)
    return (unique.filter(~clash), frame.height - unique.height,
            unique.filter(clash).with_columns(differs.alias("_differs")))


def numeric_id(dataset: str) -> pl.Expr:
    """The numeric part of ``event_id`` (``"<dataset>:<id>"``) modulo the bitset size; 0 if
    the ID is not a number (such IDs all share one bit: held back, resolved exactly)."""
    return (pl.col("event_id").str.slice(len(dataset) + 1).cast(pl.UInt64, strict=False)
            .fill_null(0) % pl.lit(MAX_BITS, pl.UInt64))


class IdBits:
    """Event IDs seen so far, as bits; holds back the rows whose ID repeats."""

    def __init__(self, dataset: str):
        self.dataset = dataset
        self.bits = np.zeros(0, np.uint8)
        self.held: list[pl.DataFrame] = []
        self.held_ids: list[np.ndarray] = []

    def split(self, ok: pl.DataFrame) -> pl.DataFrame:
        """The rows of ``ok`` whose ID is new (the others are held back)."""
        ids_s = ok.select(numeric_id(self.dataset)).to_series()
        ids = ids_s.to_numpy()
        need = int(ids.max() >> 3) + 1 if ids.size else 0
        if need > self.bits.size:
            grow = max(need - self.bits.size, self.bits.size)
            self.bits = np.concatenate([self.bits, np.zeros(grow, np.uint8)])
        byte, mask = (ids >> 3).astype(np.int64), (1 << (ids & 7)).astype(np.uint8)
        hold = ((self.bits[byte] & mask) != 0) | (~ids_s.is_first_distinct()).to_numpy()
        np.bitwise_or.at(self.bits, byte, mask)
        if not hold.any():
            return ok
        h = pl.Series(hold)
        self.held.append(ok.filter(h))
        self.held_ids.append(ids[hold])
        return ok.filter(~h)

    def ids(self) -> np.ndarray:
        return np.unique(np.concatenate(self.held_ids)) if self.held_ids else np.zeros(0)
