"""Estimators against independent references: fractional logit, weighted FE OLS with product
fixed effects, two-way clustering, FE-Poisson log-likelihood, NB2 at its maximum, effects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest
import statsmodels.api as sm
from scipy.special import digamma, expit, gammaln
from simulated import claim_spec, panel

from pipeline.lib.regressions import ModelError, fit, prepare
from pipeline.lib.regressions.bootstrap import boot_input
from pipeline.lib.regressions.estimate import estimate
from pipeline.lib.regressions.inference import cr1_k
from pipeline.lib.regressions.validate import check


def _frame(spec, df):
    return check(spec, prepare(spec, df))


def _dummies(df: pl.DataFrame, cols: list[str], fes: list[str]) -> pd.DataFrame:
    pdf = df.to_pandas()
    x = pdf[cols].astype(float)
    for fe in fes:
        x = pd.concat([x, pd.get_dummies(pdf[fe], prefix=fe, drop_first=True, dtype=float)],
                      axis=1)
    return sm.add_constant(x, has_constant="add")


def _coefs(result) -> dict[str, dict]:
    return {r["term"]: r for r in result.coefficients.to_dicts()}


def test_fe_fractional_logit_equals_the_dummy_glm():
    """Absorbed-FE fractional logit = statsmodels binomial GLM with dyad and year dummies and n
    as weights: same estimates (1e-6) and log-likelihood; SEs equal once K counts the same
    parameters."""
    spec = claim_spec(estimator="fe_fractional_logit", fixed_effects=("dyad", "year"))
    df = _frame(spec, panel(3, juniors=40, seniors=3, years=12, fractional=True))
    res = fit(spec, df)
    x = _dummies(df, ["x", "z", "x:z"], ["dyad", "year"])
    groups = pd.factorize(df["junior"].to_pandas())[0]
    ref = sm.GLM(df["y"].to_pandas(), x, family=sm.families.Binomial(),
                 var_weights=df["n"].to_numpy()).fit(
        tol=1e-12, cov_type="cluster", cov_kwds={"groups": groups})
    got = _coefs(res)
    for term in ("x", "z", "x:z"):
        assert got[term]["estimate"] == pytest.approx(ref.params[term], abs=1e-6)
    n, k_sm, k_ours = df.height, x.shape[1], cr1_k(spec, df)
    scale = np.sqrt((n - k_ours) / (n - k_sm))  # statsmodels counts every dummy in K
    assert got["x:z"]["std_error"] * scale == pytest.approx(ref.bse["x:z"], rel=1e-5)
    mu, w, y = ref.mu, df["n"].to_numpy(), df["y"].to_numpy()
    ll = np.sum(gammaln(w + 1) - gammaln(w * y + 1) - gammaln(w - w * y + 1)
                + w * y * np.log(mu) + w * (1 - y) * np.log(1 - mu))
    assert res.stats["loglik"] == pytest.approx(ll, rel=1e-8)


def test_weighted_fe_ols_with_product_fe_equals_dummy_wls():
    """fe_ols with weights and senior^year = WLS with dyad and senior-year dummies."""
    spec = claim_spec()
    df = _frame(spec, panel(4, juniors=40, seniors=3, years=12))
    res = fit(spec, df)
    ref = sm.WLS(df["y"].to_pandas(), _dummies(df, ["x", "z", "x:z"], ["dyad", "senior_by_year"]),
                 weights=df["n"].to_numpy()).fit()
    got = _coefs(res)
    assert set(got) == {"x", "z", "x:z"}  # no intercept with fixed effects
    for term in got:
        assert got[term]["estimate"] == pytest.approx(ref.params[term], abs=1e-8)
    assert res.stats["loglik"] == pytest.approx(ref.llf, rel=1e-9)


def test_fe_ols_reports_the_within_r2():
    """FE-OLS reports the within R² (explained share of the outcome's within-FE variation)."""
    spec = claim_spec(weights=None, fixed_effects=("dyad",))
    df = _frame(spec, panel(5, juniors=30, years=10))
    res = fit(spec, df)
    dem = df.with_columns((pl.col(c) - pl.col(c).mean().over("dyad")).alias(c)
                          for c in ("y", "x", "z", "x:z"))
    xd, yd = dem.select("x", "z", "x:z").to_numpy(), dem["y"].to_numpy()
    u = yd - xd @ np.linalg.lstsq(xd, yd, rcond=None)[0]
    assert res.stats["r2_within"] == pytest.approx(1 - u @ u / (yd @ yd), rel=1e-8)
    assert res.stats["r2"] > res.stats["r2_within"]


def test_two_way_clustering_matches_pyfixest():
    """Two-way (junior, senior) CR1 SEs of a statsmodels OLS equal pyfixest's feols."""
    import pyfixest as pf

    spec = claim_spec(estimator="ols", weights=None, fixed_effects=(),
                      cluster=("junior", "senior"), bootstrap_reps=99)
    df = _frame(spec, panel(6, juniors=60, seniors=12, years=8))
    got = _coefs(fit(spec, df))
    ref = pf.feols("y ~ x + z + x:z", data=df.select("y", "x", "z", "junior", "senior")
                   .to_pandas(), vcov={"CRV1": "junior+senior"})
    for term in ("x", "z", "x:z"):
        assert got[term]["std_error"] == pytest.approx(ref.se()[term], rel=1e-8)


def test_fe_poisson_loglik_uses_the_real_outcome():
    """The FE-Poisson log-likelihood equals the dummy Poisson GLM's (not pyfixest's _Y)."""
    rng = np.random.default_rng(8)
    df = panel(8, juniors=30, years=10).with_columns(
        y=pl.Series(rng.poisson(np.exp(0.3 * rng.normal(size=300) + 1.0))).cast(pl.Float64))
    spec = claim_spec(estimator="fe_poisson", weights=None, fixed_effects=("dyad", "year"),
                      interactions=(), key=None)
    df = _frame(spec, df)
    res = fit(spec, df)
    ref = sm.GLM(df["y"].to_pandas(), _dummies(df, ["x", "z"], ["dyad", "year"]),
                 family=sm.families.Poisson()).fit()
    assert res.stats["loglik"] == pytest.approx(ref.llf, rel=1e-8)
    assert res.stats["aic"] == pytest.approx(-2 * ref.llf + 2 * len(ref.params), rel=1e-8)


def _nb2_grad(theta, y, x):
    beta, alpha = theta[:-1], theta[-1]
    mu = np.exp(x @ beta)
    g_beta = x.T @ ((y - mu) / (1 + alpha * mu))
    a = 1 / alpha
    g_alpha = np.sum(a**2 * (digamma(a) - digamma(y + a) + np.log(1 + alpha * mu))
                     + (y - mu) / (alpha * (1 + alpha * mu)))
    return np.append(g_beta, g_alpha)


def test_negbin_reaches_the_newton_maximum():
    """NB2 stops where an independent Newton iteration on the analytic score stops."""
    rng = np.random.default_rng(9)
    n = 800
    df = pl.DataFrame({"junior": rng.integers(0, 80, n) + 100, "senior": 2,
                       "year": rng.integers(1990, 2000, n), "x": rng.normal(size=n)})
    mu = np.exp(0.5 + 0.4 * df["x"].to_numpy())
    df = df.with_columns(y=pl.Series(rng.negative_binomial(1 / 1.3, 1 / (1 + 1.3 * mu))))
    spec = claim_spec(estimator="negbin", weights=None, fixed_effects=(), explanatory=("x",),
                      interactions=(), key=None)
    res = fit(spec, df)
    x, y = np.column_stack([np.ones(n), df["x"].to_numpy()]), df["y"].to_numpy().astype(float)
    theta = np.array([0.0, 0.0, 1.0])
    for _ in range(100):  # Newton with a central-difference Hessian of the analytic score
        grad = _nb2_grad(theta, y, x)
        hess = np.column_stack([(_nb2_grad(theta + e, y, x) - _nb2_grad(theta - e, y, x)) / 2e-6
                                for e in np.eye(3) * 1e-6])
        theta = theta - np.linalg.solve(hess, grad)
        if np.max(np.abs(grad)) < 1e-10:
            break
    got = _coefs(res)
    assert got["x"]["estimate"] == pytest.approx(theta[1], rel=1e-7)
    assert res.stats["alpha"] == pytest.approx(theta[2], rel=1e-7)


def test_working_form_reproduces_the_reported_standard_error():
    """The bootstrap's working form gives back each model's own one-way CR1 SE."""
    for estimator, fractional in (("fe_ols", False), ("fe_fractional_logit", True)):
        spec = claim_spec(estimator=estimator)
        df = _frame(spec, panel(10, juniors=40, years=10, fractional=fractional))
        est = estimate(spec, df)
        inp = boot_input(est.work, "x:z", "junior", cr1_k(spec, df))
        reported = est.table.filter(pl.col("term") == "x:z")["std_error"][0]
        assert inp.se == pytest.approx(reported, rel=1e-6)
        assert inp.estimate / inp.se == pytest.approx(inp.t)


def test_regressor_absorbed_by_fixed_effects_is_a_model_error():
    """A hypothesis regressor constant within every dyad is found by demeaning, before
    pyfixest runs; dyad and senior × year dummies (collinear when juniors keep their senior)
    are refused."""
    df = panel(11, juniors=20, years=6).with_columns(w=pl.col("junior").cast(pl.Float64))
    with pytest.raises(ModelError, match="w absorbed by the fixed effects"):
        fit(claim_spec(explanatory=("x", "z", "w")), df)
    with pytest.raises(ModelError, match="collinear fixed-effect dummies"):
        share = (pl.col("y") > 0).cast(pl.Float64)
        fit(claim_spec(estimator="fractional_logit"), df.with_columns(y=share))


def test_standardized_effect_in_sd_units():
    """Linear: β·SD(x)/SD(y) (per unit of a 0/1 moderator); logit: the average marginal
    effect, and for x:z the AME difference between z = 1 and z = 0, in the same units."""
    spec = claim_spec(weights=None, fixed_effects=(), estimator="ols", bootstrap_reps=99)
    df = _frame(spec, panel(12, juniors=60, years=10))
    got = _coefs(fit(spec, df))["x:z"]
    sd = df["x"].std() / df["y"].std()
    assert got["std_effect"] == pytest.approx(got["estimate"] * sd, rel=1e-9)
    rng = np.random.default_rng(12)
    p = expit(-0.3 + 0.8 * df["x"].to_numpy() - 0.5 * df["z"].to_numpy()
              + 0.6 * df["x:z"].to_numpy())
    df = df.with_columns(y=pl.Series(rng.binomial(1, p)).cast(pl.Float64))
    res = fit(spec.model_copy(update={"estimator": "logit"}), df)
    b = {r["term"]: r["estimate"] for r in res.coefficients.to_dicts()}
    x = df["x"].to_numpy()

    def slope(z):
        q = expit(b["(Intercept)"] + b["x"] * x + b["z"] * z + b["x:z"] * x * z)
        return q * (1 - q) * (b["x"] + b["x:z"] * z)

    ame = np.mean(slope(1.0) - slope(0.0)) * np.std(x, ddof=1) / df["y"].std()
    assert _coefs(res)["x:z"]["std_effect"] == pytest.approx(ame, rel=1e-9)
    main = res.spec.model_copy(update={"key": "x"})
    at_zero = np.mean(slope(0.0)) * np.std(x, ddof=1) / df["y"].std()
    assert _coefs(fit(main, df))["x"]["std_effect"] == pytest.approx(at_zero, rel=1e-6)


def test_an_interacted_key_effect_is_the_coefficient_at_the_moderators_zero():
    """Linear x with x:z: the SD effect is beta_x * SD(x)/SD(y) and its interval matches the
    coefficient's (same p-value), not an average over the moderator's values."""
    spec = claim_spec(weights=None, fixed_effects=(), estimator="ols", bootstrap_reps=99,
                      key="x")
    df = _frame(spec, panel(13, juniors=60, years=10))
    got = _coefs(fit(spec, df))["x"]
    sd = df["x"].std() / df["y"].std()
    assert got["std_effect"] == pytest.approx(got["estimate"] * sd, rel=1e-9)
    half = (got["std_effect_high"] - got["std_effect_low"]) / 2
    assert half == pytest.approx(1.959963984540054 * got["std_error"] * sd, rel=1e-6)


def test_a_control_absorbed_by_the_fixed_effects_is_dropped_and_named():
    """A junior-level constant control under dyad FE is dropped; the hypothesis terms are
    estimated as without it and the fit's statistics name the dropped control."""
    df = panel(21, juniors=60, years=12)
    df = df.with_columns((pl.col("junior") % 3).cast(pl.Float64).alias("depth"))
    labels = {**claim_spec().labels, "depth": "Alliance depth"}
    with_control = claim_spec(controls=("depth",), labels=labels)
    got = fit(with_control, df)
    ref = fit(claim_spec(), df)
    assert got.stats["dropped_controls"] == "depth"
    assert _coefs(got)["x:z"]["estimate"] == pytest.approx(_coefs(ref)["x:z"]["estimate"],
                                                          rel=1e-10)
    assert "depth" not in _coefs(got)


def test_an_absorbed_hypothesis_term_is_never_dropped():
    """A junior-constant explanatory variable still raises ModelError: it is the question."""
    df = panel(22, juniors=60, years=12).with_columns((pl.col("junior") % 3).cast(pl.Float64)
                                                      .alias("x"))
    with pytest.raises(ModelError, match="absorbed"):
        fit(claim_spec(), df)
