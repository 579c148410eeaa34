"""The directed junior→senior alliance panel and the per-case series (METHODS §4, §6, §7).

The unit is J→P: an allied dyad-year whose first state (J, junior) has the lower CINC. Each
source enters with NULL outside its coverage (never 0) and a ``cov_*`` flag; event counts are
0 only for years a dataset covers. Event sources are never pooled: every dataset has its own
prefixed columns (``icews_defy_share``, ``netify_verbConf``; METHODS §6.4).

References
----------
Singer, Bremer & Stuckey (1972), CINC; Gibler (2009), COW alliances v4.1; Morrow, James D.
1991. "Alliances and Asymmetry." *AJPS* 35(4): 904-933. doi:10.2307/2111499.
Palmer et al. (2022), MID 5.0, doi:10.1177/0738894221995743.
"""

from __future__ import annotations

import polars as pl

from pipeline.lib.defiance import COPDAB_YEARS
from pipeline.lib.sources.events import DATASETS

DYAD = ["junior", "senior"]
KEY = [*DYAD, "year"]
COW_FLAGS = ["cow_defense", "cow_neutral", "cow_nonagg", "cow_entente"]
EVENT_MEASURES = ("n", "goldstein_sum", "goldstein_mean", "coop", "conf", "conflict_share",
                  "defy_count", "defy_share", "defy_weight", "protest_count")
_ZERO_IF_COVERED = ("n", "goldstein_sum", "coop", "conf", "defy_count", "defy_weight",
                    "protest_count")
NETIFY_QUADS = ("verbCoop", "matlCoop", "verbConf", "matlConf")
MID_YEARS = (1816, 2014)
# (case, junior, senior, first year, last year)
CASES = (("us_rok", 732, 2, 1985, 2015), ("us_france", 220, 2, 1950, 1975))
WINDOWS = {"crisis_1993_94": ("us_rok", 1993, 1994), "crisis_2002_06": ("us_rok", 2002, 2006),
           "crisis_1958_69": ("us_france", 1958, 1969), "nato_exit_1966": ("us_france", 1966, 1966)}


def alliance_level() -> pl.Expr:
    """Ordinal COW obligation: defense 3, neutrality or non-aggression 2, entente 1, none 0."""
    return (pl.when(pl.col("cow_defense") == 1).then(3)
            .when((pl.col("cow_neutral") == 1) | (pl.col("cow_nonagg") == 1)).then(2)
            .when(pl.col("cow_entente") == 1).then(1).otherwise(0)
            .cast(pl.Int8).alias("alliance_level"))


def is_asymmetric(k: float) -> pl.Expr:
    """The asymmetry rule (METHODS §4): ccode1 strictly weaker and CINC(senior)/CINC(junior) ≥ k.

    Needs ``cinc_junior``, ``cinc_senior`` and ``cinc_ratio``; the one definition used by
    :func:`alliance_dyads` and by the warehouse panel (``indicators.build_panel``).
    """
    return (pl.col("cinc_junior") < pl.col("cinc_senior")) & (pl.col("cinc_ratio") >= k)


