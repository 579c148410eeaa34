"""Seeded synthetic alliance panels shaped like the real one, for the regression tests.

About 150 junior allies, each tied to one of a few seniors, observed for 40 years; a status
regressor x with a junior effect, a 0/1 shared-threat moderator z, n roll calls per year, and
an outcome share built from dyad and senior × year effects plus a junior-level shock (so that
errors are correlated within junior, the clustering unit).
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.special import expit

from pipeline.lib.regressions import ModelSpec

TRUE = {"x": 0.2, "z": 0.1, "x:z": 0.3}
LABELS = {"y": "Share", "x": "Status deficit", "z": "Shared threat", "n": "Roll calls"}


def panel(seed: int, juniors: int = 150, seniors: int = 4, years: int = 40,
          fractional: bool = False, beta: dict[str, float] | None = None) -> pl.DataFrame:
    """One panel; ``fractional`` draws y as a binomial share of n (logit link), otherwise y is
    linear with noise variance 4/n (so weighting by n is efficient)."""
    b = {**TRUE, **(beta or {})}
    rng = np.random.default_rng(seed)
    jun = np.repeat(np.arange(juniors), years)
    year = np.tile(np.arange(years), juniors)
    senior = rng.integers(0, seniors, juniors)[jun]
    alpha = rng.normal(size=juniors)[jun]
    cell = rng.normal(size=(seniors, years))[senior, year]
    x = 0.5 * alpha + rng.normal(size=jun.size)
    z = (rng.random(jun.size) < 0.3).astype(float)
    n = rng.integers(3, 60, jun.size)
    shock = 0.3 * rng.normal(size=juniors)[jun]
    eta = b["x"] * x + b["z"] * z + b["x:z"] * x * z + 0.5 * alpha + 0.5 * cell
    if fractional:
        y = rng.binomial(n, expit(-1 + eta + shock)) / n
    else:
        y = eta + shock + 2 * rng.normal(size=jun.size) / np.sqrt(n)
    return pl.DataFrame({"junior": jun + 100, "senior": senior + 2, "year": year + 1970,
                         "x": x, "z": z, "n": n, "y": y})


def claim_spec(**kw) -> ModelSpec:
    """The claim's design on a simulated panel: weighted share, x × z, dyad and senior × year
    effects, clustered by junior."""
    base = {"name": "sim", "title": "Simulated claim test", "short": "sim",
            "panel": "derived.alliance_panel", "dependent": "y", "explanatory": ("x", "z"),
            "interactions": (("x", "z"),), "key": "x:z", "estimator": "fe_ols", "weights": "n",
            "fixed_effects": ("dyad", "senior^year"), "cluster": ("junior",), "labels": LABELS}
    return ModelSpec(**{**base, **kw})
