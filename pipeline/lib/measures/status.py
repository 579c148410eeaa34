"""Status inconsistency: recognition measured against material capability (METHODS §3).

Every function takes and returns a ``pl.LazyFrame`` with at least ``ccode``, ``year`` and
``cinc`` (COW NMC) plus one or more recognition measures (PageRank, in-degree, share, IGO
centrality). Ranks are 1 = highest, ties share the best rank, and are cast to Int32 before any
subtraction: polars ranks are UInt32, and a negative difference would wrap to about 4.29e9.

References
----------
Galtung, Johan. 1964. "A Structural Theory of Aggression." *Journal of Peace Research* 1(2):
95-119. doi:10.1177/002234336400100203
Wallace, Michael D. 1973. *War and Rank Among Nations*. Lexington, MA: D.C. Heath.
Renshon, Jonathan. 2016. "Status Deficits and War." *International Organization* 70(3):
513-550. doi:10.1017/S0020818316000163
"""

from __future__ import annotations

import polars as pl

REGIONS = ("Americas", "Europe", "Africa", "Middle East", "Asia/Oceania")
REGION = pl.Enum(REGIONS)
# COW ccode ranges per region (METHODS §3.1; unverified, confirm before relying on it).
_REGION_RANGES = ((2, 165), (200, 399), (400, 626), (630, 698), (700, 990))
_EXACT_FIT = 1e-9   # residual sd below this share of the sd of log status: the fit is exact


def desc_rank(col: str | pl.Expr) -> pl.Expr:
    """Descending rank as Int32: 1 = highest, tied values share the best rank, NULL stays NULL."""
    expr = pl.col(col) if isinstance(col, str) else col
    return expr.rank("min", descending=True).cast(pl.Int32)


def capability_ranks(nmc: pl.LazyFrame) -> pl.LazyFrame:
    """Rank every state on CINC within the state system of each year.

    Parameters
    ----------
    nmc : rows ``ccode, year, cinc`` (``raw.cow_nmc``); other columns pass through.

    Returns
    -------
    The input plus ``cap_rank`` (Int32, 1 = highest CINC, ties share the best rank),
    ``n_states`` (Int32, states with a CINC that year) and ``cap_pct`` (Float64, the share of
    the *other* states whose CINC the state equals or exceeds: 1 = strongest, 0 = weakest;
    NULL in a one-state system).

    References
    ----------
    Singer, Bremer & Stuckey (1972), "Capability Distribution, Uncertainty, and Major Power
    War, 1820-1965", in Russett (ed.), *Peace, War, and Numbers*, 19-48.
    """
    n = pl.col("cinc").count().over("year").cast(pl.Int32)
    return (
        nmc
        .with_columns(desc_rank("cinc").over("year").alias("cap_rank"), n.alias("n_states"))
        .with_columns(
            pl.when(pl.col("n_states") > 1)
            .then((pl.col("n_states") - pl.col("cap_rank")) / (pl.col("n_states") - 1))
            .alias("cap_pct"))
    )


def region(ccode: pl.Expr) -> pl.Expr:
    """COW region of a ccode (``REGION`` enum); NULL outside the five ranges.

    Ranges 2-165 Americas, 200-399 Europe, 400-626 Africa, 630-698 Middle East and
    700-990 Asia/Oceania (METHODS §3.1; unverified, confirm before relying on it).
    """
    expr = pl.when(ccode.is_between(*_REGION_RANGES[0])).then(pl.lit(REGIONS[0]))
    for name, (lo, hi) in zip(REGIONS[1:], _REGION_RANGES[1:]):
        expr = expr.when(ccode.is_between(lo, hi)).then(pl.lit(name))
    return expr.otherwise(None).cast(REGION)


