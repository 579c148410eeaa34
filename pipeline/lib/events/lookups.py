"""Lookup tables of the columns with few distinct values, grown over one stream.

Each such column (dates, codes, weights, countries, sectors) gets a private Polars
categorical: casting a block's column to it hashes each raw text once and gives every distinct
text a number that stays the same for the whole stream. The lookup table has one row per
number, computed once when the text first appears: its NA-nulled text, typed value, first
broken rule (:mod:`.rules`) and derived values (the parsed date and its year; the CAMEO
table's Goldstein weight, root and quad class). A row then gathers by its number what it
needs, and its countries' COW codes come from a (country, year) grid crosswalked once per
distinct pair (:class:`CcodeCache`).
"""

from __future__ import annotations

import polars as pl

from pipeline.lib.ingest import crosswalk
from pipeline.lib.ingest.contract import Col
from pipeline.lib.ingest.sources.cameo import quad_class, root_code

from .layout import Layout
from .rules import ENGINE, Rule, cast, first_problem, na_null, parse_date, typed


class CcodeCache:
    """(country, year) -> ccode, crosswalked once per distinct pair over the whole stream."""

    def __init__(self, kind: str):
        self.kind = kind
        self.known = pl.DataFrame(schema={"country": pl.Utf8, "year": pl.Int16,
                                          "ccode": pl.Int32})

    def grid(self, countries: pl.Series, years: pl.Series) -> pl.Series:
        """ccode of every (country, year), country-major: position ``i * len(years) + j``."""
        pairs = (pl.DataFrame({"country": countries}).with_row_index("__i")
                 .join(pl.DataFrame({"year": years}).with_row_index("__j"), how="cross"))
        new = (pairs.filter(pl.col("country").is_not_null()).select("country", "year").unique()
               .join(self.known, on=["country", "year"], how="anti"))
        if new.height:
            mapped = crosswalk.attach_ccode(new, "country", self.kind, "ccode", year_col="year")
            self.known = pl.concat([self.known, mapped.select(self.known.columns)])
        return (pairs.join(self.known, on=["country", "year"], how="left")
                .sort("__i", "__j")["ccode"])


class Lookups:
    """The growing lookup tables of one stream (see the module docstring)."""

    def __init__(self, lay: Layout, cols: list[Col], rules: dict[str, list[Rule]],
                 cameo: pl.DataFrame):
        self.lay, self.cameo = lay, cameo
        self.cols = {c.name: c for c in cols}
        self.rules = rules
        self.categories = {n: pl.Categories.random("pipeline-events") for n in self.cols}
        self.luts: dict[str, pl.DataFrame] = {}
        self._alive: dict[str, pl.Series] = {}  # every category in use, so none is freed
        self.ccodes = CcodeCache(lay.country_kind)

    def _rows(self, name: str, texts: pl.Series) -> pl.DataFrame:
        """Lookup rows for raw texts seen for the first time."""
        c, lay, extras = self.cols[name], self.lay, {}
        if name == lay.date:
            extras["event_date"] = parse_date(pl.col(typed(name)), lay.date_formats)
        if name == lay.code and lay.quad_class:
            extras["__quad_code"] = quad_class(root_code(pl.col(typed(name))))
        lut = (texts.alias(name).to_frame().lazy()
               .with_columns(na_null(c).alias(name))
               .with_columns(cast(c))
               .with_columns(first_problem(self.rules[name]).alias(f"__p_{name}"), **extras))
        if name == lay.date:
            lut = lut.with_columns(pl.col("event_date").dt.year().cast(pl.Int16).alias("__year"))
        if name == lay.code:
            lut = lut.join(self.cameo.lazy(), left_on=typed(name), right_on="cameo_code",
                           how="left", maintain_order="left")
        return lut.drop(name).collect(engine=ENGINE)

    def numbers(self, rows: pl.DataFrame) -> pl.DataFrame:
        """Each looked-up column of ``rows`` as its texts' numbers (UInt32); new texts get
        their lookup rows."""
        cats = rows.lazy().select(pl.col(n).cast(pl.Categorical(self.categories[n]))
                                  for n in self.cols).collect(engine=ENGINE)
        for n in self.cols:
            texts = self.categories[n].to_series()
            have = self.luts[n].height if n in self.luts else 0
            if texts.len() > have:
                new = self._rows(n, texts.slice(have))
                self.luts[n] = pl.concat([self.luts[n], new]) if have else new
                self._alive[n] = texts.cast(pl.Categorical(self.categories[n]))
        return cats.select(pl.all().to_physical())

    def per_row(self, rows: pl.DataFrame, ids: pl.DataFrame):
        """What each row takes from the tables: (columns to stack on ``rows``, expressions,
        the problem column of each looked-up column whose block has a problem).

        Text needs no gather, only its NA values nulled; typed numbers, dates, CAMEO values,
        problems and the COW codes of the row's (country, year) are gathered by number."""
        lay, exprs, problems, stacked = self.lay, [], {}, []
        for n, lut in self.luts.items():
            p = f"__p_{n}"
            bad = lut.with_row_index("__i").filter(pl.col(p).is_not_null())["__i"]
            if bad.len() and ids[n].is_in(bad.implode()).any():
                problems[n] = pl.col(p)
                stacked.append(lut[p].gather(ids[n]))
            take = [k for k in lut.columns if k not in (p, typed(n), "__year")]
            if lut.schema[typed(n)] == pl.Utf8:
                na = lut.with_row_index("__i").filter(pl.col(typed(n)).is_null())["__i"]
                if na.len():
                    stacked.append(ids[n].alias(f"__id_{n}"))
                exprs.append((pl.when(pl.col(f"__id_{n}").is_in(na.implode())).then(None)
                              .otherwise(pl.col(n)) if na.len() else pl.col(n))
                             .alias(typed(n)))
            else:
                take.append(typed(n))
            stacked.extend(lut[k].gather(ids[n]) for k in take)
        year = self.luts[lay.date]["__year"].gather(ids[lay.date])
        first, last = year.min(), year.max()
        years = pl.int_range(first or 0, (last or -1) + 1, dtype=pl.Int16, eager=True)
        for name, side in ((lay.source_side.country, "source"),
                           (lay.target_side.country, "target")):
            if name not in self.luts:
                stacked.append(pl.Series(f"__{side}_ccode", [None] * rows.height, pl.Int32))
                continue
            grid = self.ccodes.grid(self.luts[name][typed(name)], years)
            at = ids[name].cast(pl.Int64) * years.len() + (year.cast(pl.Int64) - (first or 0))
            stacked.append(grid.gather(at).alias(f"__{side}_ccode"))
        return stacked, exprs, problems
