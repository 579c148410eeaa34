"""Estimation: parameter recovery, cross-checks, clustered SEs by hand, degenerate models."""

from __future__ import annotations

import os

import numpy as np
import polars as pl
import pytest

from pipeline.lib.regressions import (
    WILD_SEED,
    ModelError,
    ModelSpec,
    fit,
    panelols_crosscheck,
    prepare,
    tidy_all,
)
from pipeline.lib.regressions.results import run_isolated

PANEL = "derived.alliance_panel"


def _spec(**kw) -> ModelSpec:
    base = {
        "name": "sim",
        "title": "Simulated panel",
        "short": "sim",
        "panel": PANEL,
        "dependent": "y",
        "explanatory": ("x",),
        "estimator": "fe_ols",
        "fixed_effects": ("dyad", "year"),
        "cluster": "dyad",
    }
    return ModelSpec(**{**base, **kw})


def _panel(rng, n_dyads: int = 40, n_years: int = 15, beta: float = 0.5) -> pl.DataFrame:
    """Simulated dyad-year panel: y = beta x + dyad effect + year effect + clustered noise."""
    dyad = np.repeat(np.arange(n_dyads), n_years)
    year = np.tile(np.arange(1990, 1990 + n_years), n_dyads)
    a = rng.normal(size=n_dyads)[dyad]
    g = rng.normal(size=n_years)[year - 1990]
    x = 0.8 * a + rng.normal(size=dyad.size)  # correlated with the dyad effect
    u = 0.5 * rng.normal(size=n_dyads)[dyad] + rng.normal(size=dyad.size)
    return pl.DataFrame(
        {
            "junior": dyad + 100,
            "senior": np.full(dyad.size, 2),
            "year": year,
            "x": x,
            "y": beta * x + a + g + u,
        }
    )


def _coef(result, term: str = "x") -> dict:
    return result.coefficients.filter(pl.col("term") == term).row(0, named=True)


def test_fe_ols_recovers_planted_coefficient():
    """FE-OLS: the 95% CI covers beta in >= 90% of 50 seeded panels; mean error < 0.02."""
    rng = np.random.default_rng(20240601)
    rows = [_coef(fit(_spec(), _panel(rng, n_dyads=45))) for _ in range(50)]
    covered = np.mean([r["conf_low"] <= 0.5 <= r["conf_high"] for r in rows])
    assert covered >= 0.90
    assert abs(np.mean([r["estimate"] for r in rows]) - 0.5) < 0.02


def test_logit_recovers_planted_coefficient():
    """Logit: the 95% CI covers beta in >= 90% of 50 seeded samples; mean error < 0.05."""
    rng = np.random.default_rng(7)
    spec = _spec(estimator="logit", fixed_effects=())
    rows = []
    for _ in range(50):
        df = _panel(rng, n_dyads=60, n_years=20)
        p = 1 / (1 + np.exp(-(-0.5 + 0.8 * df["x"].to_numpy())))
        rows.append(_coef(fit(spec, df.with_columns(y=pl.Series(rng.binomial(1, p)))), "x"))
    covered = np.mean([r["conf_low"] <= 0.8 <= r["conf_high"] for r in rows])
    assert covered >= 0.90
    assert abs(np.mean([r["estimate"] for r in rows]) - 0.8) < 0.05


def test_pyfixest_and_linearmodels_agree():
    """FE-OLS coefficients from pyfixest and linearmodels PanelOLS agree to 1e-6."""
    df = _panel(np.random.default_rng(3), n_dyads=12, n_years=8)
    spec = _spec(controls=("z",))
    df = df.with_columns(z=pl.Series(np.random.default_rng(4).normal(size=df.height)))
    check = panelols_crosscheck(spec, prepare(spec, df))
    assert check["abs_diff"].max() < 1e-6


def _sandwich(x: np.ndarray, u: np.ndarray, g: np.ndarray, k: int) -> np.ndarray:
    n, groups = len(u), np.unique(g)
    bread = np.linalg.inv(x.T @ x)
    meat = sum(np.outer(x[g == c].T @ u[g == c], x[g == c].T @ u[g == c]) for c in groups)
    c = len(groups) / (len(groups) - 1) * (n - 1) / (n - k)
    return np.sqrt(np.diag(c * bread @ meat @ bread))


def test_clustered_se_equals_hand_sandwich():
    """OLS clustered SEs equal the CR1 sandwich with G/(G-1)*(N-1)/(N-K), K = 2."""
    rng = np.random.default_rng(11)
    df = _panel(rng, n_dyads=5, n_years=4)
    res = fit(_spec(estimator="ols", fixed_effects=(), bootstrap_reps=99), df)
    x = np.column_stack([np.ones(df.height), df["x"].to_numpy()])
    y = df["y"].to_numpy()
    u = y - x @ np.linalg.lstsq(x, y, rcond=None)[0]
    se = _sandwich(x, u, df["junior"].to_numpy(), k=2)
    np.testing.assert_allclose(res.coefficients["std_error"].to_numpy(), se, rtol=1e-10)