def _rank_gap_exprs(status_col: str, field_cols: list[str], prefix: str) -> list[list[pl.Expr]]:
    """Expressions for :func:`rank_gap`, as two stages (ranks first, then differences)."""
    by = ["year", *field_cols]
    ok = pl.all_horizontal(pl.col(status_col).is_not_null(), pl.col(status_col).is_not_nan(),
                           pl.col("cinc").is_not_null(),
                           *[pl.col(c).is_not_null() for c in field_cols])
    ranks = [
        desc_rank(pl.when(ok).then(pl.col(status_col))).over(by).alias(f"{prefix}_status_rank"),
        desc_rank(pl.when(ok).then(pl.col("cinc"))).over(by).alias(f"{prefix}_cap_rank"),
        pl.when(ok).then(ok.sum().over(by).cast(pl.Int32)).alias(f"{prefix}_n"),
    ]
    gap = pl.col(f"{prefix}_status_rank") - pl.col(f"{prefix}_cap_rank")
    others = (pl.col(f"{prefix}_n") - 1).replace(0, None)
    diffs = [
        gap.alias(f"{prefix}_gap"),
        gap.abs().alias(f"{prefix}_abs"),
        (gap / others).alias(f"{prefix}_pct"),
    ]
    return [ranks, diffs]


def rank_gap(frame: pl.LazyFrame, status_col: str, field_cols: list[str],
             prefix: str) -> pl.LazyFrame:
    """Variant A status deficit: status rank minus capability rank within a field.

    Both ranks are taken within ``year`` × ``field_cols`` over the states that have a status
    value, a CINC and a field (others get NULL and do not occupy ranks).

    Parameters
    ----------
    frame : rows ``ccode, year, cinc, <status_col>, *field_cols``.
    status_col : recognition measure (higher = more recognised).
    field_cols : columns defining the field besides ``year``; ``[]`` is the global field.
    prefix : stem of the new column names.

    Returns
    -------
    The input plus ``<prefix>_status_rank``, ``<prefix>_cap_rank``, ``<prefix>_n`` (field
    size; all Int32), ``<prefix>_gap`` = status_rank - cap_rank (Int32; positive =
    under-recognised), ``<prefix>_abs`` = |gap| (the classic measure of Galtung 1964 and
    Wallace 1973) and ``<prefix>_pct`` = gap / (field size - 1), the percentile gap: the
    capability percentile minus the status percentile, in [-1, 1] whatever the size of the
    field (NULL in a one-state field). It is the default rank measure: the raw gap's scale
    grows with the system (23 states in 1817, 192 in 2005) and a one-rank tie artefact of
    the top state (USA 1970: +1) shrinks to +1/133.

    References
    ----------
    Renshon (2016), doi:10.1017/S0020818316000163; Galtung (1964),
    doi:10.1177/002234336400100203.
    """
    ranks, diffs = _rank_gap_exprs(status_col, field_cols, prefix)
    return frame.with_columns(ranks).with_columns(diffs)


def residual_deficit(frame: pl.LazyFrame, status_col: str, prefix: str) -> pl.LazyFrame:
    """Variant B status deficit: the residual of a yearly regression of status on capability.

    Per year, ``log(status) = a_t + b_t log(cinc) + e`` is fitted by OLS in closed form
    (b = sum((x - mean x)(y - mean y)) / sum((x - mean x)^2), windows over ``year``) on the rows
    with status > 0 and cinc > 0; the deficit is fitted - observed, then z-scored within the
    year (sample sd). Rows with status <= 0 are NULL: no log of zero is ever taken.

    Parameters
    ----------
    frame : rows ``year, cinc, <status_col>``.
    status_col : a strictly positive recognition measure (PageRank; in-degree can be zero).
    prefix : name of the z-scored deficit; ``<prefix>_raw`` holds the unscaled one.

    Returns
    -------
    The input plus ``<prefix>_raw`` and ``<prefix>`` (Float64). NULL in a year with fewer than
    three usable states or no spread in log CINC; ``<prefix>`` is also NULL when the fit is
    exact (residual sd below 1e-9 of the sd of log status), where z-scores would only scale
    rounding error. Region fixed effects (METHODS §3.2) are not included.

    References
    ----------
    Renshon (2016), doi:10.1017/S0020818316000163 (specification unverified; METHODS §3.2).
    """
    ok = (pl.col(status_col) > 0) & (pl.col("cinc") > 0)
    x = pl.when(ok).then(pl.col("cinc")).log()
    y = pl.when(ok).then(pl.col(status_col)).log()
    dx = pl.col("_x") - pl.col("_x").mean().over("year")
    dy = pl.col("_y") - pl.col("_y").mean().over("year")
    slope = (dx * dy).sum().over("year") / (dx * dx).sum().over("year")
    fitted = pl.col("_y").mean().over("year") + slope * dx
    usable = (pl.col("_x").count().over("year") >= 3) & ((dx * dx).sum().over("year") > 0)
    resid = pl.col(f"{prefix}_raw")
    sd = resid.std().over("year")
    exact = sd <= _EXACT_FIT * pl.col("_y").std().over("year")
    return (
        frame
        .with_columns(x.alias("_x"), y.alias("_y"))
        .with_columns(pl.when(usable).then(fitted - pl.col("_y")).alias(f"{prefix}_raw"))
        .with_columns(pl.when(~exact).then((resid - resid.mean().over("year")) / sd)
                      .alias(prefix))
        .drop("_x", "_y")
    )


