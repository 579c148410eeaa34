"""Shared fixtures: the real datasets in ../shared/data/raw, and an isolated warehouse."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipeline.lib.store.paths import REPO_ROOT

SHARED_RAW = (REPO_ROOT.parent / "shared" / "data" / "raw").resolve()


@pytest.fixture(scope="session")
def raw() -> Path:
    """Root of the real public datasets; skips locally when absent, fails under CI."""
    if not SHARED_RAW.is_dir():
        msg = f"the real datasets are not at {SHARED_RAW} (the shared mirror beside the repo)"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {msg}")
        pytest.skip(msg)
    return SHARED_RAW


@pytest.fixture
def warehouse(tmp_path, monkeypatch) -> Path:
    """A fresh warehouse file and derived dir under tmp_path, set through the environment."""
    monkeypatch.setenv("PIPELINE_DERIVED", str(tmp_path / "derived"))
    path = tmp_path / "derived" / "warehouse.duckdb"
    monkeypatch.setenv("PIPELINE_WAREHOUSE", str(path))
    return path


@pytest.fixture(scope="session")
def cold_run(raw, tmp_path_factory):
    """The whole graph materialized once from the real data into a fresh warehouse.

    Returns (the run's outcome, its derived folder: warehouse, Dagster's record under
    ``dagster_home``, tables and figures). Shared by every test that needs a built warehouse,
    so the suite pays for one cold run; a test that changes anything works on a copy.
    """
    mp = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("built")
    mp.setenv("PIPELINE_RAW_DIRS", str(raw))
    mp.setenv("PIPELINE_DERIVED", str(root))
    mp.setenv("PIPELINE_WAREHOUSE", str(root / "warehouse.duckdb"))
    mp.delenv("DAGSTER_HOME", raising=False)
    try:
        from pipeline.runner import materialize_all

        outcome = materialize_all()
    finally:
        mp.undo()
    return outcome, root


@pytest.fixture(scope="session")
def built_warehouse(cold_run) -> tuple[bool, Path]:
    """(the cold run succeeded, its warehouse path); derived outputs sit beside it."""
    outcome, root = cold_run
    return bool(outcome), root / "warehouse.duckdb"