def alliance_dyads(alliances: pl.LazyFrame, nmc: pl.LazyFrame, k: float = 2.0,
                   asymmetric_only: bool = True) -> pl.LazyFrame:
    """Directed junior→senior allied dyad-years with CINC of both and the capability ratio.

    Parameters
    ----------
    alliances : directed allied dyad-years (``ccode1, ccode2, year, cow_*`` flags).
    nmc : ``ccode, year, cinc`` per state-year.
    k : asymmetry threshold; ``asymmetric`` is ``cinc_ratio >= k``. ``cinc_ratio`` is kept so
        stricter thresholds (k = 3, the METHODS default, or 5) are filters on the output.
    asymmetric_only : keep only rows with ``asymmetric``; False keeps every junior→senior row.

    Returns
    -------
    ``junior, senior, year, cinc_junior, cinc_senior, cinc_ratio`` (senior/junior),
    ``asymmetric``, the four ``cow_*`` flags and ``alliance_level``. Only the direction with
    ccode1 strictly weaker is kept; a CINC tie (ratio 1, never asymmetric for k > 1) keeps
    neither direction, and dyad-years lacking either CINC are dropped. Seniority comes from
    CINC only, never from major-power status (which would drop US–France; METHODS §4).

    References
    ----------
    Morrow (1991), doi:10.2307/2111499; Singer, Bremer & Stuckey (1972); METHODS §4.
    """
    cinc = nmc.select(pl.col("ccode").cast(pl.Int32), pl.col("year").cast(pl.Int32), "cinc")
    out = (
        alliances
        .with_columns(pl.col("ccode1", "ccode2", "year").cast(pl.Int32))
        .join(cinc.rename({"ccode": "ccode1", "cinc": "cinc_junior"}), on=["ccode1", "year"])
        .join(cinc.rename({"ccode": "ccode2", "cinc": "cinc_senior"}), on=["ccode2", "year"])
        .filter(pl.col("cinc_junior") < pl.col("cinc_senior"))
        .with_columns((pl.col("cinc_senior") / pl.col("cinc_junior")).alias("cinc_ratio"))
        .with_columns(is_asymmetric(k).alias("asymmetric"), alliance_level())
        .select(pl.col("ccode1").alias("junior"), pl.col("ccode2").alias("senior"), "year",
                "cinc_junior", "cinc_senior", "cinc_ratio", "asymmetric", *COW_FLAGS,
                "alliance_level")
    )
    return (out.filter("asymmetric") if asymmetric_only else out).sort(KEY)


def shared_threat(mids: pl.LazyFrame, panel: pl.LazyFrame,
                  mid_years: tuple[int, int] = MID_YEARS) -> pl.LazyFrame:
    """Add ``n_shared_adversaries`` and ``shared_mid_adversary`` (Int8 0/1) to ``panel``.

    A shared adversary is a third state X with directed MID dispute-year rows J→X and P→X in
    the same year. Directed MID dyads pair opposing sides only, so both are against X; when
    both rows belong to the same dispute their ``sidea1`` must also agree. Rows outside
    ``mid_years`` (MID 5.0: 1816-2014) are NULL.

    References
    ----------
    Palmer et al. (2022), doi:10.1177/0738894221995743; Miller (2022) peacesciencer.
    """
    rows = mids.select(pl.col("ccode1").cast(pl.Int32).alias("state"),
                       pl.col("ccode2").cast(pl.Int32).alias("adversary"),
                       pl.col("year").cast(pl.Int32), "dispnum", "sidea1")
    shared = (
        panel.select(KEY).unique()
        .join(rows.rename({"state": "junior", "dispnum": "disp_j", "sidea1": "side_j"}),
              on=["junior", "year"])
        .join(rows.rename({"state": "senior", "dispnum": "disp_p", "sidea1": "side_p"}),
              on=["senior", "year", "adversary"])
        .filter(pl.col("adversary") != pl.col("junior"), pl.col("adversary") != pl.col("senior"),
                (pl.col("disp_j") != pl.col("disp_p")) | (pl.col("side_j") == pl.col("side_p")))
        .group_by(KEY)
        .agg(pl.col("adversary").n_unique().cast(pl.Int32).alias("n_shared_adversaries"))
    )
    covered = pl.col("year").is_between(*mid_years)
    return (
        panel.join(shared, on=KEY, how="left")
        .with_columns(pl.when(covered).then(pl.col("n_shared_adversaries").fill_null(0))
                      .alias("n_shared_adversaries"))
        .with_columns((pl.col("n_shared_adversaries") > 0).cast(pl.Int8)
                      .alias("shared_mid_adversary"))
    )


def join_events(frame: pl.LazyFrame, event_dy: pl.LazyFrame, datasets=DATASETS,
                period: str = "year", measures=EVENT_MEASURES) -> pl.LazyFrame:
    """Join J→P event aggregates per dataset as ``<dataset>_<measure>`` plus ``cov_<dataset>``.

    A dataset covers a period when it has any event in it (any dyad). Within coverage,
    counts and sums of a dyad without events are 0 and means/shares NULL; outside it all are
    NULL. ``datasets`` is a fixed tuple, so the columns exist even for absent datasets.
    """
    for d in datasets:
        rows = event_dy.filter(pl.col("dataset") == d)
        cov = f"cov_{d}"
        frame = (
            frame
            .join(rows.select(pl.col("source_ccode").alias("junior"),
                              pl.col("target_ccode").alias("senior"), period,
                              *[pl.col(m).alias(f"{d}_{m}") for m in measures]),
                  on=[*DYAD, period], how="left")
            .join(rows.select(period).unique().with_columns(pl.lit(True).alias(cov)),
                  on=period, how="left")
            .with_columns(pl.col(cov).fill_null(False))
            .with_columns(pl.when(pl.col(cov)).then(pl.col(f"{d}_{m}").fill_null(0))
                          .alias(f"{d}_{m}") for m in measures if m in _ZERO_IF_COVERED)
        )
    return frame


