"""Event-based defiance and cooperation aggregates per directed dyad and period (METHODS §5.2, §6.1).

Input is the unified event table (``raw.events``: ``dataset, source_ccode, target_ccode,
event_date, year, cameo_code, root_code, quad_class, goldstein`` and, for the government
filter, ``source_sectors``/``target_sectors``). Datasets are never pooled: ``dataset`` is part of
every key, so ICEWS, GDELT and Phoenix aggregates sit side by side (METHODS §6.4).

Defiance codes (CAMEO text codes, Schrodt 2012; weights from ``cameo-codes.csv``):

- ``111`` criticize or denounce; ``112`` accuse and its sub-codes ``1121``-``1125``.
  ``110`` (disapprove, unspecified) and ``113``-``116`` are *not* defiance.
- ``12``/``12x``/``12xx`` reject: 120-129 with 1211-1213, 1221-1224, 1231-1234, 1241-1246.
- ``13``/``13x``/``13xx`` threaten: 130-139 with 1311-1313, 1321-1324, 1381-1385.
- ``14``/``14x``/``14xx`` protest: 140-145 with 1411-1454 (demonstrations, strikes, riots);
  counted in defiance and also separately as ``protest_count`` (METHODS §6.1).
- ``16``/``16x``/``16xx`` reduce relations: 160-166 with 1621-1623, 1661-1663.

A bare root (``12``) counts like ``120``. Codes are matched as text, so ``010``/``0110`` never
match and ``1211`` counts under 12x.

References
----------
Schrodt, Philip A. 2012. *CAMEO Conflict and Mediation Event Observations Codebook*, v1.1b3.
Goldstein, Joshua S. 1992. "A Conflict-Cooperation Scale for WEIS Events Data." *Journal of
Conflict Resolution* 36(2): 369-385. doi:10.1177/0022002792036002007.
Boschee, Elizabeth, et al. 2015. *ICEWS Coded Event Data*. Harvard Dataverse.
doi:10.7910/DVN/28075.
Lebo, Matthew J., and Will H. Moore. 2003. "Dynamic Foreign Policy Behavior." *Journal of
Conflict Resolution* 47(1): 13-32. doi:10.1177/0022002702239509.
"""

from __future__ import annotations

from typing import Literal

import polars as pl

DEFIANCE_PATTERN = r"^(11[12][0-9]?|1[2346][0-9]{0,2})$"
PROTEST_PATTERN = r"^14[0-9]{0,2}$"
# ICEWS sector lists ("Executive,Foreign Ministry,Government") and GDELT/CAMEO actor types (GOV).
GOVERNMENT_PATTERN = r"Government|Executive|(^|,)GOV(,|$)"
DYAD = ["source_ccode", "target_ccode"]
COPDAB_YEARS = (1948, 1978)


def is_defiance(code: pl.Expr) -> pl.Expr:
    """True when a CAMEO text code is a defiance event (111, 112x, 12x, 13x, 14x, 16x).

    Parameters
    ----------
    code : expression of CAMEO codes as text (leading zeros kept).

    Returns
    -------
    Boolean expression; NULL codes give False.

    References
    ----------
    Schrodt (2012), CAMEO codebook v1.1b3; METHODS §6.1.
    """
    return code.str.contains(DEFIANCE_PATTERN).fill_null(False)


def is_protest(code: pl.Expr) -> pl.Expr:
    """True for CAMEO 14x protest codes (demonstrations, hunger strikes, strikes, riots)."""
    return code.str.contains(PROTEST_PATTERN).fill_null(False)


def is_government(sectors: pl.Expr, pattern: str = GOVERNMENT_PATTERN) -> pl.Expr:
    """True when an actor's sector list names a government or executive body (METHODS §5.2)."""
    return sectors.str.contains(pattern).fill_null(False)


def _period(period: Literal["year", "month"]) -> pl.Expr:
    if period == "year":
        return pl.col("event_date").dt.year().cast(pl.Int32).alias("year")
    if period == "month":
        return pl.col("event_date").dt.truncate("1mo").alias("month")
    raise ValueError(f"period must be 'year' or 'month', not {period!r}")


def _share(num: str, den: str) -> pl.Expr:
    """num/den, NULL when den is 0 (no events: the share is undefined, not 0)."""
    return pl.when(pl.col(den) > 0).then(pl.col(num) / pl.col(den))


