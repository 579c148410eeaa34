"""Shared threat between two allies, three definitions, none using the outcome year (METHODS §6.5).

The claim is that a junior ally defies its senior *even though* both face the same threat, so
shared threat enters as a condition. For a directed pair (J, P) and year t:

- ``threat_rival`` (a): a state X that is a strategic rival of both J and P in t - 1
  (Thompson-Dreyer or Thompson-Sakuwa-Suhas lists);
- ``threat_mid`` (b): a state X with which both J and P had a militarised interstate dispute
  in t - 10 ... t - 1 (MID 5.0; directed dispute-years pair opposing sides only);
- ``threat_rival_adv`` (c): a strategic rival X of J in t - 1 that is P's rival in t - 1 or
  P's MID adversary in t - 10 ... t - 1.

Each uses only years before t, so the value at t is already lagged; models take it as is.
Neither rivalry list codes USA-North Korea or France-USSR (after 1919), so (a) misses both
reference cases and (c) codes US-ROK (North Korea is the ROK's rival and a US MID adversary)
but not US-France. (b) is the primary definition: it codes US-ROK in every year 1951-2012
(North Korea, China) and US-France 1950-75 (the USSR, with Berlin-crisis MIDs). Each flag is NULL where its sources do
not cover the window (rivalries: the list's years; MIDs: 1816-2014 for the whole window).

References
----------
Thompson, W. R., and D. Dreyer. 2012. *Handbook of International Rivalries, 1494-2010*. CQ
Press. Thompson, W. R., K. Sakuwa, and P. H. Suhas. 2022. *Analyzing Strategic Rivalries in
World Politics*. Springer. Palmer, G., et al. 2022. "The MID5 Dataset, 2011-2014." *Conflict
Management and Peace Science* 39(4): 470-482. doi:10.1177/0738894221995743.
"""

from __future__ import annotations

import polars as pl

WINDOW = 10          # years of MID history (t - 10 ... t - 1)
MID_YEARS = (1816, 2014)
KEY = ["ccode1", "ccode2", "year"]
FLAGS = ("threat_rival", "threat_mid", "threat_rival_adv")
PRIMARY = "threat_mid"


def mid_adversaries(mids: pl.DataFrame | pl.LazyFrame, years: list[int] | range,
                    window: int = WINDOW) -> pl.LazyFrame:
    """``state, adversary, year``: the states ``state`` had a MID with in year - window ...
    year - 1, for each year in ``years`` (one row per triple)."""
    # A MID in year m counts for the years m + 1 ... m + window.
    return (mids.lazy()
            .select(pl.col("ccode1").cast(pl.Int32).alias("state"),
                    pl.col("ccode2").cast(pl.Int32).alias("adversary"),
                    pl.int_ranges(pl.col("year").cast(pl.Int32) + 1,
                                  pl.col("year").cast(pl.Int32) + window + 1,
                                  dtype=pl.Int32).alias("year"))
            .explode("year")
            .filter(pl.col("year").is_in(list(years)))
            .unique())


def rivals_lagged(rivalry_years: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """``state, adversary, year``: X is a strategic rival of ``state`` in year - 1 (TD or TSS).

    ``rivalry_years`` holds directed ``ccode1, ccode2, year`` rows of rivalry (both orders)."""
    return (rivalry_years.lazy()
            .select(pl.col("ccode1").cast(pl.Int32).alias("state"),
                    pl.col("ccode2").cast(pl.Int32).alias("adversary"),
                    (pl.col("year").cast(pl.Int32) + 1).alias("year"))
            .unique())


def _common(pairs: pl.LazyFrame, of_j: pl.LazyFrame, of_p: pl.LazyFrame, name: str) -> pl.LazyFrame:
    """Pairs (ccode1 = J, ccode2 = P, year) for which some X is in both J's and P's set."""
    hit = (pairs.join(of_j.rename({"state": "ccode1"}), on=["ccode1", "year"])
           .join(of_p.rename({"state": "ccode2"}), on=["ccode2", "year", "adversary"])
           .filter(pl.col("adversary") != pl.col("ccode1"),
                   pl.col("adversary") != pl.col("ccode2"))
           .select(KEY).unique().with_columns(pl.lit(True).alias(name)))
    return hit


def shared_threat(pairs: pl.DataFrame | pl.LazyFrame, mids: pl.DataFrame | pl.LazyFrame,
                  rivalry_years: pl.DataFrame | pl.LazyFrame | None,
                  rivalry_span: tuple[int, int] | None = None,
                  mid_years: tuple[int, int] = MID_YEARS, window: int = WINDOW) -> pl.DataFrame:
    """The three shared-threat flags for directed pairs ``ccode1 (J), ccode2 (P), year``.

    Parameters
    ----------
    pairs : the directed pair-years to flag (extra columns are ignored).
    mids : MID 5.0 directed dispute-years (``ccode1, ccode2, year``).
    rivalry_years : directed rivalry pair-years (both orders), or None when no rivalry list is
        loaded (then (a) and (c) are NULL).
    rivalry_span : first and last year the rivalry lists cover; (a) and (c) are NULL when
        t - 1 falls outside it.

    Returns
    -------
    ``ccode1, ccode2, year`` plus Boolean ``threat_rival``, ``threat_mid``,
    ``threat_rival_adv`` and ``n_mid_adversaries_common`` (Int32, the common MID adversaries
    of (b)).
    """
    p = pairs.lazy().select(pl.col(KEY).cast(pl.Int32)).unique()
    years = p.select(pl.col("year").unique()).collect()["year"].to_list()
    adv = mid_adversaries(mids, years, window)
    mid_ok = (pl.col("year") - window >= mid_years[0]) & (pl.col("year") - 1 <= mid_years[1])
    common_mid = (p.join(adv.rename({"state": "ccode1"}), on=["ccode1", "year"])
                  .join(adv.rename({"state": "ccode2"}), on=["ccode2", "year", "adversary"])
                  .filter(pl.col("adversary") != pl.col("ccode1"),
                          pl.col("adversary") != pl.col("ccode2"))
                  .group_by(KEY).agg(pl.col("adversary").n_unique().cast(pl.Int32)
                                     .alias("n_mid_adversaries_common")))
    out = (p.join(common_mid, on=KEY, how="left")
           .with_columns(pl.when(mid_ok).then(pl.col("n_mid_adversaries_common").fill_null(0))
                         .alias("n_mid_adversaries_common"))
           .with_columns((pl.col("n_mid_adversaries_common") > 0).alias("threat_mid")))
    if rivalry_years is None:
        return out.with_columns(pl.lit(None, pl.Boolean).alias(f)
                                for f in ("threat_rival", "threat_rival_adv")).select(
            *KEY, *FLAGS, "n_mid_adversaries_common").sort(KEY).collect()
    riv = rivals_lagged(rivalry_years)
    lo, hi = rivalry_span or (-10_000, 10_000)
    riv_ok = (pl.col("year") - 1).is_between(lo, hi)
    rival_or_adv = pl.concat([riv, adv]).unique()
    out = (out.join(_common(p, riv, riv, "threat_rival"), on=KEY, how="left")
           .join(_common(p, riv, rival_or_adv, "threat_rival_adv"), on=KEY, how="left")
           .with_columns(pl.when(riv_ok).then(pl.col(f).fill_null(False)).alias(f)
                         for f in ("threat_rival", "threat_rival_adv")))
    return out.select(*KEY, *FLAGS, "n_mid_adversaries_common").sort(KEY).collect()
