"""Cluster score bootstrap and Romano-Wolf p-values: against pyfixest, family-wise error on
null data, shared draws across samples, speed; bootstrap p-values when clusters are few."""

from __future__ import annotations

import time

import numpy as np
import polars as pl
import pytest
from simulated import claim_spec, panel

from pipeline.lib.regressions import (
    BootInput,
    ModelSpec,
    fit,
    prepare,
    romano_wolf,
    stepdown,
    tidy_all,
)
from pipeline.lib.regressions.bootstrap import boot_input
from pipeline.lib.regressions.estimate import estimate
from pipeline.lib.regressions.inference import cr1_k
from pipeline.lib.regressions.validate import check
from pipeline.lib.regressions.working import Working


def _family_data(seed: int, clusters: int = 60, years: int = 15) -> pl.DataFrame:
    """Four outcomes sharing a clustered common shock; true slopes 0, 0.03, 0.06, 0.1."""
    rng = np.random.default_rng(seed)
    g = np.repeat(np.arange(clusters), years)
    x = rng.normal(size=g.size) + rng.normal(size=clusters)[g]
    common = rng.normal(size=g.size) + rng.normal(size=clusters)[g]
    cols = {f"y{j}": b * x + 0.7 * common + rng.normal(size=g.size)
            + 0.5 * rng.normal(size=clusters)[g] for j, b in enumerate((0.0, 0.03, 0.06, 0.1))}
    return pl.DataFrame({"junior": g + 100, "senior": 2,
                         "year": np.tile(np.arange(2000, 2000 + years), clusters), "x": x,
                         **cols})


def _spec(j: int) -> ModelSpec:
    return ModelSpec(name=f"m{j}", title="t", short=f"m{j}", panel="derived.alliance_panel",
                     dependent=f"y{j}", explanatory=("x",), estimator="fe_ols",
                     fixed_effects=("year",), cluster="junior", robustness_family="f")


def test_stepdown_equals_pyfixest_algorithm():
    """The step-down adjustment equals pyfixest's on the same t and bootstrap t."""
    from pyfixest.estimation.post_estimation.multcomp import _get_rwolf_pval

    rng = np.random.default_rng(1)
    t, t_star = rng.normal(0, 2, 6), rng.normal(size=(999, 6))
    np.testing.assert_allclose(stepdown(t, t_star), _get_rwolf_pval(t, t_star))


def test_family_pvalues_agree_with_pyfixest_rwolf():
    """On four linear pyfixest models (60 clusters), adjusted p-values agree with
    pyfixest.rwolf (WCR, null imposed) within 0.02 at B = 4,999."""
    import pyfixest as pf

    df = _family_data(7)
    fits = [pf.feols(f"y{j} ~ x | year", data=df.to_pandas(), vcov={"CRV1": "junior"})
            for j in range(4)]
    ref = pf.rwolf(fits, "x", reps=4999, seed=3).T["RW Pr(>|t|)"].to_numpy()
    coefs, _ = tidy_all([fit(_spec(j), df) for j in range(4)], reps=4999, seed=3)
    got = coefs.filter(pl.col("is_key")).sort("model")["p_value_rw"].to_numpy()
    np.testing.assert_allclose(got, ref, atol=0.02)
    assert got[0] < 0.15 and got[1] > 0.5  # the test has power to tell them apart


def _null_inputs(rng, k: int = 5, clusters: int = 50, per: int = 10) -> dict[str, BootInput]:
    """k OLS fits of correlated null outcomes on one regressor, in working form."""
    g = np.repeat(np.arange(clusters), per)
    frame = pl.DataFrame({"junior": g})
    x = np.column_stack([np.ones(g.size), rng.normal(size=g.size) + rng.normal(size=clusters)[g]])
    shock = rng.normal(size=g.size) + rng.normal(size=clusters)[g]
    out = {}
    for j in range(k):
        y = shock + rng.normal(size=g.size) + rng.normal(size=clusters)[g]
        beta = np.linalg.lstsq(x, y, rcond=None)[0]
        work = Working(terms=("(Intercept)", "x"), x=x, beta=beta, eta=x @ beta,
                       omega=np.ones(g.size), resid=y - x @ beta, frame=frame, fe=(),
                       link="identity", n_params=2)
        out[f"m{j}"] = boot_input(work, "x", "junior", 2)
    return out


