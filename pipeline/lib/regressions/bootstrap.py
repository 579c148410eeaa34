"""Cluster multiplier (wild score) bootstrap of a key coefficient, shared across models.

For a model in its working form (:class:`.working.Working`), the key coefficient is linear in
the working residuals: β̂ - β ≈ Σ_g ψ_g with ψ_g = Σ_{i∈g} q_i e_i, q_i = ω_i a'x̃_i, a the key
column of (X̃'ΩX̃)⁻¹. A bootstrap replicate multiplies the residuals of cluster g by v_g
(Rademacher): the coefficient moves by Σ_g v_g ψ_g, exactly what the unrestricted wild cluster
bootstrap (WCU) gives for a linear model and the score bootstrap gives for a GLM (Kline & Santos
2012). Each replicate is studentised with its own CR1 standard error, computed from the
re-projected residuals M(e∘v): cluster h's score in replicate v is Σ_g v_g K_hg with
K_hg = Σ_{i∈h} q_i [M(e∘1_g)]_i, so B replicates cost one G × G matrix product (Roodman et al.
2019). Models with different samples share the draws through their cluster labels.

References
----------
Kline, P. & Santos, A. (2012). A score based approach to wild bootstrap inference. Journal of
Econometric Methods 1(1): 23-41. doi:10.1515/2156-6674.1006
Roodman, D., MacKinnon, J. G., Nielsen, M. Ø. & Webb, M. D. (2019). Fast and wild: bootstrap
inference in Stata using boottest. Stata Journal 19(1): 4-60. doi:10.1177/1536867X19830877
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from pipeline.lib.regressions.inference import cluster_codes, cluster_sums
from pipeline.lib.regressions.validate import demean
from pipeline.lib.regressions.working import Working

MAX_CELLS = 20_000_000  # n × G above this: replicate SEs held at the sample SE (memory)
BOOT_SCHEMA = {"model": pl.Utf8, "term": pl.Utf8, "cluster": pl.Utf8, "psi": pl.Float64,
               "k_row": pl.List(pl.Float64), "c": pl.Float64, "estimate": pl.Float64}


@dataclass
class BootInput:
    """One model's key term, ready for a shared multiplier bootstrap."""

    clusters: np.ndarray  # cluster labels (text), one per cluster
    psi: np.ndarray  # (G,) cluster influence sums of the key coefficient
    k: np.ndarray | None  # (G, G) replicate-score matrix; None: SE held fixed
    c: float  # CR1 factor G/(G-1)·(N-1)/(N-K)
    estimate: float

    @property
    def se(self) -> float:
        return float(np.sqrt(self.c * np.sum(self.psi**2)))

    @property
    def t(self) -> float:
        return self.estimate / self.se

    def t_star(self, v: np.ndarray) -> np.ndarray:
        """Bootstrap t-statistics (β* - β̂)/se* for multipliers ``v`` (B × G, own clusters)."""
        num = v @ self.psi
        if self.k is None:
            return num / self.se
        den = np.sqrt(self.c * np.sum((v @ self.k.T) ** 2, axis=1))
        return num / np.maximum(den, 1e-300)

    def to_frame(self, model: str, term: str) -> pl.DataFrame:
        """Long form for the warehouse: one row per cluster, K's row as a list."""
        rows = self.k if self.k is not None else [None] * len(self.psi)
        return pl.DataFrame({
            "model": model, "term": term, "cluster": self.clusters.astype(str),
            "psi": self.psi, "k_row": [None if r is None else list(r) for r in rows],
            "c": self.c, "estimate": self.estimate}, schema=BOOT_SCHEMA)

    @staticmethod
    def empty_frame() -> pl.DataFrame:
        return pl.DataFrame(schema=BOOT_SCHEMA)

    @classmethod
    def from_frame(cls, df: pl.DataFrame) -> BootInput:
        k = None if df["k_row"].null_count() else np.vstack(df["k_row"].to_list())
        return cls(clusters=df["cluster"].to_numpy(), psi=df["psi"].to_numpy(), k=k,
                   c=float(df["c"][0]), estimate=float(df["estimate"][0]))


