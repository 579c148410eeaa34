"""Dagster entry point: autoload everything under ``pipeline/defs`` and run steps in process.

DuckDB allows one writer per file, so steps run in one process, one at a time.
"""

from pathlib import Path

import dagster as dg


@dg.definitions
def defs() -> dg.Definitions:
    return dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
        dg.Definitions(executor=dg.in_process_executor),
    )
