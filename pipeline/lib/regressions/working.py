"""A fitted model as its final weighted least-squares step, and cluster-robust covariances.

Every estimator here (OLS/WLS, logit, fractional logit, Poisson, with fixed effects absorbed or
as dummies) is, at its estimate, a weighted least-squares problem in working units: weights
ω_i and residuals e_i with score_i = ω_i x̃_i e_i, where x̃ are the regressors demeaned (with
weights ω) by the fixed effects; a model without fixed effects keeps its intercept as a term
(and x̃ = x). For the
canonical links used here the bread is (X̃'ΩX̃)⁻¹. The cluster bootstrap (:mod:`.bootstrap`),
the average marginal effects (:mod:`.effects`) and the fixed-effects fractional logit
(:mod:`.feglm`) are built on this one representation.

References
----------
McCullagh, P. & Nelder, J. A. (1989). Generalized Linear Models, 2nd ed., ch. 2.5 (IRLS).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from pipeline.lib.regressions.labels import INTERCEPT
from pipeline.lib.regressions.specs import ModelSpec
from pipeline.lib.regressions.validate import demean

MEAN = {"identity": lambda eta: eta, "logit": lambda eta: 1 / (1 + np.exp(-eta)),
        "log": np.exp}
LINK = {"identity": lambda mu: mu, "logit": lambda mu: np.log(mu / (1 - mu)), "log": np.log}


def working_parts(link: str, y: np.ndarray, mu: np.ndarray, w: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Working weights ω and residuals e of a canonical-link GLM (prior weights ``w``)."""
    if link == "identity":
        return w, y - mu
    var = mu * (1 - mu) if link == "logit" else mu
    var = np.maximum(var, 1e-300)
    return w * var, (y - mu) / var


def work_terms(spec: ModelSpec) -> tuple[str, ...]:
    """Coefficients of the working form: the regressors, led by the intercept without FE."""
    return spec.regressors if spec.fixed_effects else (INTERCEPT, *spec.regressors)


@dataclass
class Working:
    """The final weighted least-squares step of a fitted model (see the module docstring)."""

    terms: tuple[str, ...]
    x: np.ndarray
    beta: np.ndarray
    eta: np.ndarray
    omega: np.ndarray
    resid: np.ndarray
    frame: pl.DataFrame
    fe: tuple[str, ...]
    link: str
    n_params: int

    @classmethod
    def from_fit(cls, spec: ModelSpec, df: pl.DataFrame, beta: np.ndarray, mu: np.ndarray,
                 n_params: int) -> Working:
        """Build from the estimation frame, the coefficients of :func:`work_terms` and the
        fitted means (which carry the fixed effects and any offset)."""
        y = df[spec.dependent].to_numpy().astype(float)
        w = df[spec.weights].to_numpy().astype(float) if spec.weights else np.ones(len(y))
        mu = np.asarray(mu, dtype=float)
        eta = LINK[spec.link](mu)
        omega, resid = working_parts(spec.link, y, mu, w)
        x = df.select(spec.regressors).to_numpy().astype(float)
        if not spec.fixed_effects:
            x = np.column_stack([np.ones(len(y)), x])
        return cls(terms=work_terms(spec), x=x, beta=np.asarray(beta, dtype=float), eta=eta,
                   omega=omega, resid=resid, frame=df, fe=spec.fe_columns, link=spec.link,
                   n_params=n_params)

    def xt(self) -> np.ndarray:
        """Regressors demeaned by the fixed effects with weights ω (as is without them)."""
        return demean(self.x, self.frame, self.fe, self.omega) if self.fe else self.x

    def bread(self, xt: np.ndarray | None = None) -> np.ndarray:
        xt = self.xt() if xt is None else xt
        return np.linalg.inv(xt.T @ (self.omega[:, None] * xt))

    def scores(self, xt: np.ndarray | None = None) -> np.ndarray:
        xt = self.xt() if xt is None else xt
        return xt * (self.omega * self.resid)[:, None]
