"""Effects in common units for the specification curve: SDs of Y per SD of X.

A linear model's coefficient, a logit's log-odds and a Poisson model's log-rate cannot share an
axis. Each key term is therefore converted to the change in E[Y], in standard deviations of Y,
for a one-SD increase of X (both SDs over the estimation sample):

- a main effect x: the average marginal effect AME = mean_i ∂E[y_i]/∂x_i (for a linear model
  the coefficient). When x is interacted, its coefficient is its effect where the moderators
  are 0, and so is the effect reported: the moderators are set to 0 (code the moderator so that
  0 is the condition the hypothesis is about, e.g. ``no_shared_threat``), so the effect, its
  interval and the coefficient's p-value always speak of the same quantity;
- an interaction x:z (x focal, z moderator): how that effect changes with z, as the average
  of ∂E[y]/∂x at z = 1 minus at z = 0 for a 0/1 moderator, and otherwise the average
  cross-partial ∂²E[y]/∂x∂z times SD(z) (Ai & Norton 2003).

Fixed effects and offsets stay at their fitted values; the standard error is the delta method
with the model's (cluster-robust) covariance of the coefficients.

References
----------
Ai, C. & Norton, E. C. (2003). Interaction terms in logit and probit models. Economics Letters
80(1): 123-129. doi:10.1016/S0165-1765(03)00032-6
Williams, R. (2012). Using the margins command to estimate and interpret adjusted predictions
and marginal effects. Stata Journal 12(2): 308-331. doi:10.1177/1536867X1201200209
"""

from __future__ import annotations

import numpy as np

from pipeline.lib.regressions.specs import ModelSpec
from pipeline.lib.regressions.working import MEAN, Working

Z95 = 1.959963984540054


D1 = {"identity": np.ones_like, "logit": lambda mu: mu * (1 - mu), "log": lambda mu: mu}
D2 = {"identity": np.zeros_like, "logit": lambda mu: mu * (1 - mu) * (1 - 2 * mu),
      "log": lambda mu: mu}


def _columns(spec: ModelSpec, work: Working, values: dict[str, np.ndarray]
             ) -> dict[str, np.ndarray]:
    """Design columns with the variables in ``values`` replaced (interactions recomputed)."""
    cols = {t: work.x[:, i] for i, t in enumerate(work.terms)}
    cols.update(values)
    for a, b in spec.interactions:
        cols[f"{a}:{b}"] = cols[a] * cols[b]
    return cols


def _eta(work: Working, beta: np.ndarray, cols: dict[str, np.ndarray]) -> np.ndarray:
    """Linear predictor at new coefficients/columns; fixed effects and offset as fitted."""
    return work.eta + sum(cols[t] * b - work.x[:, i] * b0
                          for i, (t, b, b0) in enumerate(zip(work.terms, beta, work.beta)))


def _d_eta(spec: ModelSpec, work: Working, beta: np.ndarray, var: str,
           cols: dict[str, np.ndarray]) -> np.ndarray:
    """∂η/∂var: its own coefficient plus each interaction's coefficient times the partner."""
    coef = dict(zip(work.terms, beta))
    out = np.full(len(work.eta), coef[var])
    for a, b in spec.interactions:
        if var in (a, b):
            out = out + coef[f"{a}:{b}"] * cols[b if var == a else a]
    return out


def raw_effect(spec: ModelSpec, work: Working, beta: np.ndarray) -> float:
    """The key term's average effect on E[y] per unit of x (and of z for an interaction)."""
    mean, key = MEAN[work.link], spec.key_term
    if ":" not in key:
        partners = {b if a == key else a for a, b in spec.interactions if key in (a, b)}
        cols = _columns(spec, work, {z: np.zeros(len(work.eta)) for z in partners})
        mu = mean(_eta(work, beta, cols))
        return float(np.mean(D1[work.link](mu) * _d_eta(spec, work, beta, key, cols)))
    x, z = key.split(":")
    zs = work.x[:, work.terms.index(z)]
    if set(np.unique(zs)) <= {0.0, 1.0}:
        slopes = []
        for level in (1.0, 0.0):
            cols = _columns(spec, work, {z: np.full_like(zs, level)})
            mu = mean(_eta(work, beta, cols))
            slopes.append(D1[work.link](mu) * _d_eta(spec, work, beta, x, cols))
        return float(np.mean(slopes[0] - slopes[1]))
    cols = _columns(spec, work, {})
    mu = mean(_eta(work, beta, cols))
    cross = (D2[work.link](mu) * _d_eta(spec, work, beta, x, cols)
             * _d_eta(spec, work, beta, z, cols)
             + D1[work.link](mu) * dict(zip(work.terms, beta))[key])
    return float(np.mean(cross))


def standardized_effect(spec: ModelSpec, work: Working, vcov: np.ndarray
                        ) -> dict[str, float]:
    """Effect of the key term in SDs of Y per SD of X, its delta-method SE and 95% interval.

    ``vcov`` is the covariance of ``work.beta`` (same order as ``work.terms``).
    """
    y_sd = float(np.std(work.frame[spec.dependent].to_numpy().astype(float), ddof=1))
    names = spec.key_term.split(":")
    scale = float(np.std(work.x[:, work.terms.index(names[0])], ddof=1)) / y_sd
    if len(names) == 2:
        zs = work.x[:, work.terms.index(names[1])]
        scale *= 1.0 if set(np.unique(zs)) <= {0.0, 1.0} else float(np.std(zs, ddof=1))
    value = raw_effect(spec, work, work.beta)
    grad = np.zeros(len(work.beta))
    for j in range(len(work.beta)):
        step = 1e-6 * max(1.0, abs(work.beta[j]))
        up, down = work.beta.copy(), work.beta.copy()
        up[j] += step
        down[j] -= step
        grad[j] = (raw_effect(spec, work, up) - raw_effect(spec, work, down)) / (2 * step)
    se = float(np.sqrt(max(grad @ vcov @ grad, 0.0)))
    return {"std_effect": value * scale, "std_effect_se": se * scale,
            "std_effect_low": (value - Z95 * se) * scale,
            "std_effect_high": (value + Z95 * se) * scale}
