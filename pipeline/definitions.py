"""Dagster entry point: autoload everything under ``pipeline/defs`` and run steps in process.

DuckDB allows one writer per file, so steps run in one process, one at a time. Code versions
and owners are applied to every asset in one place (``with_operations``) so the UI shows them.
"""

from pathlib import Path

import dagster as dg

from pipeline.defs.automation import with_operations


@dg.definitions
def defs() -> dg.Definitions:
    return with_operations(dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
        dg.Definitions(executor=dg.in_process_executor),
    ))
