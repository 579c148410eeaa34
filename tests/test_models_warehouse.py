"""Shipped model specs on the real warehouse (read-only): fit or skip cleanly, never crash."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from pipeline.lib.paths import MODELS_DIR
from pipeline.lib.regressions import (
    ModelError,
    load_frame,
    load_specs,
    panelols_crosscheck,
    prepare,
    run_specs,
    tidy_all,
)

SKIP_REASONS = ("no observations",)


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
    specs = load_specs(MODELS_DIR)
    fits, skipped = run_specs(specs, con)
    return specs, fits, skipped


def test_every_spec_fits_or_skips_for_missing_data(outcome):
    """Each spec either fits or is skipped only because its source data are not loaded yet."""
    specs, fits, skipped = outcome
    assert len(fits) + len(skipped) == len(specs)
    assert all(r.startswith(SKIP_REASONS) for r in skipped.values()), skipped
    assert all(("_de_" in n) or n.startswith("icews") for n in skipped)


def test_igo_models_fit_with_many_clusters(outcome):
    """The IGO UN-opposition FE models fit on hundreds of dyad clusters."""
    _, fits, _ = outcome
    un = [r for r in fits if r.spec.name.startswith("un_oppose_all_igo")]
    assert len(un) == 5
    assert all(r.stats["n_clusters"] > 500 and r.stats["nobs"] > 20_000 for r in un)
    coefs, stats = tidy_all(fits)
    assert coefs["model"].n_unique() == len(fits)
    assert stats.filter(pl.col("stat") == "se_type").height == len(fits)


def test_pyfixest_matches_linearmodels_on_real_panel(con):
    """On the real UN-opposition panel, pyfixest and PanelOLS coefficients agree to 1e-6."""
    spec = next(s for s in load_specs(MODELS_DIR) if s.name == "un_oppose_all_igo_full_rank_fe")
    check = panelols_crosscheck(spec, prepare(spec, load_frame(spec, con)))
    assert check["abs_diff"].max() < 1e-6


def test_missing_column_is_a_model_error(con):
    """A spec naming a column the panel lacks raises ModelError, not a SQL error."""
    spec = next(s for s in load_specs(MODELS_DIR) if s.name == "un_oppose_all_igo_full_rank_fe")
    bad = type(spec)(**{**spec.__dict__, "explanatory": ("no_such_column_l1",)})
    with pytest.raises(ModelError, match="no_such_column_l1"):
        load_frame(bad, con)
