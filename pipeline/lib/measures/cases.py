"""The two reference cases as yearly and monthly series (METHODS §6.4, §7).

US-ROK (1990-2012: the 1993-94 nuclear crisis and the 2002-06 disputes) and US-France
(1955-1975: de Gaulle, 1958-69, and the 1966 exit from NATO's integrated command). Yearly rows
carry every alliance-panel column of the dyad (NULL where the dyad-year is not in the panel);
monthly rows exist where COPDAB or an event dataset covers the month (COPDAB 1948-78, WEIS
1966-92, ICEWS/GDELT/Phoenix where their full files are loaded).

References
----------
Lebo, M. J., and W. H. Moore. 2003. "Dynamic Foreign Policy Behavior." *JCR* 47(1): 13-32.
doi:10.1177/0022002702239509.
"""

from __future__ import annotations

import polars as pl

from pipeline.lib.measures.dyad_year import EVENT_DATASETS

DYAD = ["junior", "senior"]
KEY = [*DYAD, "year"]
# (case, junior, senior, first year, last year)
CASES = (("us_rok", 732, 2, 1990, 2012), ("us_france", 220, 2, 1955, 1975))
WINDOWS = {"crisis_1993_94": ("us_rok", 1993, 1994), "crisis_2002_06": ("us_rok", 2002, 2006),
           "crisis_1958_69": ("us_france", 1958, 1969), "nato_exit_1966": ("us_france", 1966, 1966)}
MONTHLY_MEASURES = ("n", "defy_count", "defy_share", "attention_count")


def _case_frame() -> pl.LazyFrame:
    case, junior, senior, first, last = zip(*CASES, strict=True)
    return pl.LazyFrame({"case_id": case, "junior": junior, "senior": senior, "first": first,
                         "last": last}, schema_overrides={"junior": pl.Int32,
                                                          "senior": pl.Int32})


def _windows() -> list[pl.Expr]:
    return [((pl.col("case_id") == c) & pl.col("year").is_between(a, b)).alias(name)
            for name, (c, a, b) in WINDOWS.items()]


def _monthly_events(months: pl.LazyFrame, agg: pl.DataFrame,
                    coverage: pl.DataFrame) -> pl.LazyFrame:
    """J -> P monthly event measures per dataset (``<d>_<m>``), 0 in covered months."""
    cov = coverage.lazy().select("dataset", "month", "covered")
    for d in EVENT_DATASETS:
        rows = agg.lazy().filter(pl.col("dataset") == d).select(
            pl.col("source_ccode").alias("junior"), pl.col("target_ccode").alias("senior"),
            "month", *[pl.col(m).alias(f"{d}_{m}") for m in MONTHLY_MEASURES])
        months = (months.join(rows, on=[*DYAD, "month"], how="left")
                  .join(cov.filter(pl.col("dataset") == d).select(
                      "month", pl.col("covered").alias(f"cov_{d}")), on="month", how="left")
                  .with_columns(pl.col(f"cov_{d}").fill_null(False))
                  .with_columns(pl.when(pl.col(f"cov_{d}")).then(
                      pl.col(f"{d}_{m}").fill_null(0) if m != "defy_share"
                      else pl.col(f"{d}_{m}")).alias(f"{d}_{m}") for m in MONTHLY_MEASURES))
    return months


def case_series(panel: pl.LazyFrame, events_monthly: pl.DataFrame, coverage: pl.DataFrame,
                copdab_monthly: pl.LazyFrame) -> pl.LazyFrame:
    """Yearly and monthly series of both cases with crisis-window flags.

    Yearly rows (``period == "year"``, ``month`` NULL) carry every panel column for each year
    of the case window. Monthly rows (``period == "month"``) exist where COPDAB (J -> P
    ``copdab_net_coop``, P -> J ``copdab_net_coop_pj``) or an event dataset covers the month.
    Flags: ``crisis_1993_94``, ``crisis_2002_06``, ``crisis_1958_69``, ``nato_exit_1966`` and
    ``crisis`` (any).
    """
    cases = _case_frame()
    years = (cases.with_columns(pl.int_ranges("first", pl.col("last") + 1, dtype=pl.Int32)
                                .alias("year")).explode("year").drop("first", "last"))
    yearly = years.join(panel, on=KEY, how="left").with_columns(pl.lit("year").alias("period"))
    months = (
        cases.with_columns(pl.date_ranges(pl.date(pl.col("first"), 1, 1),
                                          pl.date(pl.col("last"), 12, 1), "1mo").alias("month"))
        .explode("month").drop("first", "last")
        .with_columns(pl.col("month").dt.year().cast(pl.Int32).alias("year"))
    )
    cop = copdab_monthly.select("month", "actor", "target", "net_coop")
    monthly = (
        months
        .join(cop.rename({"actor": "junior", "target": "senior", "net_coop": "copdab_net_coop"}),
              on=[*DYAD, "month"], how="left")
        .join(cop.rename({"actor": "senior", "target": "junior",
                          "net_coop": "copdab_net_coop_pj"}), on=[*DYAD, "month"], how="left")
        .with_columns(pl.col("copdab_net_coop").is_not_null().alias("cov_copdab"))
    )
    monthly = _monthly_events(monthly, events_monthly, coverage)
    covered = pl.any_horizontal("cov_copdab", *[f"cov_{d}" for d in EVENT_DATASETS])
    monthly = monthly.filter(covered).with_columns(pl.lit("month").alias("period"))
    return (
        pl.concat([yearly, monthly], how="diagonal_relaxed")
        .with_columns(*_windows())
        .with_columns(pl.any_horizontal(*WINDOWS).alias("crisis"))
        .sort("case_id", "period", "year", "month", nulls_last=True)
    )
