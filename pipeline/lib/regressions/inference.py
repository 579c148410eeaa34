"""Cluster-robust covariance (one- and two-way CR1) and coefficient tables from it.

Used where the library does not give the covariance wanted: the fixed-effects fractional logit
(:mod:`.feglm`) and two-way clustering of the statsmodels estimators. The conventions are
pyfixest's (``k_fixef="nonnested"``, ``G_df="min"``), so every estimator here reports the same
kind of standard error.

References
----------
Cameron, A. C., Gelbach, J. B. & Miller, D. L. (2011). Robust inference with multiway
clustering. Journal of Business & Economic Statistics 29(2): 238-249.
doi:10.1198/jbes.2010.07136
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import sparse, stats

from pipeline.lib.regressions.specs import ModelSpec
from pipeline.lib.regressions.working import Working


def cluster_codes(df: pl.DataFrame, column: str) -> np.ndarray:
    """0-based codes of a cluster variable (order of first appearance is irrelevant)."""
    return df[column].rank("dense").cast(pl.Int64).to_numpy() - 1


def cluster_sums(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Rows of ``values`` (n × k) summed within clusters (G × k)."""
    n = len(codes)
    members = sparse.csr_matrix((np.ones(n), (codes, np.arange(n))), shape=(codes.max() + 1, n))
    return np.asarray(members @ values)


def _meat(scores: np.ndarray, codes: np.ndarray) -> np.ndarray:
    sums = cluster_sums(scores, codes)
    return sums.T @ sums


def nested(df: pl.DataFrame, fe: str, cluster: str) -> bool:
    """True when every level of ``fe`` lies within one cluster of ``cluster``."""
    return fe == cluster or df.group_by(fe).agg(pl.col(cluster).n_unique())[cluster].max() == 1


def cr1_k(spec: ModelSpec, df: pl.DataFrame, clusters: tuple[str, ...] | None = None) -> int:
    """K of the CR1 factor (N-1)/(N-K), as pyfixest's ``k_fixef="nonnested"``: coefficients,
    plus fixed-effect levels (one less per extra dimension), a fixed effect nested in a
    cluster variable counting one parameter instead of its levels."""
    k = len(spec.regressors) + (0 if spec.fixed_effects else 1)
    if not spec.fixed_effects:
        return k
    levels = {fe: df[fe].n_unique() for fe in spec.fe_columns}
    clusters = spec.cluster if clusters is None else clusters
    inside = [fe for fe in spec.fe_columns if any(nested(df, fe, c) for c in clusters)]
    k_fe = sum(levels.values()) - (len(levels) - 1)
    return k + k_fe - sum(levels[fe] for fe in inside) + len(inside)


def cluster_vcov(work: Working, clusters: list[str], k: int) -> tuple[np.ndarray, int]:
    """CR1 covariance of the coefficients, one- or two-way clustered, and min(G).

    No cluster variable: every observation its own cluster (HC1, c = N/(N-K)).

    Two-way: V = V₁ + V₂ - V₁₂ (Cameron, Gelbach & Miller 2011), every term scaled by
    G/(G-1)·(N-1)/(N-K) with G the smaller number of clusters (fixest/pyfixest ``G_df="min"``).
    A non-positive-definite two-way result keeps the one-way estimate of the coarser dimension.
    """
    xt = work.xt()
    bread, scores = work.bread(xt), work.scores(xt)
    n = len(work.resid)
    codes = [cluster_codes(work.frame, c) for c in clusters] or [np.arange(n)]
    if len(codes) == 2:
        both = codes[0] * (codes[1].max() + 1) + codes[1]
        meat = _meat(scores, codes[0]) + _meat(scores, codes[1]) - _meat(
            scores, np.unique(both, return_inverse=True)[1])
    else:
        meat = _meat(scores, codes[0])
    g = min(int(c.max()) + 1 for c in codes)
    vcov = g / (g - 1) * (n - 1) / (n - k) * bread @ meat @ bread
    if np.any(np.diag(vcov) <= 0):
        coarse = min(range(len(codes)), key=lambda i: codes[i].max())
        return cluster_vcov(work, [clusters[coarse]], k)
    return vcov, g


def coef_table(terms: list[str], beta: np.ndarray, vcov: np.ndarray,
               df_t: int | None) -> pl.DataFrame:
    """Estimate, SE, statistic, two-sided p and 95% interval; t(df_t), or normal if None."""
    se = np.sqrt(np.diag(vcov))
    stat = beta / se
    dist = stats.t(df_t) if df_t else stats.norm()
    crit = dist.ppf(0.975)
    return pl.DataFrame({"term": terms, "estimate": beta, "std_error": se, "statistic": stat,
                         "p_value": 2 * dist.sf(np.abs(stat)), "conf_low": beta - crit * se,
                         "conf_high": beta + crit * se})
