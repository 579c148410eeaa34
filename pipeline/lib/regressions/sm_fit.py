"""statsmodels estimators: OLS, logit, Poisson (GLM) and NB2, with cluster-robust SEs.

Cluster-robust covariance is the CR1 sandwich ``c (X'X)^-1 [sum_g X_g' u_g u_g' X_g] (X'X)^-1``
(scores instead of ``X_g' u_g`` and the inverse Hessian instead of ``(X'X)^-1`` for ML models)
with ``c = G/(G-1) * (N-1)/(N-K)`` (statsmodels' default ``use_correction=True``). OLS uses t
with G-1 degrees of freedom; ML models use the normal distribution.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import polars as pl
import statsmodels.api as sm
from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

from pipeline.lib.regressions.errors import ModelError
from pipeline.lib.regressions.frames import OFFSET
from pipeline.lib.regressions.specs import ModelSpec

INTERCEPT = "(Intercept)"


def design(spec: ModelSpec, df: pl.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    """Outcome and design matrix: intercept, regressors and dummies for each fixed effect."""
    pdf = df.to_pandas()
    x = sm.add_constant(pdf[list(spec.regressors)].astype(float), has_constant="add")
    x = x.rename(columns={"const": INTERCEPT})
    for fe in spec.fixed_effects:
        dummies = pd.get_dummies(pdf[fe], prefix=f"fe_{fe}", drop_first=True, dtype=float)
        x = pd.concat([x, dummies], axis=1)
    if np.linalg.matrix_rank(x.to_numpy()) < x.shape[1]:
        raise ModelError(spec.name, "collinear regressors (absorbed by the fixed effects?)")
    return pdf[spec.dependent].astype(float), x


def _cov(spec: ModelSpec, df: pl.DataFrame) -> dict:
    if spec.cluster:
        groups = pd.factorize(df[spec.cluster].to_pandas())[0]
        return {"cov_type": "cluster", "cov_kwds": {"groups": groups}}
    return {"cov_type": "HC1"}


def fit_statsmodels(spec: ModelSpec, df: pl.DataFrame):
    """Fit an ``ols``/``logit``/``poisson``/``negbin`` spec; returns (results, design, outcome).

    Parameters
    ----------
    spec : ModelSpec
    df : pl.DataFrame
        Frame from :func:`frames.prepare`, already passed through :func:`validate.check`.

    References
    ----------
    Cameron, A. C. & Miller, D. L. (2015). A practitioner's guide to cluster-robust inference.
    Journal of Human Resources 50(2): 317-372. doi:10.3368/jhr.50.2.317
    Carter, D. B. & Signorino, C. S. (2010). Back to the future: modeling time dependence in
    binary data. Political Analysis 18(3): 271-292. doi:10.1093/pan/mpq013
    Cameron, A. C. & Trivedi, P. K. (2013). Regression Analysis of Count Data, 2nd ed.
    doi:10.1017/CBO9781139013567
    """
    y, x = design(spec, df)
    offset = df[OFFSET].to_numpy() if spec.exposure else None
    cov = _cov(spec, df)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            if spec.estimator == "ols":
                res = sm.OLS(y, x).fit(**cov, use_t=True)
            elif spec.estimator == "logit":
                res = sm.Logit(y, x).fit(disp=0, maxiter=200, **cov)
            elif spec.estimator == "poisson":
                res = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset).fit(**cov)
            else:
                res = sm.NegativeBinomial(y, x, loglike_method="nb2", offset=offset).fit(
                    disp=0, maxiter=500, method="bfgs", **cov
                )
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


def statsmodels_stats(spec: ModelSpec, res) -> dict:
    """Fit statistics in the METHODS §8 vocabulary."""
    stats = {
        "nobs": int(res.nobs),
        "loglik": float(res.llf),
        "aic": float(res.aic),
        "bic": float(getattr(res, "bic_llf", res.bic)),
    }
    if spec.estimator == "ols":
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


def wild_pvalues_ols(
    spec: ModelSpec, x: pd.DataFrame, y: pd.Series, groups, seed: int, reps: int
) -> dict[str, float]:
    """Wild cluster bootstrap (WCR, Rademacher, null imposed) p-values for the explanatory terms.

    References
    ----------
    Cameron, A. C., Gelbach, J. B. & Miller, D. L. (2008). Bootstrap-based improvements for
    inference with clustered errors. Review of Economics and Statistics 90(3): 414-427.
    doi:10.1162/rest.90.3.414
    """
    from wildboottest.wildboottest import wildboottest

    out = {}
    for term in spec.explanatory:
        table = wildboottest(
            sm.OLS(y, x),
            B=reps,
            cluster=np.asarray(groups),
            param=term,
            seed=seed,
            show=False,
            parallel=False,
        )
        out[term] = float(table["p-value"].iloc[0])
    return out
