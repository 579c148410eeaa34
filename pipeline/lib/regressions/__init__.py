"""Declared regressions: TOML spec -> estimation frame -> fit -> tidy tables (METHODS §7-8).

Public API::

    specs = load_specs(MODELS_DIR)                 # list[ModelSpec]; SpecError on bad files
    result = fit(spec, load_frame(spec, con))      # FitResult; ModelError if degenerate
    fits, skipped = run_specs(specs, con)          # skipped: {model: reason}
    coefficients, stats = tidy_all(fits)           # polars; stats long (model, stat, value)
"""

from pipeline.lib.regressions.errors import ModelError
from pipeline.lib.regressions.fixest import panelols_crosscheck
from pipeline.lib.regressions.frames import load_frame, prepare
from pipeline.lib.regressions.parse import load_specs, parse_file
from pipeline.lib.regressions.results import (
    WILD_CLUSTER_THRESHOLD,
    WILD_SEED,
    FitResult,
    fit,
    run_specs,
    tidy_all,
)
from pipeline.lib.regressions.specs import ModelSpec, Sample, SpecError

__all__ = [
    "WILD_CLUSTER_THRESHOLD",
    "WILD_SEED",
    "FitResult",
    "ModelError",
    "ModelSpec",
    "Sample",
    "SpecError",
    "fit",
    "load_frame",
    "load_specs",
    "panelols_crosscheck",
    "parse_file",
    "prepare",
    "run_specs",
    "tidy_all",
]