def test_familywise_error_rate_is_nominal_on_null_data():
    """Over 300 seeded null families of five correlated outcomes, Romano-Wolf rejects at least
    one true null at 5% in about 5% of families; unadjusted tests do so far more often."""
    rng = np.random.default_rng(20240601)
    any_rw, any_raw = [], []
    for i in range(300):
        res = romano_wolf(_null_inputs(rng), reps=399, seed=i)
        any_rw.append((res["p_value_rw"] < 0.05).any())
        any_raw.append((res["p_value_boot"] < 0.05).any())
    assert 0.025 <= np.mean(any_rw) <= 0.085
    assert np.mean(any_raw) > 0.10


def test_models_share_the_draw_of_each_cluster_label():
    """Two models with different samples see the same multiplier for the same junior, so two
    identical statistics are perfectly dependent and the adjustment costs nothing."""
    a = BootInput(clusters=np.array(["1", "2", "3"]), psi=np.array([0.0, 1.0, 0.0]), k=None,
                  c=1.0, estimate=2.0)
    b = BootInput(clusters=np.array(["2", "3", "4"]), psi=np.array([1.0, 0.0, 0.0]), k=None,
                  c=1.0, estimate=2.0)
    res = romano_wolf({"a": a, "b": b}, reps=999, seed=5)
    assert res["p_value_rw"].to_list() == res["p_value_boot"].to_list()
    assert BootInput.from_frame(a.to_frame("a", "x")).t == pytest.approx(a.t)


def test_a_family_of_25_claim_models_costs_seconds():
    """Working form of a claim-shaped model (6,000 rows, 150 juniors, dyad and senior × year
    effects) and the Romano-Wolf step of a 25-model family at B = 9,999 take seconds."""
    spec = claim_spec()
    df = check(spec, prepare(spec, panel(13)))
    est = estimate(spec, df)
    start = time.perf_counter()
    inp = boot_input(est.work, "x:z", "junior", cr1_k(spec, df))
    per_model = time.perf_counter() - start
    rng = np.random.default_rng(2)
    family = {f"m{i}": BootInput(clusters=inp.clusters, psi=inp.psi * rng.uniform(0.5, 2),
                                 k=inp.k, c=inp.c, estimate=inp.estimate) for i in range(25)}
    start = time.perf_counter()
    romano_wolf(family, reps=9999, seed=1)
    adjust = time.perf_counter() - start
    assert per_model < 2 and adjust < 10, (per_model, adjust)


def test_few_clusters_get_bootstrap_pvalues_for_weighted_and_glm_models():
    """With 4 seniors as a clustering dimension, weighted FE-OLS gets a WCR p-value (the
    wildboottest package on the √n-scaled design) and the fractional logit a score-bootstrap
    p-value; both are reproducible and named in the SE note."""
    df = panel(14, juniors=60, seniors=4, years=10)
    two_way = ("junior", "senior")
    ols = fit(claim_spec(cluster=two_way, bootstrap_reps=999), df)
    again = fit(claim_spec(cluster=two_way, bootstrap_reps=999), df)
    row = ols.coefficients.filter(pl.col("term") == "x:z").row(0, named=True)
    assert 0 <= row["p_value_wild"] <= 1  # 4 seniors: 16 enumerated draws
    assert ols.coefficients.equals(again.coefficients)
    assert "wild cluster bootstrap (WCR" in ols.stats["se_type"]
    assert "by senior ally" in ols.stats["se_type"]
    frac = fit(claim_spec(estimator="fe_fractional_logit", cluster=two_way, bootstrap_reps=999),
               panel(14, juniors=60, seniors=4, years=10, fractional=True))
    assert frac.coefficients["p_value_wild"].null_count() == 0
    assert "score bootstrap" in frac.stats["se_type"]


def test_wcr_with_nested_fixed_effects_equals_the_dummy_design():
    """Partialling out fixed effects nested in the bootstrap cluster (senior × year within
    senior) gives the wild cluster bootstrap p-value of the full dummy design. (Dyad and
    senior × year dummies together would be collinear, so the reference uses one FE.)"""
    import statsmodels.api as sm
    from wildboottest.wildboottest import wildboottest

    from pipeline.lib.regressions.sm_fit import design

    spec = claim_spec(cluster=("senior",), fixed_effects=("senior^year",), bootstrap_reps=999)
    df = check(spec, prepare(spec, panel(15, juniors=40, seniors=12, years=10)))
    got = fit(spec, df).coefficients.filter(pl.col("term") == "x:z")["p_value_wild"][0]
    y, x = design(spec, df)
    root = np.sqrt(df["n"].to_numpy().astype(float))
    full = wildboottest(sm.OLS(y * root, x.mul(root, axis=0)), B=999, param="x:z",
                        cluster=df["senior"].to_numpy(), seed=20240601, show=False,
                        parallel=False)
    assert got == pytest.approx(float(full["p-value"].iloc[0]), abs=1e-12)
