"""Where the pipeline reads and writes, resolved from the package and environment variables.

Environment variables (all optional):

``PIPELINE_RAW_DIRS``
    ``os.pathsep``-separated list of directories searched, in order, for ``<source>/<file>``.
    Default: ``data/raw`` then the shared mirror ``../shared/data/raw`` (relative to the repo).
``PIPELINE_DERIVED``
    Directory for generated outputs. Default ``data/derived``.
``PIPELINE_WAREHOUSE``
    DuckDB file. Default ``<derived>/warehouse.duckdb``.
``DAGSTER_HOME``
    Dagster's instance (its record of runs, versions and checks). Default
    ``<derived>/dagster_home``.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
MODELS_DIR = REPO_ROOT / "models"


def raw_dirs() -> list[Path]:
    """Directories searched for raw source folders, highest priority first."""
    env = os.environ.get("PIPELINE_RAW_DIRS")
    if env:
        return [Path(p).expanduser().resolve() for p in env.split(os.pathsep) if p]
    return [REPO_ROOT / "data" / "raw", (REPO_ROOT.parent / "shared" / "data" / "raw").resolve()]


def derived_dir() -> Path:
    return Path(os.environ.get("PIPELINE_DERIVED", REPO_ROOT / "data" / "derived")).expanduser()


def warehouse_path() -> Path:
    env = os.environ.get("PIPELINE_WAREHOUSE")
    return Path(env).expanduser() if env else derived_dir() / "warehouse.duckdb"


def dagster_home_path() -> Path:
    """``$DAGSTER_HOME``, else ``<derived>/dagster_home`` (not created here)."""
    env = os.environ.get("DAGSTER_HOME")
    return Path(env).expanduser() if env else derived_dir() / "dagster_home"
