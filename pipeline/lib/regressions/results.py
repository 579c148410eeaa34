"""``fit(spec, frame) -> FitResult`` and the tidy tables (METHODS §8)."""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
from dataclasses import dataclass, field

import polars as pl

from pipeline.lib.regressions import validate
from pipeline.lib.regressions.bootstrap import BootInput, boot_input
from pipeline.lib.regressions.effects import standardized_effect
from pipeline.lib.regressions.errors import AbsorbedControls, ModelError
from pipeline.lib.regressions.estimate import estimate
from pipeline.lib.regressions.family import RW_REPS, RW_SEED, family_pvalues, with_family_pvalues
from pipeline.lib.regressions.frames import load_frame, prepare
from pipeline.lib.regressions.inference import cr1_k
from pipeline.lib.regressions.labels import describe_sample, fe_name, term_label
from pipeline.lib.regressions.specs import LINEAR_ESTIMATORS, ModelSpec
from pipeline.lib.regressions.wild import WILD_SEED, bootstrap_cluster, uses_wcr, wild_pvalues

COEF_SCHEMA = {
    "model": pl.Utf8, "term": pl.Utf8, "label": pl.Utf8, "is_key": pl.Boolean,
    "estimate": pl.Float64, "std_error": pl.Float64, "statistic": pl.Float64,
    "p_value": pl.Float64, "conf_low": pl.Float64, "conf_high": pl.Float64,
    "p_value_wild": pl.Float64, "std_effect": pl.Float64, "std_effect_low": pl.Float64,
    "std_effect_high": pl.Float64, "robustness_family": pl.Utf8, "p_value_boot": pl.Float64,
    "p_value_rw": pl.Float64,
}
EFFECT_COLUMNS = ("std_effect", "std_effect_low", "std_effect_high")


@dataclass
class FitResult:
    """Tidy output of one fitted model: coefficients (polars), fit statistics, the spec, and
    the key term's bootstrap input when the model belongs to a robustness family."""

    spec: ModelSpec
    coefficients: pl.DataFrame
    stats: dict = field(default_factory=dict)
    boot: BootInput | None = None


def _se_type(spec: ModelSpec, wild_on: str | None, reps: int, wcr: bool) -> str:
    names = [term_label(c, spec.labels).lower() for c in spec.cluster]
    text = {0: "Heteroskedasticity-robust (HC1)", 1: f"Clustered by {names[0] if names else ''}",
            2: f"Two-way clustered by {' and '.join(names)}"}[len(names)]
    if wild_on:
        kind = ("wild cluster bootstrap (WCR, Rademacher)" if wcr else
                "wild cluster bootstrap (WCU, Rademacher)" if spec.estimator in
                LINEAR_ESTIMATORS else "score bootstrap (Kline & Santos 2012, Rademacher)")
        text += (f"; {kind} p-values by {term_label(wild_on, spec.labels).lower()}, "
                 f"B = {reps:,}, seed {WILD_SEED}")
    return text


def _years(df: pl.DataFrame) -> str:
    return f"{df['year'].min()}–{df['year'].max()}" if "year" in df.columns else ""


def _stats(spec: ModelSpec, df: pl.DataFrame, stats: dict, wild_on: str | None) -> dict:
    counts = {c: df[c].n_unique() for c in spec.cluster}
    return {**stats,
            "n_clusters": min(counts.values()) if counts else None,
            **{f"clusters:{term_label(c, spec.labels)}": n for c, n in counts.items()},
            "se_type": _se_type(spec, wild_on, spec.bootstrap_reps,
                                bool(wild_on) and uses_wcr(spec, df, wild_on)),
            "fixed_effects": [fe_name(fe, spec.labels) for fe in spec.fixed_effects],
            "estimator": spec.estimator + ("_weighted" if spec.weights else ""),
            "dependent": term_label(spec.dependent, spec.labels),
            "dependent_variable": spec.dependent,
            "weights": term_label(spec.weights, spec.labels) if spec.weights else None,
            "sample": describe_sample(spec, spec.labels), "years": _years(df),
            "title": spec.title, "short": spec.short, "label": spec.label or spec.short,
            "family": spec.family or term_label(spec.dependent, spec.labels),
            "robustness_family": spec.robustness_family, "primary": spec.primary,
            "key_term": spec.key_term}