def chronic_deficit(frame: pl.LazyFrame, gap_col: str, years: int = 10,
                    unit: str = "ccode") -> pl.LazyFrame:
    """Flag a deficit (``gap_col`` > 0) held in t and in each of the ``years - 1`` years before.

    The window must be ``years`` consecutive calendar years of the same ``unit``, all observed
    and all positive; a gap in the panel or a NULL deficit inside the window breaks it.

    Returns
    -------
    The input sorted by ``unit, year`` plus ``<gap_col>_chronic`` (Boolean; NULL where the
    deficit itself is NULL).

    References
    ----------
    METHODS §3.1: the Tibbles replication's ten-year definition, with the flag taken as
    deficit_A > 0 rather than its sign-inverted ``deficit < community mean``.
    """
    positive = (pl.col(gap_col) > 0).fill_null(False).cast(pl.Int8)
    full = positive.rolling_sum(window_size=years).over(unit) == years
    consecutive = (pl.col("year") - pl.col("year").shift(years - 1)).over(unit) == years - 1
    flag = (full & consecutive).fill_null(False)
    return (
        frame
        .sort(unit, "year")
        .with_columns(pl.when(pl.col(gap_col).is_not_null()).then(flag)
                      .alias(f"{gap_col}_chronic"))
    )


def status_inconsistency(state_year: pl.LazyFrame, measures: list[str],
                         fields: tuple[str, ...] = ("global", "region", "community"),
                         residual: bool = True) -> pl.LazyFrame:
    """All status-inconsistency variants for each recognition measure (METHODS §3).

    Parameters
    ----------
    state_year : rows ``ccode, year, cinc, *measures`` and optionally ``community`` (a
        status-community label, §2.3); ``region`` is derived from ``ccode`` when absent.
    measures : recognition columns, e.g. ``["pagerank", "indegree"]``.
    fields : which of global, region and community (community only when the column exists).
    residual : also compute variant B.

    Returns
    -------
    ``ccode, year`` plus, per measure m and field f: ``si_rank_<m>_<f>`` (variant A gap,
    Int32), ``si_abs_<m>_<f>`` (classic |gap|), ``si_pct_<m>_<f>`` (percentile gap, the
    default), ``si_chronic_<m>_<f>`` (ten-year deficit); and ``si_resid_<m>`` (variant B,
    z-scored within year).
    """
    names = state_year.collect_schema().names()
    known = {"global": [], "region": ["region"], "community": ["community"]}
    fields = {f: known[f] for f in fields if f != "community" or "community" in names}
    lf = state_year if "region" in names else state_year.with_columns(
        region(pl.col("ccode")).alias("region"))
    out = ["ccode", "year"]
    for m in measures:
        for f, cols in fields.items():
            tmp = f"_{m}_{f}"
            ranks, diffs = _rank_gap_exprs(m, cols, tmp)
            lf = chronic_deficit(lf.with_columns(ranks).with_columns(diffs), f"{tmp}_gap")
            out += [pl.col(f"{tmp}_gap").alias(f"si_rank_{m}_{f}"),
                    pl.col(f"{tmp}_abs").alias(f"si_abs_{m}_{f}"),
                    pl.col(f"{tmp}_pct").alias(f"si_pct_{m}_{f}"),
                    pl.col(f"{tmp}_gap_chronic").alias(f"si_chronic_{m}_{f}")]
        if residual:
            lf = residual_deficit(lf, m, f"si_resid_{m}")
            out.append(f"si_resid_{m}")
    return lf.select(out)
