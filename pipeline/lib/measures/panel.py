"""The junior -> senior alliance panel (METHODS §4, §6, §7).

The unit is J -> P: a directed dyad-year of a defense pact (COW; ATOP defense/offense when
loaded) in which J is strictly weaker and CINC(P) / CINC(J) >= k (k = 2 here, so k = 3 and 5 are
filters). Columns come from ``derived.dyad_year`` with names that say direction (``_jp`` J
toward P, ``_pj`` P toward J, ``cinc_ratio_p_over_j``), J's attributes from
``derived.state_year`` (suffix ``_junior``), and **lags in calendar time**: ``<x>_l1`` is the
value in the state's or the dyad's own row for t - 1, whether or not that row is in the panel,
so the first year of an alliance spell keeps its lag (METHODS §7).

References
----------
Morrow, J. D. 1991. "Alliances and Asymmetry." *AJPS* 35(4): 904-933. doi:10.2307/2111499.
Nickell, S. 1981. "Biases in Dynamic Models with Fixed Effects." *Econometrica* 49(6):
1417-1426 (why no lagged dependent variable).
"""

from __future__ import annotations

import polars as pl

from pipeline.lib.measures import pairs, threat

DYAD = ["junior", "senior"]
KEY = [*DYAD, "year"]
J_YEAR = ["junior", "year"]
STATE_COLS = ("cap_rank", "cap_pct", "major_power", "middle_power", "regional_power")
# J's status measures carried at t (for the case series) besides their t - 1 lags.
CURRENT_SI = ("si_pct_de_indegree_global", "si_resid_de_pagerank")
# J's status measures lagged into the panel: the primary (DE in-degree percentile gap, global
# field) and the robustness variants the model family uses; state_year keeps every variant.
PANEL_SI = ("si_pct_de_indegree_global", "si_rank_de_indegree_global",
            "si_chronic_de_indegree_global", "si_pct_de_indegree_region",
            "si_pct_de_indegree_community", "si_resid_de_indegree", "si_pct_de_pagerank_global",
            "si_resid_de_pagerank", "si_pct_de_indegree_interp_global",
            "si_resid_de_indegree_interp", "si_pct_igo_full_global", "si_resid_igo_full",
            "si_pct_igo_pagerank_global", "si_resid_igo_pagerank")
DYAD_LAGS = ("cinc_ratio_p_over_j", "log_cinc_ratio_p_over_j", "respect_de_gap",
             "respect_icews_gap", "respect_gdelt1_gap", "respect_phoenix_gap",
             "respect_phoenix_historical_gap", "respect_weis_gap", "respect_netify_gap")


def directional(name: str) -> str:
    """Rename a dyad-year column for the J -> P panel (``_21`` -> ``_pj``, ``1`` -> junior)."""
    fixed = {"ccode1": "junior", "ccode2": "senior", "cinc1": "cinc_junior",
             "cinc2": "cinc_senior", pairs.RATIO: "cinc_ratio_p_over_j",
             "idealpoint1": "idealpoint_junior", "idealpoint2": "idealpoint_senior",
             "n_allies_2": "n_allies_senior"}
    if name in fixed:
        return fixed[name]
    for old, new in (("_12", "_jp"), ("_21", "_pj")):
        if name.endswith(old):
            return name[: -len(old)] + new
    return name


def _junior_state(state_year: pl.DataFrame, shift: int, cols: list[str],
                  suffix: str) -> pl.LazyFrame:
    """J's state-year columns from year t - shift, keyed on (junior, t)."""
    return state_year.lazy().select(
        pl.col("ccode").cast(pl.Int32).alias("junior"),
        (pl.col("year").cast(pl.Int32) + shift).alias("year"),
        *[pl.col(c).alias(f"{c}{suffix}") for c in cols])


def _names(state_year: pl.DataFrame, side: str) -> pl.LazyFrame:
    """``<side>, <side>_name`` from the state-year ``country`` column (one per code)."""
    if "country" not in state_year.columns:
        return pl.LazyFrame(schema={side: pl.Int32, f"{side}_name": pl.Utf8})
    return (state_year.lazy().select(pl.col("ccode").alias(side),
                                     pl.col("country").alias(f"{side}_name"))
            .unique(side, keep="first"))


def build_panel(dyad_year: pl.DataFrame, state_year: pl.DataFrame, k: float = 2.0,
                min_level: int = 3) -> pl.DataFrame:
    """The J -> P panel with J's status at t - 1 and directional outcomes at t.

    Parameters
    ----------
    dyad_year : ``derived.dyad_year``.
    state_year : ``derived.state_year``.
    k : asymmetry threshold on ``cinc_ratio_p_over_j`` (the stored ratio lets models filter
        k = 3 or 5).
    min_level : 3 keeps defense pledges; 1 any alliance.

    Returns
    -------
    One row per (junior, senior, year) with every dyad-year column renamed by
    :func:`directional`, ``log_cinc_ratio_p_over_j``, ``shared_threat`` (the primary
    definition, :data:`pipeline.lib.measures.threat.PRIMARY`), J's :data:`STATE_COLS` as
    ``<col>_junior`` and lagged as ``<col>_junior_l1``, J's :data:`PANEL_SI` at t - 1
    (``_l1``) and :data:`CURRENT_SI` at t, and the dyad's :data:`DYAD_LAGS` at t - 1.
    """
    level = (pl.col("alliance_level").fill_null(0) >= min_level) | (
        pl.col("atop_level").fill_null(0) >= min_level)
    dy = dyad_year.lazy().with_columns(
        pl.col(pairs.RATIO).log().alias("log_cinc_ratio_p_over_j"))
    lag_state = [*PANEL_SI, *STATE_COLS, "de_years_since_wave", "de_is_wave"]
    have = set(state_year.columns)
    lag_state = [c for c in lag_state if c in have]
    names = {c: directional(c) for c in dy.collect_schema().names()}
    lagged_dyad = (dy.rename(names)
                   .select(*DYAD, (pl.col("year") + 1).alias("year"),
                           *[pl.col(c).alias(f"{c}_l1") for c in DYAD_LAGS]))
    return (
        dy.filter(level, pairs.is_asymmetric(k))
        .rename(names)
        .with_columns(pl.col(threat.PRIMARY).alias("shared_threat"),
                      (~pl.col(threat.PRIMARY)).cast(pl.Int8).alias("no_shared_threat"),
                      pl.col("principal_patron").fill_null(False))
        .join(_junior_state(state_year, 0, [c for c in STATE_COLS if c in have], "_junior"),
              on=J_YEAR, how="left")
        .join(_junior_state(state_year, 0, [c for c in CURRENT_SI if c in have], ""),
              on=J_YEAR, how="left")
        .join(_junior_state(state_year, 1, lag_state, "_l1").rename(
            {f"{c}_l1": f"{c}_junior_l1" for c in STATE_COLS if c in have}), on=J_YEAR,
              how="left")
        .join(lagged_dyad, on=KEY, how="left")
        .join(_names(state_year, "junior"), on="junior", how="left")
        .join(_names(state_year, "senior"), on="senior", how="left")
        .sort(KEY)
        .collect()
    )
