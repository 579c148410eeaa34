"""Case evidence: per-year tables and Newey-West time-series models of the two cases."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm

from pipeline.lib.measures import case_evidence as ce


def _series(seed: int = 3, slope: float = 0.5) -> pl.DataFrame:
    """A yearly case series 1990-2012 with y = slope * x + AR(1) noise, and COPDAB months."""
    rng = np.random.default_rng(seed)
    years = np.arange(1990, 2013)
    x = rng.normal(0, 1, years.size)
    e = np.zeros(years.size)
    for t in range(1, years.size):
        e[t] = 0.5 * e[t - 1] + rng.normal(0, 0.2)
    yearly = pl.DataFrame({"case_id": "us_rok", "period": "year", "year": years,
                           "si_pct_de_indegree_global_l1": x,
                           "si_pct_de_indegree_global": np.r_[x[1:], 0.0],
                           "un_oppose_rel": slope * x + e, "threat_mid": True})
    months = [date(y, m, 1) for y in range(1991, 2013) for m in range(1, 13)]
    monthly = pl.DataFrame({"case_id": "us_rok", "period": "month",
                            "year": [d.year for d in months], "month": months,
                            "copdab_net_coop": rng.normal(0, 1, len(months))})
    return pl.concat([yearly, monthly], how="diagonal_relaxed")


def test_newey_west_lag_rule():
    """floor(4 (T/100)^(2/9)): 2 for T = 23, 4 for T = 250, at least 1."""
    assert (ce.newey_west_lags(23), ce.newey_west_lags(250), ce.newey_west_lags(1)) == (2, 4, 1)


def test_yearly_model_recovers_a_planted_slope_with_hac_errors():
    """The slope 0.5 lies in the HAC 95% interval; SEs equal statsmodels' HAC with 2 lags."""
    series = _series()
    out = ce.case_models(series)
    row = out.filter(outcome="un_oppose_rel", term="si_pct_de_indegree_global_l1").row(
        0, named=True)
    assert row["conf_low"] < 0.5 < row["conf_high"] and row["nobs"] == 23
    y = series.filter(period="year")
    ref = sm.OLS(y["un_oppose_rel"].to_numpy(),
                 sm.add_constant(y["si_pct_de_indegree_global_l1"].to_numpy())).fit(
        cov_type="HAC", cov_kwds={"maxlags": 2, "use_correction": True})
    assert row["std_error"] == pytest.approx(ref.bse[1], rel=1e-10)
    assert "threat_mid" not in out["term"].to_list()  # no variation: not entered


def test_monthly_model_uses_the_previous_years_status():
    """COPDAB months of year t are paired with the status gap of year t - 1."""
    out = ce.case_models(_series()).filter(period="month", outcome="copdab_net_coop")
    assert out.filter(term="si_pct_de_indegree_global_l1")["nobs"].item() == 22 * 12


def test_case_table_keeps_the_documented_columns_in_order():
    """Yearly rows only, sorted, headed by the TABLE_COLUMNS present."""
    table = ce.case_table(_series(), "us_rok")
    assert table.columns == ["year", "si_pct_de_indegree_global_l1", "un_oppose_rel",
                             "copdab_net_coop", "threat_mid"]
    assert table["year"].to_list() == list(range(1990, 2013))
