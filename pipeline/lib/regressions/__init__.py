"""Declared regressions: TOML spec -> estimation frame -> fit -> tidy tables (METHODS §7-8).

Public API::

    specs = load_specs(MODELS_DIR)                 # list[ModelSpec]; SpecError on bad files
    result = fit(spec, load_frame(spec, con))      # FitResult; ModelError if degenerate
    fits, skipped = run_specs(specs, con)          # skipped: {model: reason}
    coefficients, stats = tidy_all(fits)           # polars; stats long (model, stat, value)
"""

from pipeline.lib.regressions.bootstrap import BootInput, romano_wolf, stepdown
from pipeline.lib.regressions.errors import ModelError, SpecError
from pipeline.lib.regressions.family import RW_REPS, RW_SEED, family_pvalues, with_family_pvalues
from pipeline.lib.regressions.fixest import panelols_crosscheck
from pipeline.lib.regressions.frames import load_frame, prepare
from pipeline.lib.regressions.parse import load_specs, parse_file
from pipeline.lib.regressions.results import (
    COEF_SCHEMA,
    FitResult,
    boot_table,
    fit,
    run_specs,
    tidy_all,
)
from pipeline.lib.regressions.specs import ModelSpec, Sample
from pipeline.lib.regressions.wild import WILD_CLUSTER_THRESHOLD, WILD_SEED

__all__ = [
    "COEF_SCHEMA",
    "RW_REPS",
    "RW_SEED",
    "WILD_CLUSTER_THRESHOLD",
    "WILD_SEED",
    "BootInput",
    "FitResult",
    "ModelError",
    "ModelSpec",
    "Sample",
    "SpecError",
    "boot_table",
    "family_pvalues",
    "fit",
    "load_frame",
    "load_specs",
    "panelols_crosscheck",
    "parse_file",
    "prepare",
    "romano_wolf",
    "run_specs",
    "stepdown",
    "tidy_all",
    "with_family_pvalues",
]