def _fit_checked(spec: ModelSpec, df: pl.DataFrame) -> FitResult:
    est = estimate(spec, df)
    wild_on = bootstrap_cluster(spec, df)
    wild = {}
    if wild_on:
        k = cr1_k(spec, df, (wild_on,))
        wild = wild_pvalues(spec, df, est.work, wild_on, k, spec.bootstrap_reps)
    boot = None
    if spec.robustness_family:
        boot = boot_input(est.work, spec.key_term, spec.cluster[0],
                          cr1_k(spec, df, spec.cluster[:1]))
    effect = standardized_effect(spec, est.work, est.vcov)
    key = pl.col("term") == spec.key_term
    coefs = est.table.with_columns(
        pl.lit(spec.name).alias("model"),
        pl.Series("label", [term_label(t, spec.labels) for t in est.table["term"]], pl.Utf8),
        key.alias("is_key"),
        pl.col("term").replace_strict(wild, default=None, return_dtype=pl.Float64)
        .alias("p_value_wild"),
        *(pl.when(key).then(pl.lit(effect[c])).alias(c) for c in EFFECT_COLUMNS),
        pl.lit(spec.robustness_family, pl.Utf8).alias("robustness_family"),
        pl.lit(None, pl.Float64).alias("p_value_boot"),
        pl.lit(None, pl.Float64).alias("p_value_rw"),
    ).select(list(COEF_SCHEMA)).cast(COEF_SCHEMA)
    return FitResult(spec=spec, coefficients=coefs, stats=_stats(spec, df, est.stats, wild_on),
                     boot=boot)


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
    prepared = prepare(spec, frame)
    dropped: list[str] = []
    try:
        df = validate.check(spec, prepared)
    except AbsorbedControls as err:
        # A control the fixed effects absorb carries no information here (fixest drops it too);
        # the hypothesis terms are never dropped, and the fit says which control went.
        dropped = err.terms
        spec = spec.model_copy(update={"controls": tuple(c for c in spec.controls
                                                         if c not in dropped)})
        df = validate.check(spec, prepared)
    result = (_fit_checked(spec, df) if not isolate
              else run_isolated(_fit_checked, spec, df, name=spec.name))
    if dropped:
        result.stats["dropped_controls"] = ", ".join(dropped)
    return result


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


def boot_table(results: list[FitResult]) -> pl.DataFrame:
    """Stacked bootstrap inputs of the family models (see :meth:`BootInput.to_frame`)."""
    frames = [r.boot.to_frame(r.spec.name, r.spec.key_term) for r in results if r.boot]
    return pl.concat(frames) if frames else BootInput.empty_frame()


def tidy_all(results: list[FitResult], families: bool = True, reps: int = RW_REPS,
             seed: int = RW_SEED) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Stack coefficients and fit statistics (long: model, stat, value as text).

    With ``families``, the key terms of each robustness family among ``results`` get
    Romano-Wolf p-values; pass ``False`` when ``results`` hold only part of a family (one
    spec file), and adjust later with :func:`.family.family_pvalues` on all of them.
    """
    coefs = (
        pl.concat([r.coefficients for r in results])
        if results
        else pl.DataFrame(schema=COEF_SCHEMA)
    )
    members = {r.spec.name: r.spec.robustness_family for r in results if r.boot}
    if families and members:
        adjusted = family_pvalues(boot_table(results), members, reps, seed)
        coefs = with_family_pvalues(coefs, adjusted).select(list(COEF_SCHEMA))
    rows = [
        {
            "model": r.spec.name,
            "stat": k,
            "value": "; ".join(v) if isinstance(v, list) else ("" if v is None else str(v)),
        }
        for r in results
        for k, v in r.stats.items()
    ]
    stats = pl.DataFrame(rows, schema={"model": pl.Utf8, "stat": pl.Utf8, "value": pl.Utf8})
    return coefs, stats