def boot_input(work: Working, term: str, cluster: str, k_params: int) -> BootInput:
    """The key term ``term`` of a working model, clustered by ``cluster``."""
    xt = work.xt()
    a = work.bread(xt)[:, work.terms.index(term)]
    q = work.omega * (xt @ a)
    codes = cluster_codes(work.frame, cluster)
    g, n = int(codes.max()) + 1, len(codes)
    psi = np.bincount(codes, weights=q * work.resid, minlength=g)
    labels = np.empty(g, dtype=object)
    labels[codes] = work.frame[cluster].cast(pl.Utf8).to_numpy()
    c = g / (g - 1) * (n - 1) / (n - k_params)
    kmat = None
    if n * g <= MAX_CELLS:
        e = np.zeros((n, g))
        e[np.arange(n), codes] = work.resid
        et = demean(e, work.frame, work.fe, work.omega) if work.fe else e
        me = et - xt @ (work.bread(xt) @ (xt.T @ (work.omega[:, None] * et)))
        kmat = cluster_sums(q[:, None] * me, codes)
    return BootInput(clusters=labels.astype(str), psi=psi, k=kmat, c=c,
                     estimate=float(work.beta[work.terms.index(term)]))


def multipliers(labels: list[str], reps: int, seed: int) -> np.ndarray:
    """Rademacher weights, one column per cluster label (sorted), reproducible by seed."""
    rng = np.random.default_rng(seed)
    return rng.choice(np.array([-1.0, 1.0]), size=(reps, len(labels)))


def stepdown(t: np.ndarray, t_star: np.ndarray) -> np.ndarray:
    """Romano-Wolf step-down adjusted p-values from |t| (S,) and bootstrap |t*| (B × S).

    Hypotheses are ordered by |t|; the s-th is compared with the bootstrap maximum over itself
    and the less significant ones, p = (1 + #{max* ≥ |t|})/(B + 1), and monotonicity is
    enforced (Romano & Wolf 2005, Algorithm 4.1; Clarke, Romano & Wolf 2020).
    """
    t, t_star = np.abs(t), np.abs(t_star)
    order = np.argsort(-t)
    tail_max = np.maximum.accumulate(t_star[:, order[::-1]], axis=1)[:, ::-1]
    p = (1 + (tail_max >= t[order]).sum(axis=0)) / (t_star.shape[0] + 1)
    out = np.empty_like(p)
    out[order] = np.maximum.accumulate(np.minimum(p, 1.0))
    return out


def romano_wolf(inputs: dict[str, BootInput], reps: int, seed: int) -> pl.DataFrame:
    """Bootstrap and Romano-Wolf adjusted p-values of a family of key terms.

    Every model sees the same multiplier for the same cluster label (e.g. the same junior
    ally), so the dependence between the models' estimates is kept whatever their samples.

    References
    ----------
    Romano, J. P. & Wolf, M. (2005). Stepwise multiple testing as formalized data snooping.
    Econometrica 73(4): 1237-1282. doi:10.1111/j.1468-0262.2005.00615.x
    Clarke, D., Romano, J. P. & Wolf, M. (2020). The Romano-Wolf multiple-hypothesis
    correction in Stata. Stata Journal 20(4): 812-843. doi:10.1177/1536867X20976314
    """
    models = list(inputs)
    labels = sorted(set().union(*(set(inputs[m].clusters) for m in models)))
    column = {lab: i for i, lab in enumerate(labels)}
    v = multipliers(labels, reps, seed)
    t = np.array([inputs[m].t for m in models])
    t_star = np.column_stack([
        inputs[m].t_star(v[:, [column[c] for c in inputs[m].clusters]]) for m in models])
    p_boot = (1 + (np.abs(t_star) >= np.abs(t)).sum(axis=0)) / (reps + 1)
    return pl.DataFrame({"model": models, "t_boot": t, "p_value_boot": p_boot,
                         "p_value_rw": stepdown(t, t_star)})
