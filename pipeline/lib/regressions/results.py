"""``fit(spec, frame) -> FitResult`` and the tidy tables (METHODS §8)."""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
from dataclasses import dataclass, field

import pandas as pd
import polars as pl

from pipeline.lib.regressions import fixest, sm_fit, validate
from pipeline.lib.regressions.errors import ModelError
from pipeline.lib.regressions.frames import load_frame, prepare
from pipeline.lib.regressions.specs import ModelSpec

WILD_CLUSTER_THRESHOLD = 42  # wild bootstrap p-values when clusters < 42 (METHODS §7)
WILD_SEED = 20_240_601  # documented seed for every wild cluster bootstrap
COEF_SCHEMA = {
    "model": pl.Utf8,
    "term": pl.Utf8,
    "label": pl.Utf8,
    "estimate": pl.Float64,
    "std_error": pl.Float64,
    "statistic": pl.Float64,
    "p_value": pl.Float64,
    "conf_low": pl.Float64,
    "conf_high": pl.Float64,
    "p_value_wild": pl.Float64,
}
TIME_LABELS = {"t_since": "Years since last defiance (t)", "t_since2": "t²", "t_since3": "t³"}


@dataclass
class FitResult:
    """Tidy output of one fitted model: coefficients (polars), fit statistics, and the spec."""

    spec: ModelSpec
    coefficients: pl.DataFrame
    stats: dict = field(default_factory=dict)


def _se_type(spec: ModelSpec, n_clusters: int | None, wild_reps: int | None) -> str:
    text = (
        f"Clustered by {spec.cluster} (k = {n_clusters})"
        if spec.cluster
        else "Heteroskedasticity-robust (HC1)"
    )
    if wild_reps:
        text += f"; wild cluster bootstrap p, B = {wild_reps:,} (Rademacher, seed {WILD_SEED})"
    return text


def _fit_checked(spec: ModelSpec, df: pl.DataFrame) -> FitResult:
    n_clusters = df[spec.cluster].n_unique() if spec.cluster else None
    use_wild = (
        spec.cluster is not None
        and n_clusters < WILD_CLUSTER_THRESHOLD
        and spec.estimator in ("ols", "fe_ols")
    )
    wild: dict[str, float] = {}
    if spec.estimator.startswith("fe_"):
        res = fixest.fit_fixest(spec, df)
        table, stats = fixest.fixest_table(res), fixest.fixest_stats(spec, res, df)
        if spec.cluster:
            n_clusters = int(res._G[0])
        if use_wild:
            wild = fixest.wild_pvalues_fixest(spec, res, WILD_SEED, spec.bootstrap_reps)
    else:
        res, x, y = sm_fit.fit_statsmodels(spec, df)
        table, stats = sm_fit.statsmodels_table(spec, res), sm_fit.statsmodels_stats(spec, res)
        if use_wild:
            groups = pd.factorize(df[spec.cluster].to_pandas())[0]
            wild = sm_fit.wild_pvalues_ols(spec, x, y, groups, WILD_SEED, spec.bootstrap_reps)
    labels = {**TIME_LABELS, **spec.labels}
    coefs = (
        table.with_columns(
            pl.lit(spec.name).alias("model"),
            pl.col("term").replace_strict(labels, default=pl.col("term")).alias("label"),
            pl.col("term")
            .replace_strict(wild, default=None, return_dtype=pl.Float64)
            .alias("p_value_wild"),
        )
        .select(list(COEF_SCHEMA))
        .cast(COEF_SCHEMA)
    )
    stats.update(
        {
            "n_clusters": n_clusters,
            "se_type": _se_type(spec, n_clusters, spec.bootstrap_reps if use_wild else None),
            "fixed_effects": list(spec.fixed_effects),
            "estimator": spec.estimator,
            "dependent": spec.dependent,
            "sample": spec.sample.describe(),
        }
    )
    return FitResult(spec=spec, coefficients=coefs, stats=stats)


def fit(spec: ModelSpec, frame: pl.DataFrame, isolate: bool = False) -> FitResult:
    """Estimate ``spec`` on a panel frame (as read by :func:`load_frame`).

    Parameters
    ----------
    spec : ModelSpec
    frame : pl.DataFrame
        The panel columns the spec needs; lags, sample filter and derived terms are built here.
    isolate : bool
        Run the estimator in a fresh process, so that a native abort becomes a
        :class:`ModelError`. Measured: ~10 s per FE model (spawn, imports and pyfixest's numba
        JIT each time) against ~20 ms in-process after a one-off ~3 s JIT, so the default is
        in-process and relies on :func:`validate.check` to reject what would abort pyfixest.

    Raises
    ------
    ModelError
        Degenerate model: no observations, constant outcome, singleton-only fixed effects,
        separation, collinearity, too few observations, non-convergence.
    """
    df = validate.check(spec, prepare(spec, frame))
    if not isolate:
        return _fit_checked(spec, df)
    return run_isolated(_fit_checked, spec, df, name=spec.name)


def run_isolated(fn, *args, name: str):
    """Call ``fn(*args)`` in a spawned process; a crashed worker raises :class:`ModelError`."""
    with cf.ProcessPoolExecutor(max_workers=1, mp_context=mp.get_context("spawn")) as pool:
        try:
            return pool.submit(fn, *args).result()
        except cf.process.BrokenProcessPool as err:
            raise ModelError(name, "estimator process aborted") from err


def run_specs(specs: list[ModelSpec], con) -> tuple[list[FitResult], dict[str, str]]:
    """Load, prepare and fit every spec; returns the fits and {model: reason} for skipped ones."""
    fits, skipped = [], {}
    for spec in specs:
        try:
            fits.append(fit(spec, load_frame(spec, con)))
        except ModelError as err:
            skipped[spec.name] = err.reason
    return fits, skipped


def tidy_all(results: list[FitResult]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Stack coefficients, and fit statistics in long form (model, stat, value as text)."""
    coefs = (
        pl.concat([r.coefficients for r in results])
        if results
        else pl.DataFrame(schema=COEF_SCHEMA)
    )
    rows = [
        {
            "model": r.spec.name,
            "stat": k,
            "value": ", ".join(v) if isinstance(v, list) else ("" if v is None else str(v)),
        }
        for r in results
        for k, v in r.stats.items()
    ]
    stats = pl.DataFrame(rows, schema={"model": pl.Utf8, "stat": pl.Utf8, "value": pl.Utf8})
    return coefs, stats
