"""Typed, checked event rows from one block's text rows (the engine's value stage).

A column with few distinct values (dates, codes, weights, countries, sectors) is checked once
per distinct value in the stream's lookup tables (:mod:`.lookups`), which also give each
row its parsed date, CAMEO values and COW codes. Other columns (IDs, actor names) are checked
per row. Reasons are built only for rows that fail. The staged event then keeps the CAMEO
rules of METHODS §5.2 (:func:`.rules.event_rules`) and takes the ``raw.events`` columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipeline.lib.ingest.sources.cameo import quad_class, root_code
from pipeline.lib.store.results import LINE

from .layout import FileLayout, Side
from .lookups import Lookups
from .rules import (
    ENGINE,
    PROBLEM,
    any_broken,
    cast,
    column_rules,
    event_rules,
    first_problem,
    na_null,
    typed,
)
from .schema import EVENT_COLUMNS

STAGED = [c for c in EVENT_COLUMNS if c not in ("dataset", "source_file", "source_line",
                                                  "partition_year")]
_FROM_TABLE = {"goldstein": "__g", "root_code": "__root", "quad_class": "__quad"}


def cameo_lookup(cameo: pl.DataFrame) -> pl.DataFrame:
    """CAMEO code -> goldstein, root_code, quad_class (one row per code), under the internal
    names of ``_FROM_TABLE`` (a format may call its own columns ``goldstein``)."""
    return (cameo.select(pl.col("code").cast(pl.Utf8).alias("cameo_code"),
                         pl.col("goldstein").cast(pl.Float64))
            .unique("cameo_code")
            .with_columns(root_code(pl.col("cameo_code")).alias("root_code"))
            .with_columns(quad_class(pl.col("root_code")).alias("quad_class"))
            .rename(_FROM_TABLE))


def join_codes(*cols: str, sep: str = ",") -> pl.Expr:
    """Non-null, non-empty text columns joined with ``sep``; NULL when all are missing."""
    parts = pl.concat_list([pl.col(c) for c in cols]).list.eval(
        pl.element().filter(pl.element().is_not_null() & (pl.element() != "")))
    return pl.when(parts.list.len() > 0).then(parts.list.join(sep)).otherwise(None)


@dataclass
class Typed:
    """One block after the value stage."""

    ok: pl.DataFrame          # STAGED columns + ``_line``
    problems: pl.DataFrame    # ``_line``, ``problem`` (PROBLEM struct) of rejected rows
    disagree: int = 0         # rows whose own quad class differs from the code's


class Typer:
    """The value stage for one file (see the module docstring)."""

    def __init__(self, fl: FileLayout, cameo: pl.DataFrame):
        lay = self.lay = fl.layout
        self.present = {c.name for c in lay.cols if c.name in fl.take or (
            c.name == lay.code and fl.code_from_text)}
        self.cols = list(lay.cols)
        self.rules = {c.name: column_rules(c, fl.file_name(c.name)) for c in self.cols}
        self.events = event_rules(lay.weight_must_match)
        self.names = (cameo.select(pl.col("name").alias("__text"),
                                   pl.col("code").cast(pl.Utf8).alias("__code"))
                      .unique("__text", keep="none") if fl.code_from_text else None)
        low = [c for c in self.cols if c.name in lay.low_card and c.name in self.present]
        self.lookups = Lookups(lay, low, self.rules, cameo_lookup(cameo))

    def __call__(self, rows: pl.DataFrame) -> Typed:
        # Eager DataFrame methods on a wide frame run unoptimised over every column; the
        # work here is lazy and collected once per step.
        lay = self.lay
        if not rows.height:
            return Typed(pl.DataFrame(schema={**{c: EVENT_COLUMNS[c] for c in STAGED},
                                              LINE: pl.Int64}),
                         pl.DataFrame(schema={LINE: pl.Int64, "problem": PROBLEM}))
        absent = [c.name for c in self.cols if c.name not in self.present]
        if absent or self.names is not None:
            lf = rows.lazy().with_columns(pl.lit(None, pl.Utf8).alias(n) for n in absent)
            if self.names is not None:
                lf = (lf.join(self.names.lazy(), left_on=lay.code_from_text, right_on="__text",
                              how="left", maintain_order="left")
                      .with_columns(pl.col("__code").fill_null("NA").alias(lay.code)))
            rows = lf.collect(engine=ENGINE)
        ids = self.lookups.numbers(rows)
        stacked, exprs, lut_problems = self.lookups.per_row(rows, ids)
        luts = self.lookups.luts
        per_row = [c for c in self.cols if c.name not in luts]
        order = [lut_problems[c.name] if c.name in luts else first_problem(self.rules[c.name])
                 for c in self.cols if c.name in lut_problems or c.name not in luts]
        fails = [p.is_not_null() for p in lut_problems.values()] + [
            any_broken(self.rules[c.name]) for c in per_row]
        frame = (rows.hstack(stacked).lazy().with_columns(exprs)
                 .with_columns(na_null(c).alias(c.name) for c in per_row)
                 .with_columns(cast(c) for c in per_row)
                 .with_columns(pl.any_horizontal(fails).alias("__bad") if fails
                               else pl.lit(False).alias("__bad"))
                 .collect(engine=ENGINE))
        frame = frame.lazy()
        good = frame.filter(~pl.col("__bad"))
        plans = [frame.filter("__bad").select(LINE, pl.coalesce(order).cast(PROBLEM)
                                              .alias("problem")),
                 good.select(*self._stage(), LINE)
                 .with_columns(any_broken(self.events).alias("__bad"))]
        if lay.quad_class:
            plans.append(good.select((pl.col(typed(lay.quad_class)) != pl.col("__quad_code"))
                                     .sum()))
        problems, staged, *disagree = pl.collect_all(plans, engine=ENGINE)
        ok = staged.lazy()
        if staged["__bad"].any():
            flagged = ok.filter("__bad").select(LINE, first_problem(self.events).alias("problem"))
            ok = ok.filter(~pl.col("__bad"))
            problems = pl.concat([problems, flagged.collect(engine=ENGINE)])
        ok = (ok.select(*[pl.col(c).cast(EVENT_COLUMNS[c]) for c in STAGED], LINE)
              .collect(engine=ENGINE))
        return Typed(ok, problems, (disagree[0].item() or 0) if disagree else 0)

    def _stage(self) -> list[pl.Expr]:
        lay = self.lay

        def t(name: str | None, dtype=pl.Utf8) -> pl.Expr:
            return pl.col(typed(name)) if name else pl.lit(None, dtype)

        return [
            pl.concat_str([pl.lit(f"{lay.dataset}:"), t(lay.event_id).str.strip_chars()])
            .alias("event_id"),
            pl.col("event_date"), pl.col("event_date").dt.year().alias("year"),
            pl.col("__source_ccode").alias("source_ccode"),
            pl.col("__target_ccode").alias("target_ccode"),
            *self._side(lay.source_side, "source"), *self._side(lay.target_side, "target"),
            t(lay.code).alias("cameo_code"),
            *[pl.col(v).alias(k) for k, v in _FROM_TABLE.items()],
            t(lay.weight, pl.Float64).alias("raw_goldstein"),
            t(lay.root_event, pl.Boolean).alias("is_root_event"),
        ]

    def _side(self, side: Side, prefix: str) -> list[pl.Expr]:
        sectors = (pl.col(typed(side.sectors[0])) if len(side.sectors) == 1
                   else join_codes(*[typed(s) for s in side.sectors]))
        if self.lay.sector_sep:
            sectors = sectors.str.replace_all(self.lay.sector_sep, ",", literal=True)
        return [pl.col(typed(side.actor)).alias(f"{prefix}_actor"),
                pl.col(typed(side.country)).alias(f"{prefix}_country"),
                sectors.alias(f"{prefix}_sectors")]
