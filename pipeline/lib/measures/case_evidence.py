"""Case evidence for US-ROK and US-France: per-year tables and time-series models (METHODS §7).

With two case dyads clustering is meaningless, so each case gets its own time-series
regressions with Newey-West (HAC) standard errors: the yearly directional outcomes on the
junior's lagged status measures, and, where monthly events exist (COPDAB 1948-78, WEIS
1966-92), dyad-month models of the monthly series on the yearly status measure of the previous
year. These are descriptions of two histories, not tests: T is 20-ish years.

References
----------
Newey, W. K., and K. D. West. 1987. "A Simple, Positive Semi-Definite, Heteroskedasticity
and Autocorrelation Consistent Covariance Matrix." *Econometrica* 55(3): 703-708.
doi:10.2307/1913610.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import statsmodels.api as sm

# The per-year case table: column -> heading (issue "Measurement validity", done-when list).
TABLE_COLUMNS = {
    "year": "Year",
    "si_pct_de_indegree_global_l1": "DE deficit, percentile gap (t-1)",
    "si_resid_de_pagerank_l1": "DE deficit, residual (t-1)",
    "respect_de_gap": "Respect received gap, DE representation",
    "respect_netify_gap": "Respect received gap, ICEWS (netify)",
    "respect_weis_gap": "Respect received gap, WEIS",
    "un_oppose_rel": "Relative UN opposition",
    "un_agree_voeten": "Voeten agreement index",
    "un_disagree_voeten_rel": "Relative Voeten disagreement",
    "idealpoint_dist": "Ideal-point distance",
    "idealpoint_dist_rel": "Relative ideal-point distance",
    "netify_conflict_share": "ICEWS (netify) conflict share",
    "netify_n": "ICEWS (netify) events J→P",
    "weis_defy_share": "WEIS defiance share",
    "weis_n": "WEIS events J→P",
    "icews_defy_share": "ICEWS defiance share",
    "icews_n": "ICEWS events J→P",
    "copdab_net_coop": "COPDAB net cooperation (mean)",
    "threat_mid": "Shared threat (b) common MID adversary",
    "threat_rival": "Shared threat (a) common rival",
    "threat_rival_adv": "Shared threat (c) J's rival is P's adversary",
    "crisis": "Crisis window",
}
YEARLY_OUTCOMES = ("un_oppose_rel", "un_disagree_voeten_rel", "idealpoint_dist_rel")
YEARLY_REGRESSORS = ("si_pct_de_indegree_global_l1", "respect_de_gap_l1")
MONTHLY_OUTCOMES = ("copdab_net_coop", "weis_defy_share")
MIN_T = 8


def case_table(case_series: pl.DataFrame, case: str) -> pl.DataFrame:
    """The yearly rows of one case with the :data:`TABLE_COLUMNS` present, in that order."""
    rows = case_series.filter(pl.col("case_id") == case, pl.col("period") == "year")
    cols = [c for c in TABLE_COLUMNS if c in rows.columns]
    return rows.sort("year").select(cols)


def newey_west_lags(t: int) -> int:
    """Newey & West's rule of thumb floor(4 (T/100)^(2/9)), at least 1."""
    return max(1, math.floor(4 * (t / 100) ** (2 / 9)))


def _fit(frame: pl.DataFrame, y: str, x: list[str]) -> dict | None:
    """OLS of y on x with HAC errors; None when too few complete years or no variation."""
    data = frame.select(y, *x).drop_nulls()
    if data.height < MIN_T or any(data[c].n_unique() < 2 for c in [y, *x]):
        return None
    exog = sm.add_constant(data.select(x).to_numpy().astype(float), has_constant="add")
    lags = newey_west_lags(data.height)
    fit = sm.OLS(data[y].to_numpy().astype(float), exog).fit(
        cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True})
    return {"fit": fit, "nobs": data.height, "lags": lags, "terms": ["const", *x]}


def case_models(case_series: pl.DataFrame) -> pl.DataFrame:
    """Per-case time-series regressions with Newey-West standard errors.

    Yearly: each of :data:`YEARLY_OUTCOMES` on each of :data:`YEARLY_REGRESSORS` (one at a
    time, plus the shared-threat flag when it varies). Monthly: COPDAB net cooperation and
    the WEIS defiance share on the junior's DE percentile gap of the previous year.

    Returns
    -------
    ``case_id, period, outcome, term, estimate, std_error, p_value, conf_low, conf_high,
    nobs, hac_lags``; models with fewer than 8 complete periods are left out.
    """
    out = []
    for case in case_series["case_id"].unique().sort().to_list():
        rows = case_series.filter(pl.col("case_id") == case)
        yearly = rows.filter(pl.col("period") == "year").sort("year")
        monthly = (rows.filter(pl.col("period") == "month").sort("month")
                   .join(yearly.select((pl.col("year") + 1).alias("year"),
                                       pl.col("si_pct_de_indegree_global").alias("si_prev")),
                         on="year", how="left") if "month" in rows.columns else pl.DataFrame())
        specs = [("year", yearly, y, [x]) for y in YEARLY_OUTCOMES for x in YEARLY_REGRESSORS
                 if y in yearly.columns and x in yearly.columns]
        specs += [("month", monthly, y, ["si_prev"]) for y in MONTHLY_OUTCOMES
                  if not monthly.is_empty() and y in monthly.columns]
        for period, frame, y, x in specs:
            if "threat_mid" in frame.columns and frame["threat_mid"].n_unique() > 1:
                frame = frame.with_columns(pl.col("threat_mid").cast(pl.Float64))
                x = [*x, "threat_mid"]
            got = _fit(frame, y, x)
            if got is None:
                continue
            fit = got["fit"]
            ci = np.asarray(fit.conf_int())
            for i, term in enumerate(got["terms"]):
                out.append({"case_id": case, "period": period, "outcome": y,
                            "term": "si_pct_de_indegree_global_l1" if term == "si_prev" else term,
                            "estimate": float(fit.params[i]), "std_error": float(fit.bse[i]),
                            "p_value": float(fit.pvalues[i]), "conf_low": float(ci[i, 0]),
                            "conf_high": float(ci[i, 1]), "nobs": got["nobs"],
                            "hac_lags": got["lags"]})
    schema = {"case_id": pl.Utf8, "period": pl.Utf8, "outcome": pl.Utf8, "term": pl.Utf8,
              "estimate": pl.Float64, "std_error": pl.Float64, "p_value": pl.Float64,
              "conf_low": pl.Float64, "conf_high": pl.Float64, "nobs": pl.Int64,
              "hac_lags": pl.Int64}
    return pl.DataFrame(out, schema=schema)