def test_fe_clustered_se_equals_hand_sandwich():
    """pyfixest CRV1, dyad FE nested in the dyad cluster: K = x plus one for the absorbed FE."""
    df = _panel(np.random.default_rng(12), n_dyads=6, n_years=5)
    res = fit(_spec(fixed_effects=("dyad",), bootstrap_reps=99), df)
    frame = df.with_columns(
        (pl.col(c) - pl.col(c).mean().over("junior")).alias(f"{c}_d") for c in ("x", "y")
    )
    x, y = frame["x_d"].to_numpy()[:, None], frame["y_d"].to_numpy()
    u = y - x @ np.linalg.lstsq(x, y, rcond=None)[0]
    se = _sandwich(x, u, df["junior"].to_numpy(), k=2)
    assert _coef(res)["std_error"] == pytest.approx(se[0], rel=1e-8)


def test_wild_bootstrap_pvalue_with_few_clusters():
    """With fewer than 42 clusters the explanatory term gets a wild bootstrap p-value."""
    df = _panel(np.random.default_rng(5), n_dyads=12, n_years=10)
    res = fit(_spec(bootstrap_reps=999), df)
    row = _coef(res)
    assert row["p_value_wild"] is not None and 0 <= row["p_value_wild"] <= 1
    assert (
        "wild cluster bootstrap" in res.stats["se_type"] and str(WILD_SEED) in res.stats["se_type"]
    )
    ols = fit(_spec(estimator="ols", fixed_effects=(), bootstrap_reps=999), df)
    assert 0 <= _coef(ols)["p_value_wild"] <= 1


def _degenerate(case: str, rng) -> tuple[ModelSpec, pl.DataFrame]:
    df = _panel(rng, n_dyads=10, n_years=6)
    if case == "no observations":
        return _spec(), df.with_columns(x=pl.lit(None, dtype=pl.Float64))
    if case == "constant outcome":
        return _spec(), df.with_columns(y=pl.lit(1.0))
    if case == "singletons":
        return _spec(), df.with_columns(junior=pl.int_range(pl.len()) + 100)
    if case == "separation":
        return (
            _spec(estimator="logit", fixed_effects=()),
            df.with_columns(y=(pl.col("x") > 0).cast(pl.Float64)),
        )
    if case == "zero in every fixed-effect group":
        one = (df["year"].to_numpy() == 1990) & (df["junior"].to_numpy() == 100)
        return _spec(estimator="fe_poisson"), df.with_columns(y=pl.Series(3 * one))
    if case == "too few observations":
        return _spec(estimator="ols", fixed_effects=(), controls=("z",)), df.head(3).with_columns(
            z=pl.Series([0.1, 0.5, 0.2])
        )
    raise AssertionError(case)


@pytest.mark.parametrize(
    "case",
    [
        "no observations",
        "constant outcome",
        "singletons",
        "separation",
        "zero in every fixed-effect group",
        "too few observations",
    ],
)
def test_degenerate_model_raises_model_error(case):
    """Each degenerate model raises ModelError naming the model and the reason."""
    spec, df = _degenerate(case, np.random.default_rng(1))
    with pytest.raises(ModelError) as info:
        fit(spec, df)
    assert info.value.model == "sim"
    assert case.split()[0] in info.value.reason


def test_isolated_abort_becomes_model_error():
    """A worker that aborts the interpreter surfaces as ModelError, not a crash."""
    with pytest.raises(ModelError, match="aborted"):
        run_isolated(os.abort, name="sim")


def test_time_since_counts_years_since_last_event():
    """t is 0 in the first year and after each event, then counts up (Carter & Signorino)."""
    df = pl.DataFrame(
        {
            "junior": [5] * 6,
            "senior": [2] * 6,
            "year": list(range(2000, 2006)),
            "x": [0.1, 0.4, 0.3, 0.2, 0.5, 0.9],
            "y": [0, 1, 0, 0, 1, 0],
        }
    )
    out = prepare(_spec(estimator="logit", fixed_effects=(), time_since="cubic"), df)
    assert out["t_since"].to_list() == [0, 1, 0, 1, 2, 0]
    assert out["t_since3"].to_list() == [0, 1, 0, 1, 8, 0]


def test_lags_skip_gaps_and_tidy_all_is_long():
    """A built lag is NULL across a gap year; tidy_all stacks coefficients and long stats."""
    df = pl.DataFrame(
        {
            "junior": [5] * 4,
            "senior": [2] * 4,
            "year": [2000, 2001, 2003, 2004],
            "v": [1.0, 2.0, 3.0, 4.0],
        }
    )
    spec = _spec(
        dependent="v",
        explanatory=("v_l1",),
        lags=("v",),
        estimator="ols",
        fixed_effects=(),
        cluster=(),
    )
    assert prepare(spec, df)["v_l1"].to_list() == [1.0, 3.0]
    res = fit(_spec(), _panel(np.random.default_rng(2), n_dyads=45))
    coefs, stats = tidy_all([res])
    assert coefs.columns[:3] == ["model", "term", "label"] and "p_value_wild" in coefs.columns
    assert stats.columns == ["model", "stat", "value"]
    assert stats.filter(pl.col("stat") == "se_type")["value"][0] == "Clustered by dyad"
    assert stats.filter(pl.col("stat") == "clusters:Dyad")["value"][0] == "45"
