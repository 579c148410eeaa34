"""Dispatch a checked spec to its estimator; return coefficients, statistics and working form.

``fe_ols``/``fe_poisson``: pyfixest; ``fe_fractional_logit``: :mod:`.feglm`; the others:
statsmodels (fixed effects as dummies). Models with fixed effects report no intercept (it is
absorbed, or a base category). Two-way clustering outside pyfixest, and every standard error
of the fixed-effects fractional logit, come from :func:`.inference.cluster_vcov`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import polars as pl

from pipeline.lib.regressions import feglm, fixest, sm_fit
from pipeline.lib.regressions.inference import cluster_vcov, coef_table, cr1_k
from pipeline.lib.regressions.labels import INTERCEPT
from pipeline.lib.regressions.specs import LINEAR_ESTIMATORS, ModelSpec
from pipeline.lib.regressions.validate import demean, n_parameters
from pipeline.lib.regressions.working import Working, work_terms

PYFIXEST = ("fe_ols", "fe_poisson")


@dataclass
class Estimate:
    """A fitted model: coefficient rows, fit statistics, and its working form."""

    table: pl.DataFrame
    stats: dict
    vcov: np.ndarray  # covariance of work.beta (order of work.terms)
    work: Working


def _within_r2(spec: ModelSpec, df: pl.DataFrame, mu: np.ndarray) -> float:
    """1 - RSS / within-TSS: the share of the outcome's within-FE variation explained."""
    y = df[spec.dependent].to_numpy().astype(float)
    w = df[spec.weights].to_numpy().astype(float) if spec.weights else np.ones(len(y))
    yt = demean(y, df, spec.fe_columns, w)[:, 0]
    return float(1 - np.sum(w * (y - mu) ** 2) / np.sum(w * yt**2))


def _feglm_stats(spec: ModelSpec, df: pl.DataFrame, mu: np.ndarray) -> dict:
    y = df[spec.dependent].to_numpy().astype(float)
    w = df[spec.weights].to_numpy().astype(float) if spec.weights else np.ones(len(y))
    ll, k = feglm.binomial_loglik(y, mu, w), n_parameters(spec, df)
    return {"nobs": len(y), "loglik": ll, "aic": -2 * ll + 2 * k,
            "bic": -2 * ll + np.log(len(y)) * k,
            "deviance": feglm.binomial_deviance(y, mu, w)}


def estimate(spec: ModelSpec, df: pl.DataFrame) -> Estimate:
    """Fit ``spec`` on a frame already passed through :func:`.validate.check`."""
    terms, k = list(work_terms(spec)), cr1_k(spec, df)
    table = None
    if spec.estimator in PYFIXEST:
        res = fixest.fit_fixest(spec, df)
        table, stats = fixest.fixest_table(res), fixest.fixest_stats(spec, res, df)
        coef = res.coef()
        beta = coef[terms].to_numpy()
        vcov = pd.DataFrame(res._vcov, index=coef.index, columns=coef.index).loc[terms, terms]
        vcov, mu = vcov.to_numpy(), fixest.fitted_mean(res)
    elif spec.estimator == "fe_fractional_logit":
        beta, mu = feglm.fit_fe_fractional_logit(spec, df)
        stats, vcov = _feglm_stats(spec, df, mu), None
    else:
        res, _, _ = sm_fit.fit_statsmodels(spec, df)
        table, stats = sm_fit.statsmodels_table(spec, res), sm_fit.statsmodels_stats(spec, res, df)
        beta = res.params[terms].to_numpy()
        vcov = res.cov_params().loc[terms, terms].to_numpy()
        mu = sm_fit.fitted_mean(spec, res)
        if spec.fixed_effects:
            table = table.filter(pl.col("term") != INTERCEPT)
            if spec.estimator == "ols":
                stats["r2_within"] = _within_r2(spec, df, mu)
    work = Working.from_fit(spec, df, beta, mu, k)
    if table is None or (len(spec.cluster) == 2 and spec.estimator not in PYFIXEST):
        vcov, g = cluster_vcov(work, list(spec.cluster), k)
        linear = spec.estimator in LINEAR_ESTIMATORS
        df_t = (g - 1 if spec.cluster else len(work.resid) - k) if linear else None
        table = coef_table(terms, beta, vcov, df_t)
    return Estimate(table=table, stats=stats, vcov=vcov, work=work)
