"""statsmodels estimators: OLS/WLS, logit, fractional logit, Poisson (GLM) and NB2.

Fixed effects of these estimators enter as dummies. One-way cluster-robust covariance is
statsmodels' CR1 sandwich ``c (X'X)^-1 [sum_g X_g' u_g u_g' X_g] (X'X)^-1`` (scores and the
inverse Hessian for ML models) with ``c = G/(G-1) * (N-1)/(N-K)``; OLS uses t with G-1 degrees
of freedom, ML models the normal distribution. Two-way clustering is computed in
:mod:`.inference` from the working representation instead.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import polars as pl
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import (
    ConvergenceWarning,
    PerfectSeparationWarning,
    SpecificationWarning,
)

from pipeline.lib.regressions.errors import ModelError
from pipeline.lib.regressions.feglm import binomial_loglik
from pipeline.lib.regressions.frames import OFFSET
from pipeline.lib.regressions.labels import INTERCEPT
from pipeline.lib.regressions.specs import ModelSpec

SCORE_TOL = 1e-8  # NB2: largest |∂ log L / ∂θ| accepted at the reported maximum


def design(spec: ModelSpec, df: pl.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """Outcome and design matrix: intercept, regressors and dummies for each fixed effect
    (full rank: :func:`.validate.check` has rejected collinear or absorbed regressors)."""
    pdf = df.select(spec.dependent, *spec.regressors, *spec.fe_columns).to_pandas()
    x = sm.add_constant(pdf[list(spec.regressors)].astype(float), has_constant="add")
    x = x.rename(columns={"const": INTERCEPT})
    for fe in spec.fe_columns:
        dummies = pd.get_dummies(pdf[fe], prefix=f"fe_{fe}", drop_first=True, dtype=float)
        x = pd.concat([x, dummies], axis=1)
    return pdf[spec.dependent].astype(float), x


def _cov(spec: ModelSpec, df: pl.DataFrame) -> dict:
    if len(spec.cluster) == 1:
        groups = pd.factorize(df[spec.cluster[0]].to_pandas())[0]
        return {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
    return {"cov_type": "HC1"}  # two-way: replaced in inference.two_way_table


def _negbin(spec: ModelSpec, y, x, offset, cov: dict):
    """NB2 by BFGS, then Newton from there until the score is below SCORE_TOL (BFGS alone
    stops short: log L -6424.190091807 against the maximum -6424.190090817 on the netify
    counts, the value R's MASS::glm.nb reaches)."""
    model = sm.NegativeBinomial(y, x, loglike_method="nb2", offset=offset)
    start = model.fit(disp=0, maxiter=500, method="bfgs").params.to_numpy()
    res = model.fit(start_params=start, method="newton", maxiter=100, tol=1e-14, disp=0, **cov)
    if np.max(np.abs(model.score(res.params.to_numpy()))) > SCORE_TOL:
        raise ModelError(spec.name, f"NB2 did not converge (score above {SCORE_TOL:g})")
    return res


def fit_statsmodels(spec: ModelSpec, df: pl.DataFrame):
    """Fit an ``ols``/``logit``/``fractional_logit``/``poisson``/``negbin`` spec.

    Returns (results, design, outcome). ``weights`` makes OLS weighted least squares and are
    the binomial trials (``var_weights``) of the fractional logit.

    References
    ----------
    Cameron, A. C. & Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
    Journal of Human Resources 50(2): 317-372. doi:10.3368/jhr.50.2.317
    Carter, D. B. & Signorino, C. S. (2010). Back to the future: modeling time dependence in
    binary data. Political Analysis 18(3): 271-292. doi:10.1093/pan/mpq013
    Cameron, A. C. & Trivedi, P. K. (2013). Regression Analysis of Count Data, 2nd ed.
    doi:10.1017/CBO9781139013567
    Papke, L. E. & Wooldridge, J. M. (1996). Journal of Applied Econometrics 11(6): 619-632.
    """
    y, x = design(spec, df)
    offset = df[OFFSET].to_numpy() if spec.exposure else None
    w = df[spec.weights].to_numpy().astype(float) if spec.weights else None
    cov = _cov(spec, df)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        # "cov_type not fully supported with var_weights": the cluster sandwich with binomial
        # var_weights equals inference.cluster_vcov's (tests/test_lib_regressions_glm.py)
        warnings.simplefilter("ignore", SpecificationWarning)
        try:
            if spec.estimator == "ols":
                model = sm.WLS(y, x, weights=w) if w is not None else sm.OLS(y, x)
                res = model.fit(**cov, use_t=True)
            elif spec.estimator == "logit":
                res = sm.Logit(y, x).fit(disp=0, maxiter=200, **cov)
            elif spec.estimator == "fractional_logit":
                res = sm.GLM(y, x, family=sm.families.Binomial(), var_weights=w).fit(
                    tol=1e-12, maxiter=200, **cov)
            elif spec.estimator == "poisson":
                res = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset).fit(**cov)
            else:
                res = _negbin(spec, y, x, offset, cov)
        except (PerfectSeparationWarning, np.linalg.LinAlgError) as err:
            reason = (
                "perfect separation"
                if isinstance(err, PerfectSeparationWarning)
                else f"singular information matrix ({err})"
            )
            raise ModelError(spec.name, reason) from err
    retvals = getattr(res, "mle_retvals", None) or {}
    if retvals and not retvals.get("converged", True):
        if spec.estimator == "logit" and np.all((res.predict() > 0.5) == (y.to_numpy() > 0.5)):
            raise ModelError(spec.name, "perfect separation (ML did not converge)")
        raise ModelError(spec.name, "maximum likelihood did not converge (quasi-separation?)")
    if not np.all(np.isfinite(res.bse[: len(spec.regressors) + 1])):
        raise ModelError(spec.name, "non-finite standard errors (separation or collinearity)")
    return res, x, y