def _netify(netify: pl.LazyFrame) -> pl.LazyFrame:
    """ICEWS (netify) quad counts J→P as ``netify_*``, with total and conflict share."""
    n = pl.sum_horizontal(*NETIFY_QUADS)
    return (
        netify.filter(pl.col("source_ccode").is_not_null(), pl.col("target_ccode").is_not_null())
        .group_by(pl.col("source_ccode").alias("junior"), pl.col("target_ccode").alias("senior"),
                  pl.col("year").cast(pl.Int32))
        .agg(pl.col(NETIFY_QUADS).sum())
        .with_columns(n.alias("n"),
                      ((pl.col("verbConf") + pl.col("matlConf")) / n).alias("conflict_share"))
        .select(*KEY, *[pl.col(c).alias(f"netify_{c}") for c in (*NETIFY_QUADS, "n",
                                                               "conflict_share")],
                pl.lit(True).alias("cov_netify"))
    )


def _cohesion(dyad_cohesion: pl.LazyFrame, cols: list[str] | None) -> pl.LazyFrame:
    """UN cohesion on the unordered pair, prefixed ``un_``; symmetric measures, so either
    order of a pair may be supplied (duplicates of a pair-year are dropped)."""
    names = [c for c in dyad_cohesion.collect_schema().names()
             if c not in ("ccode_a", "ccode_b", "year")] if cols is None else cols
    return (
        dyad_cohesion
        .select(pl.min_horizontal("ccode_a", "ccode_b").cast(pl.Int32).alias("lo"),
                pl.max_horizontal("ccode_a", "ccode_b").cast(pl.Int32).alias("hi"),
                pl.col("year").cast(pl.Int32), *[pl.col(c).alias(f"un_{c}") for c in names])
        .unique(subset=["lo", "hi", "year"], keep="any")
        .with_columns(pl.lit(True).alias("cov_un"))
    )


def lag1(col: str, by: list[str] = DYAD, t: str = "year") -> pl.Expr:
    """Value at t−1 within ``by`` ordered by ``t``; NULL in the first year and after a gap."""
    consecutive = pl.col(t).diff().over(by, order_by=t) == 1
    return pl.when(consecutive).then(pl.col(col).shift(1).over(by, order_by=t)).alias(f"{col}_l1")


