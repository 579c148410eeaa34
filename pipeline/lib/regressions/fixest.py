"""Fixed-effects estimators with pyfixest (feols, fepois) and the linearmodels cross-check.

pyfixest's CRV1 covariance uses ``c = G/(G-1) * (N-1)/(N-K)`` and t with G-1 degrees of
freedom. With ``k_fixef="nonnested"`` (default), a fixed effect nested in the cluster variable
adds one parameter (as an intercept would), not its number of levels: a dyad FE clustered by
dyad gives K = #coefficients + 1 (verified in tests/test_lib_regressions_fit.py). Two-way
clustering (``"junior+senior"``) scales every term by min(G)/(min(G)-1). ``weights`` make
``feols`` weighted least squares; products such as ``senior^year`` arrive as built columns.
"""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
from scipy.special import gammaln

from pipeline.lib.regressions.errors import ModelError
from pipeline.lib.regressions.frames import OFFSET
from pipeline.lib.regressions.specs import ModelSpec
from pipeline.lib.regressions.validate import check, n_parameters


def formula(spec: ModelSpec) -> str:
    return f"{spec.dependent} ~ {' + '.join(spec.regressors)} | {' + '.join(spec.fe_columns)}"


def vcov_arg(spec: ModelSpec) -> dict | str:
    return {"CRV1": "+".join(spec.cluster)} if spec.cluster else "hetero"


def fit_fixest(spec: ModelSpec, df: pl.DataFrame):
    """Fit an ``fe_ols`` or ``fe_poisson`` spec with pyfixest (singletons dropped).

    References
    ----------
    Bergé, L. (2018). Efficient estimation of maximum likelihood models with multiple
    fixed-effects: the R package FENmlm. CREA Discussion Papers 13.
    Santos Silva, J. M. C. & Tenreyro, S. (2006). The log of gravity. Review of Economics and
    Statistics 88(4): 641-658. doi:10.1162/rest.88.4.641
    """
    import pyfixest as pf

    vcov = vcov_arg(spec)
    # LSMR (pyfixest's "within" backend) instead of the default alternating projections: on
    # dyad and senior × year effects it is ~40x faster and converges tighter (measured)
    demeaner = pf.LsmrDemeaner(fixef_atol=1e-10, fixef_btol=1e-10)
    cols = [spec.dependent, *spec.explanatory, *spec.controls, *spec.time_terms,
            *spec.fe_columns, *spec.cluster, spec.weights, OFFSET if spec.exposure else None]
    pdf = df.select(list(dict.fromkeys(c for c in cols if c))).to_pandas()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if spec.estimator == "fe_ols":
                fit = pf.feols(formula(spec), data=pdf, vcov=vcov, weights=spec.weights,
                               demeaner=demeaner)
            else:
                fit = pf.fepois(formula(spec), data=pdf, vcov=vcov, demeaner=demeaner,
                                offset=OFFSET if spec.exposure else None)
        except (ValueError, RuntimeError, np.linalg.LinAlgError) as err:
            raise ModelError(spec.name, f"pyfixest failed: {str(err).strip()[:200]}") from err
    dropped = [t for t in spec.regressors if t not in fit.coef().index]
    if dropped:
        raise ModelError(spec.name, f"{dropped} absorbed by the fixed effects (collinear)")
    if not np.all(np.isfinite(fit.se().to_numpy())):
        raise ModelError(spec.name, "non-finite standard errors")
    if int(fit._N) != df.height:
        raise ModelError(spec.name, f"pyfixest kept {fit._N} of {df.height} checked rows")
    return fit


def fitted_mean(fit) -> np.ndarray:
    """Fitted E[y] (with the fixed effects and any offset)."""
    return np.asarray(fit._Y_hat_response, dtype=float).ravel()


def fixest_table(fit) -> pl.DataFrame:
    t = fit.tidy().reset_index()
    return pl.DataFrame(
        {
            "term": t["Coefficient"].astype(str).tolist(),
            "estimate": t["Estimate"].astype(float).tolist(),
            "std_error": t["Std. Error"].astype(float).tolist(),
            "statistic": t["t value"].astype(float).tolist(),
            "p_value": t["Pr(>|t|)"].astype(float).tolist(),
            "conf_low": t["2.5%"].astype(float).tolist(),
            "conf_high": t["97.5%"].astype(float).tolist(),
        }
    )


def fixest_stats(spec: ModelSpec, fit, df: pl.DataFrame) -> dict:
    """nobs, R² and within R², log-likelihood and AIC/BIC counting absorbed FE levels.

    The log-likelihood is computed from the real outcome of the estimation rows (pyfixest's
    ``_Y`` holds the demeaned, transformed response): Gaussian at the ML variance for
    ``fe_ols`` (with weights, as statsmodels' WLS), Poisson for ``fe_poisson``.
    """
    y = df[spec.dependent].to_numpy().astype(float)
    mu = fitted_mean(fit)
    n = len(y)
    k = n_parameters(spec, df) - len(spec.regressors) + len(fit.coef())
    if spec.estimator == "fe_ols":
        w = df[spec.weights].to_numpy().astype(float) if spec.weights else np.ones(n)
        rss = float(np.sum(w * (y - mu) ** 2))
        loglik = -n / 2 * (np.log(2 * np.pi * rss / n) + 1) + 0.5 * np.sum(np.log(w))
        stats = {"r2": float(fit._r2), "r2_within": float(fit._r2_within)}
    else:
        loglik = float(np.sum(y * np.log(np.where(mu > 0, mu, 1)) - mu - gammaln(y + 1)))
        stats = {"deviance": float(np.asarray(fit.deviance).ravel()[0])}
    return {
        "nobs": n,
        "loglik": float(loglik),
        "aic": float(-2 * loglik + 2 * k),
        "bic": float(-2 * loglik + np.log(n) * k),
        **stats,
    }


def panelols_crosscheck(spec: ModelSpec, df: pl.DataFrame) -> pl.DataFrame:
    """Re-estimate an ``fe_ols`` spec with linearmodels ``PanelOLS`` and compare coefficients.

    The first fixed effect is the entity, the second (if any) the time effect; SEs are
    clustered by entity. Returns term, pyfixest, linearmodels and abs_diff columns.

    References
    ----------
    Sheppard, K. et al. linearmodels: PanelOLS. https://bashtage.github.io/linearmodels/
    """
    from linearmodels.panel import PanelOLS

    if spec.estimator != "fe_ols" or len(spec.fixed_effects) > 2 or spec.weights:
        raise ModelError(spec.name, "cross-check needs fe_ols with one or two fixed effects")
    df = check(spec, df)  # both estimators on the rows left after singletons are dropped
    fit = fit_fixest(spec, df)
    entity, *rest = spec.fe_columns
    time = rest[0] if rest else "_t"
    pdf = df.with_columns(pl.int_range(pl.len()).alias("_t") if not rest else []).to_pandas()
    pdf = pdf.set_index([entity, time])
    mod = PanelOLS(
        pdf[spec.dependent],
        pdf[list(spec.regressors)],
        entity_effects=True,
        time_effects=bool(rest),
        drop_absorbed=True,
    )
    lm = mod.fit(cov_type="clustered", cluster_entity=True)
    terms = list(spec.regressors)
    a = fit.coef()[terms].to_numpy()
    b = lm.params[terms].to_numpy()
    return pl.DataFrame(
        {
            "term": terms,
            "pyfixest": a,
            "linearmodels": b,
            "abs_diff": np.abs(a - b),
            "se_pyfixest": fit.se()[terms].to_numpy(),
            "se_linearmodels": lm.std_errors[terms].to_numpy(),
        }
    )
