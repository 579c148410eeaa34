"""Pre-fit checks that turn degenerate data into :class:`ModelError` instead of a crash.

pyfixest 0.60 aborts the interpreter (a Rust ``Option::unwrap()`` panic) when singleton removal
or Poisson separation leaves no observations, so these conditions are detected here first.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pipeline.lib.regressions.errors import ModelError
from pipeline.lib.regressions.specs import COUNT_ESTIMATORS, ModelSpec


def drop_singletons(df: pl.DataFrame, fes: tuple[str, ...], y: str | None = None) -> pl.DataFrame:
    """Iteratively drop rows in fixed-effect groups of size one (and, if ``y`` is given, groups
    whose outcome is zero throughout, which Poisson PML cannot identify).

    References
    ----------
    Correia, S. (2015). Singletons, cluster-robust standard errors and fixed effects: a bad mix.
    Correia, S., Guimarães, P. & Zylkin, T. (2021). Verifying the existence of maximum
    likelihood estimates for generalized linear models. arXiv:1903.01633.
    """
    while True:
        keep = pl.lit(True)
        for fe in fes:
            keep &= pl.len().over(fe) > 1
            if y is not None:
                keep &= pl.col(y).sum().over(fe) > 0
        new = df.filter(keep)
        if new.height == df.height:
            return new
        df = new


def n_parameters(spec: ModelSpec, df: pl.DataFrame) -> int:
    """Coefficients plus fixed-effect levels (minus one per extra FE dimension) plus intercept."""
    levels = sum(df[fe].n_unique() for fe in spec.fixed_effects)
    absorbed = levels - max(len(spec.fixed_effects) - 1, 0)
    return len(spec.regressors) + (absorbed if spec.fixed_effects else 1)


def check(spec: ModelSpec, df: pl.DataFrame) -> pl.DataFrame:
    """Raise :class:`ModelError` for an unestimable model; return the frame the fit will use.

    Reasons: no observations; constant outcome; negative counts; all fixed-effect groups
    singletons; zero outcome in every fixed-effect group (Poisson separation); constant or
    collinear regressors; too few observations for the parameters; fewer than two clusters.
    """
    name, y = spec.name, spec.dependent
    if df.height == 0:
        raise ModelError(name, "no observations after filtering and NULLs")
    if df[y].n_unique() == 1:
        raise ModelError(name, f"constant outcome ({y} = {df[y][0]} in all {df.height} rows)")
    if spec.estimator in COUNT_ESTIMATORS and (df[y] < 0).any():
        raise ModelError(name, f"negative values in count outcome {y}")
    if spec.estimator == "logit" and not df[y].cast(pl.Float64).is_in([0.0, 1.0]).all():
        raise ModelError(name, f"logit outcome {y} is not 0/1")
    for x in spec.regressors:
        if df[x].n_unique() == 1:
            raise ModelError(name, f"constant regressor {x}")
    if spec.estimator.startswith("fe_"):
        pois_y = y if spec.estimator == "fe_poisson" else None
        kept = drop_singletons(df.select(*spec.fixed_effects, y), spec.fixed_effects)
        if kept.height == 0:
            raise ModelError(name, "all fixed-effect groups are singletons")
        kept = drop_singletons(df, spec.fixed_effects, pois_y)
        if kept.height == 0:
            raise ModelError(name, "outcome is zero in every fixed-effect group (separation)")
        if kept[y].n_unique() == 1:
            raise ModelError(name, "constant outcome after dropping singleton/separated groups")
        df = kept
    k = n_parameters(spec, df)
    if df.height <= k:
        raise ModelError(name, f"too few observations (n = {df.height}, parameters = {k})")
    if spec.cluster and df[spec.cluster].n_unique() < 2:
        raise ModelError(name, f"fewer than two clusters of {spec.cluster}")
    if not spec.fixed_effects:
        x = df.select(spec.regressors).to_numpy().astype(float)
        x = np.column_stack([np.ones(len(x)), x])
        if np.linalg.matrix_rank(x) < x.shape[1]:
            raise ModelError(name, "collinear regressors (design matrix not of full rank)")
    return df
