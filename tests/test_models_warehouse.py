"""Shipped model specs on the real warehouse (read-only): the primary and its robustness family
fit or skip for a stated data reason, never crash; estimation checks on the real panel (FE-Poisson
and NB2 log-likelihoods, within R², a PanelOLS cross-check, the Romano-Wolf family)."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import polars as pl
import pytest
import statsmodels.api as sm

from pipeline.lib.regressions import (
    ModelError,
    fit,
    load_frame,
    load_specs,
    panelols_crosscheck,
    prepare,
    run_specs,
    tidy_all,
)
from pipeline.lib.regressions.validate import check
from pipeline.lib.store.paths import MODELS_DIR

DATA_REASONS = ("no observations", "all fixed-effect groups are singletons")


@pytest.fixture(scope="module")
def con(built_warehouse):
    """Read-only connection to the session's warehouse built from the real data."""
    _, path = built_warehouse
    connection = duckdb.connect(str(path), read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def outcome(con):
    """All shipped specs run once against the warehouse."""
    specs = load_specs(MODELS_DIR, require_primary=True)
    fits, skipped = run_specs(specs, con)
    return specs, fits, skipped


def _spec(outcome, name: str):
    return next(s for s in outcome[0] if s.name == name)


def _stats(outcome, name: str) -> dict:
    return next(r.stats for r in outcome[1] if r.spec.name == name)


def test_the_primary_fits_and_every_skip_has_a_data_reason(outcome):
    """The primary fits on > 100 junior clusters; a skipped spec lacks its data (no ATOP file,
    only sample event files, COPDAB's few series), never a crash."""
    specs, fits, skipped = outcome
    assert len(fits) + len(skipped) == len(specs)
    assert "primary" in {r.spec.name for r in fits}
    assert all(r.startswith(DATA_REASONS) for r in skipped.values()), skipped
    stats = _stats(outcome, "primary")
    assert stats["n_clusters"] > 100 and stats["nobs"] > 4_000
    assert stats["fixed_effects"] and stats["weights"]


def test_pyfixest_matches_linearmodels_on_the_real_panel(con, outcome):
    """Unweighted primary with dyad and year effects: pyfixest and PanelOLS agree to 1e-6."""
    spec = _spec(outcome, "primary").model_copy(update={
        "weights": None, "fixed_effects": ("dyad", "year"), "name": "crosscheck"})
    got = panelols_crosscheck(spec, prepare(spec, load_frame(spec, con)))
    assert got["abs_diff"].max() < 1e-6


def test_missing_column_is_a_model_error(con, outcome):
    """A spec naming a column the panel lacks raises ModelError, not a SQL error."""
    bad = _spec(outcome, "primary").model_copy(update={"explanatory": ("no_such_column_l1",),
                                                       "interactions": (), "key": None})
    with pytest.raises(ModelError, match="no_such_column_l1"):
        load_frame(bad, con)


def _count_spec(outcome, estimator: str, fixed_effects: tuple[str, ...]):
    """ICEWS conflict counts J->P on the status deficit, exposure = all J->P events."""
    labels = {**_spec(outcome, "rob_netify").labels,
              "netify_verbConf": "ICEWS verbal conflict events J→P"}
    return _spec(outcome, "rob_netify").model_copy(update={
        "name": f"count_{estimator}", "dependent": "netify_verbConf", "estimator": estimator,
        "weights": None, "exposure": "netify_n", "fixed_effects": fixed_effects,
        "explanatory": ("si_pct_de_indegree_global_l1",), "interactions": (), "key": None,
        "robustness_family": None, "labels": labels})


def test_fe_poisson_loglik_is_the_dummy_glm_loglik_on_the_real_panel(con, outcome):
    """FE-Poisson log-likelihood from the real outcome equals the dyad- and year-dummy Poisson
    GLM's on the same rows (pyfixest's transformed response gave a value 5x too low)."""
    spec = _count_spec(outcome, "fe_poisson", ("dyad", "year"))
    df = check(spec, prepare(spec, load_frame(spec, con)))
    pdf = df.to_pandas()
    x = sm.add_constant(pd.concat([pdf[list(spec.regressors)]] + [
        pd.get_dummies(pdf[fe], prefix=fe, drop_first=True, dtype=float)
        for fe in spec.fe_columns], axis=1).astype(float))
    ref = sm.GLM(pdf[spec.dependent].astype(float), x, family=sm.families.Poisson(),
                 offset=np.log(pdf[spec.exposure].astype(float))).fit()
    assert fit(spec, df).stats["loglik"] == pytest.approx(ref.llf, rel=1e-7)


def test_negbin_reaches_the_maximum_on_the_real_panel(con, outcome):
    """NB2 on the real counts: no Newton step from statsmodels' own optimum improves ours."""
    spec = _count_spec(outcome, "negbin", ())
    df = check(spec, prepare(spec, load_frame(spec, con)))
    ours = fit(spec, df).stats["loglik"]
    pdf = df.to_pandas()
    ref = sm.NegativeBinomial(pdf[spec.dependent].astype(float),
                              sm.add_constant(pdf[list(spec.regressors)].astype(float)),
                              exposure=pdf[spec.exposure].astype(float)).fit(
        method="newton", maxiter=200, tol=1e-12, disp=0)
    assert ours >= ref.llf - 1e-8


def test_fe_tables_report_within_r2_and_the_sample_years(outcome):
    """FE models report the within R² (below the full R²) and the estimation sample's years:
    the ICEWS-count model covers 2002-2011 (netify starts in 2002; the family stops in 2011),
    not its declared 1946-2011."""
    stats = _stats(outcome, "primary")
    assert 0 < stats["r2_within"] < stats["r2"]
    assert _stats(outcome, "rob_netify")["years"] == "2002–2011"


def test_romano_wolf_family_on_the_real_panel(outcome):
    """Every fitted model of the family 'claim' gets an adjusted p at least its bootstrap p."""
    _, fits, _ = outcome
    coefs, _ = tidy_all(fits)
    key = coefs.filter(pl.col("is_key"), pl.col("robustness_family") == "claim")
    assert key.height == len([r for r in fits if r.spec.robustness_family == "claim"]) > 15
    assert key["p_value_rw"].null_count() == 0
    assert (key["p_value_rw"] >= key["p_value_boot"] - 1e-12).all()