def fitted_mean(spec: ModelSpec, res) -> np.ndarray:
    """Fitted E[y] of a statsmodels result (with the offset)."""
    if spec.estimator == "ols":
        return np.asarray(res.fittedvalues, dtype=float)
    if spec.estimator in ("poisson", "fractional_logit"):
        return np.asarray(res.mu, dtype=float)
    return np.asarray(res.predict(), dtype=float)


def statsmodels_stats(spec: ModelSpec, res, df: pl.DataFrame) -> dict:
    """Fit statistics in the METHODS §8 vocabulary."""
    stats = {"nobs": int(res.nobs), "loglik": float(res.llf), "aic": float(res.aic),
             "bic": float(getattr(res, "bic_llf", res.bic))}
    if spec.estimator == "fractional_logit":  # the binomial log-likelihood, as feglm reports it
        y = df[spec.dependent].to_numpy().astype(float)
        w = df[spec.weights].to_numpy().astype(float) if spec.weights else np.ones(len(y))
        ll, ll0 = binomial_loglik(y, res.mu, w), binomial_loglik(y, np.average(y, weights=w), w)
        k = len(res.params)
        stats.update(loglik=ll, aic=-2 * ll + 2 * k, bic=-2 * ll + np.log(len(y)) * k,
                     pseudo_r2=1 - ll / ll0)
    elif spec.estimator == "ols":
        stats["r2"] = float(res.rsquared)
    elif spec.estimator == "poisson":
        stats["pseudo_r2"] = float(res.pseudo_rsquared(kind="mcf"))
    else:
        stats["pseudo_r2"] = float(res.prsquared)
    if spec.estimator == "negbin":
        stats["alpha"] = float(res.params["alpha"])
    return stats


def statsmodels_table(spec: ModelSpec, res) -> pl.DataFrame:
    """Coefficient rows for the intercept and the declared regressors (not FE dummies)."""
    terms = [INTERCEPT, *spec.regressors]
    ci = res.conf_int(0.05)
    return pl.DataFrame(
        {
            "term": terms,
            "estimate": [float(res.params[t]) for t in terms],
            "std_error": [float(res.bse[t]) for t in terms],
            "statistic": [float(res.tvalues[t]) for t in terms],
            "p_value": [float(res.pvalues[t]) for t in terms],
            "conf_low": [float(ci.loc[t, 0]) for t in terms],
            "conf_high": [float(ci.loc[t, 1]) for t in terms],
        }
    )
