"""The rules an event row must keep, as Polars expressions: one list serves every path.

:func:`column_rules` turns a layout's typed column (:class:`~pipeline.lib.ingest.contract.Col`) into
the checks :func:`pipeline.lib.ingest.contract.coerce` applies to every raw table (a value that does
not cast, fails its domain, or is missing where required); :func:`event_rules` are the CAMEO
rules of METHODS §5.2 on the staged event (the code is in the CAMEO table, its Goldstein
weight lies in [-10, 10], the date lies in 1900-2100, and for ICEWS the file's own weight
equals the table's). The engine evaluates a column's rules once per distinct value where the
column has few values, and per row elsewhere; the expressions are the same.

References
----------
Goldstein, J. S. 1992. "A Conflict-Cooperation Scale for WEIS Events Data." *Journal of
Conflict Resolution* 36(2): 369-385. doi:10.1177/0022002792036002007.
Schrodt, P. A. 2012. *CAMEO Conflict and Mediation Event Observations Codebook*, v1.1b3.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import polars as pl

from pipeline.lib.ingest.contract import Col, cast_column

PROBLEM = pl.Struct({"column": pl.Utf8, "reason": pl.Utf8})
# Per-block plans run on Polars' in-memory engine: they are small, and "auto" picked the
# streaming engine, which was slower here and panicked on a reason built for a failing row
# (polars 2.1: "assertion failed: i < self.len()" in a string expression).
ENGINE = "in-memory"


@dataclass(frozen=True)
class Rule:
    """A row breaks the rule where ``broken`` is True (NULL counts as kept)."""

    column: str       # the column a quarantine row names
    broken: pl.Expr
    reason: pl.Expr   # evaluated only where broken


def parse_date(e: pl.Expr, formats: tuple[str, ...]) -> pl.Expr:
    """The first of ``formats`` that parses each (stripped) value, else NULL."""
    return pl.coalesce([e.str.strip_chars().str.to_date(f, strict=False) for f in formats])


def parses_as_date(e: pl.Expr, formats: tuple[str, ...]) -> pl.Expr:
    return parse_date(e, formats).is_not_null()


def typed(name: str) -> str:
    """Name of the typed column of text column ``name``."""
    return f"__t_{name}"


def na_null(c: Col) -> pl.Expr:
    """Text of ``c`` with its NA values (after stripping blanks) NULL, per row."""
    if not c.na:
        return pl.col(c.name)
    na = r"^\s*(?:" + "|".join(re.escape(v) for v in c.na) + r")\s*$"
    return pl.when(pl.col(c.name).str.contains(na)).then(None).otherwise(pl.col(c.name))


def cast(c: Col) -> pl.Expr:
    """The typed value of ``c`` (from its NA-nulled text), named :func:`typed`."""
    return cast_column(c.name, c.dtype).alias(typed(c.name))


def column_rules(c: Col, label: str) -> list[Rule]:
    """A column's rules in :func:`pipeline.lib.ingest.contract.coerce` order, naming ``label``."""
    src, t = pl.col(c.name), pl.col(typed(c.name))
    rules = [Rule(label, src.is_not_null() & t.is_null(),
                  pl.format("not a valid {}: '{}'", pl.lit(str(c.dtype)), src))]
    if c.check is not None:
        rules.append(Rule(label, t.is_not_null() & ~c.check(t).fill_null(True),
                          pl.format("{}: '{}'", pl.lit(c.reason), src)))
    if c.required:
        rules.append(Rule(label, src.is_null(), pl.lit("required value missing")))
    return rules


def event_rules(weight_must_match: bool) -> list[Rule]:
    """CAMEO rules on the staged columns (``cameo_code``, ``goldstein`` from the table,
    ``event_date``, ``raw_goldstein``)."""
    g, code, date = pl.col("goldstein"), pl.col("cameo_code"), pl.col("event_date")
    rules = [
        Rule("cameo_code", g.is_null(),
             pl.format("CAMEO code '{}' not in the CAMEO table", code)),
        Rule("cameo_code", ~g.is_between(-10, 10),
             pl.format("Goldstein {} of code '{}' outside [-10, 10]", g, code)),
        Rule("event_date", ~date.dt.year().is_between(1900, 2100),
             pl.format("event date {} outside 1900-2100", date)),
    ]
    if weight_must_match:
        rules.append(Rule("raw_goldstein", (pl.col("raw_goldstein") - g).abs() > 1e-9,
                          pl.format("file weight {} != CAMEO Goldstein {} of code '{}'",
                                    pl.col("raw_goldstein"), g, code)))
    return rules


def any_broken(rules: list[Rule]) -> pl.Expr:
    if not rules:
        return pl.lit(False)
    return pl.any_horizontal([r.broken.fill_null(False) for r in rules])


def first_problem(rules: list[Rule]) -> pl.Expr:
    """(column, reason) of the first broken rule, NULL where none is (a ``PROBLEM``)."""
    if not rules:
        return pl.lit(None, PROBLEM)
    return pl.coalesce([
        pl.when(r.broken.fill_null(False)).then(pl.struct(pl.lit(r.column).alias("column"),
                                                         r.reason.alias("reason")))
        for r in rules]).cast(PROBLEM)