def build_alliance_panel(dyads: pl.LazyFrame, state_year: pl.LazyFrame,
                         dyad_cohesion: pl.LazyFrame, event_dy: pl.LazyFrame,
                         copdab_year: pl.LazyFrame, mids: pl.LazyFrame, si_cols: list[str],
                         lag_cols: list[str] | None = None, *,
                         netify: pl.LazyFrame | None = None, cohesion_cols: list[str] | None = None,
                         datasets=DATASETS) -> pl.LazyFrame:
    """The J→P dyad-year panel: asymmetry, J's status, UN opposition, defiance, threat, lags.

    Parameters
    ----------
    dyads : output of :func:`alliance_dyads`.
    state_year : ``ccode, year`` and ``si_cols`` (joined for the junior).
    dyad_cohesion : ``ccode_a, ccode_b, year`` and measures (all non-key columns unless
        ``cohesion_cols``), joined on the unordered pair as ``un_<col>`` with ``cov_un``.
    event_dy : :func:`pipeline.lib.defiance.event_dyad_year` with ``period="year"``.
    copdab_year : :func:`pipeline.lib.defiance.copdab_yearly`; J→P, NULL outside 1948-1978.
    mids : directed MID dispute-years for :func:`shared_threat`.
    lag_cols : columns lagged to ``<col>_l1``; default ``si_cols`` + ``cinc_ratio``.
    netify : ICEWS netify dyad-year counts (``source_ccode, target_ccode, year`` + quads).

    Returns
    -------
    One row per dyads row with coverage flags ``cov_un``, ``cov_<dataset>``, ``cov_netify``,
    ``cov_copdab``; every source is NULL outside its coverage.

    References
    ----------
    METHODS §4, §5, §6, §7 (IVs at t−1; Achen 2000 on lagged dependent variables).
    """
    lag_cols = [*si_cols, "cinc_ratio"] if lag_cols is None else lag_cols
    status = state_year.select(pl.col("ccode").cast(pl.Int32).alias("junior"),
                               pl.col("year").cast(pl.Int32), *si_cols)
    copdab = copdab_year.select(pl.col("actor").alias("junior"), pl.col("target").alias("senior"),
                                pl.col("year").cast(pl.Int32), "copdab_net_coop",
                                "copdab_conflict_months",
                                (pl.col("copdab_months") > 0).alias("cov_copdab"))
    in_copdab = pl.col("year").is_between(*COPDAB_YEARS) & pl.col("cov_copdab")
    frame = (
        dyads
        .join(status, on=["junior", "year"], how="left")
        .with_columns(pl.min_horizontal(DYAD).alias("lo"), pl.max_horizontal(DYAD).alias("hi"))
        .join(_cohesion(dyad_cohesion, cohesion_cols), on=["lo", "hi", "year"], how="left")
        .drop("lo", "hi")
        .join(copdab, on=KEY, how="left")
        .with_columns(pl.col("cov_un", "cov_copdab").fill_null(False))
        .with_columns(pl.when(in_copdab).then(pl.col(c)).alias(c)
                      for c in ("copdab_net_coop", "copdab_conflict_months"))
        .with_columns(in_copdab.alias("cov_copdab"))
    )
    frame = join_events(frame, event_dy, datasets)
    if netify is not None:
        frame = (frame.join(_netify(netify), on=KEY, how="left")
                 .with_columns(pl.col("cov_netify").fill_null(False)))
    else:
        frame = frame.with_columns(pl.lit(False).alias("cov_netify"))
    return shared_threat(mids, frame).with_columns(lag1(c) for c in lag_cols).sort(KEY)


def _case_frame() -> pl.LazyFrame:
    case, junior, senior, first, last = zip(*CASES)
    return pl.LazyFrame({"case": case, "junior": junior, "senior": senior, "first": first,
                         "last": last}, schema_overrides={"junior": pl.Int32,
                                                          "senior": pl.Int32})


def _windows() -> list[pl.Expr]:
    return [((pl.col("case") == c) & pl.col("year").is_between(a, b)).alias(name)
            for name, (c, a, b) in WINDOWS.items()]


def case_series(panel: pl.LazyFrame, events_monthly: pl.LazyFrame,
                copdab_monthly: pl.LazyFrame, datasets=DATASETS) -> pl.LazyFrame:
    """Yearly and monthly series for US–ROK 1985-2015 and US–France 1950-1975.

    Yearly rows (``period == "year"``, ``month`` NULL) carry every panel column for all years
    of the window (NULL where the dyad-year is not in the panel). Monthly rows
    (``period == "month"``) exist only where COPDAB (J→P ``copdab_net_coop``, P→J
    ``copdab_net_coop_pj``) or an event dataset covers the month. Window flags:
    ``crisis_1993_94``, ``crisis_2002_06`` (US–ROK), ``crisis_1958_69`` and ``nato_exit_1966``
    (US–France, whole year 1966), ``crisis`` = any.

    References
    ----------
    METHODS §6.4, §7 (dyad-month series within each case; Lebo & Moore 2003).
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
    monthly = join_events(monthly, events_monthly, datasets, period="month")
    covered = pl.any_horizontal("cov_copdab", *[f"cov_{d}" for d in datasets])
    monthly = monthly.filter(covered).with_columns(pl.lit("month").alias("period"))
    return (
        pl.concat([yearly, monthly], how="diagonal_relaxed")
        .with_columns(*_windows())
        .with_columns(pl.any_horizontal(*WINDOWS).alias("crisis"))
        .sort("case", "period", "year", "month", nulls_last=True)
    )