def _aggregates() -> list[pl.Expr]:
    g = pl.col("goldstein")
    defy = is_defiance(pl.col("cameo_code"))
    return [
        pl.len().cast(pl.Int64).alias("n"),
        *[(pl.col("quad_class") == q).sum().cast(pl.Int64).alias(f"q{q}") for q in (1, 2, 3, 4)],
        g.sum().alias("goldstein_sum"),
        g.mean().alias("goldstein_mean"),
        g.clip(lower_bound=0).sum().alias("coop"),
        (-g).clip(lower_bound=0).sum().alias("conf"),
        defy.sum().cast(pl.Int64).alias("defy_count"),
        g.abs().filter(defy).sum().alias("defy_weight"),
        is_protest(pl.col("cameo_code")).sum().cast(pl.Int64).alias("protest_count"),
    ]


def event_dyad_year(
    events: pl.LazyFrame,
    period: Literal["year", "month"] = "year",
    *,
    government_only: bool = False,
    dedupe: bool = False,
    gov_pattern: str = GOVERNMENT_PATTERN,
) -> pl.LazyFrame:
    """Cooperation, conflict and defiance aggregates per directed dyad, period and dataset.

    Parameters
    ----------
    events : unified events (see module docstring); rows with a NULL ccode are dropped.
    period : ``"year"`` gives an Int32 ``year`` column, ``"month"`` a Date ``month`` column
        (first day of the month).
    government_only : keep events whose source *and* target sectors match ``gov_pattern``
        (ICEWS sectors containing "Government" or "Executive", GDELT/CAMEO type ``GOV``).
        Generic country actors (ICEWS actor "South Korea", sectors NULL) are dropped by it.
    dedupe : keep one event per (dataset, source, target, CAMEO code, day) (METHODS §5.2).

    Returns
    -------
    LazyFrame keyed by ``source_ccode, target_ccode, <period>, dataset`` with ``n``, ``q1``-``q4``
    (ICEWS quad classes), ``goldstein_sum`` (net cooperation NC = Σg), ``goldstein_mean``
    (tone = NC/n), ``coop`` (Σ g over g>0), ``conf`` (Σ |g| over g<0), ``conflict_share``
    ((q3+q4)/n), ``defy_count``, ``defy_share`` (defy_count/n), ``defy_weight`` (Σ|g| over
    defiance events) and ``protest_count`` (14x).

    References
    ----------
    Goldstein (1992), doi:10.1177/0022002792036002007; METHODS §5.2, §6.1.
    """
    per = _period(period)
    key = [*DYAD, per.meta.output_name(), "dataset"]
    frame = events.filter(pl.col("source_ccode").is_not_null(),
                          pl.col("target_ccode").is_not_null())
    if government_only:
        frame = frame.filter(is_government(pl.col("source_sectors"), gov_pattern),
                             is_government(pl.col("target_sectors"), gov_pattern))
    if dedupe:
        frame = frame.unique(subset=["dataset", *DYAD, "cameo_code", "event_date"], keep="any")
    return (
        frame
        .with_columns(per)
        .group_by(key)
        .agg(_aggregates())
        .with_columns(
            ((pl.col("q3") + pl.col("q4")) / pl.col("n")).alias("conflict_share"),
            _share("defy_count", "n").alias("defy_share"),
        )
        .sort(key)
    )


def copdab_yearly(copdab_monthly: pl.LazyFrame) -> pl.LazyFrame:
    """Yearly COPDAB net cooperation per directed series (actor → target), 1948-1978.

    Returns ``actor, target, year, copdab_net_coop`` (mean monthly index),
    ``copdab_conflict_months`` (months with net_coop < 0) and ``copdab_months`` (non-NULL
    months). The index is not comparable with Goldstein sums (METHODS §5.2).

    References
    ----------
    Azar (1980), *JCR* 24(1): 143-152; Lebo & Moore (2003), doi:10.1177/0022002702239509.
    """
    return (
        copdab_monthly
        .with_columns(pl.col("month").dt.year().cast(pl.Int32).alias("year"))
        .group_by("actor", "target", "year")
        .agg(
            pl.col("net_coop").mean().alias("copdab_net_coop"),
            (pl.col("net_coop") < 0).sum().cast(pl.Int32).alias("copdab_conflict_months"),
            pl.col("net_coop").count().cast(pl.Int32).alias("copdab_months"),
        )
        .sort("actor", "target", "year")
    )
