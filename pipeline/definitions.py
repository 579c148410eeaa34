"""Dagster entry point: autoload everything under ``pipeline/defs`` and run steps in process.

DuckDB allows one writer per file, so steps run in one process, one at a time. Every asset
gets here, in one place, what the UI and Dagster's versioning need: its code version (a hash
of the code it runs, :mod:`pipeline.defs.versions`), its automation condition
(:mod:`pipeline.defs.automation`) and an owner.
"""

import warnings
from pathlib import Path

import dagster as dg

from pipeline.defs.automation import condition_for
from pipeline.defs.versions import code_version, defining_module

# Dagster marks spec mapping as preview on every load; it works as documented and the
# message says nothing a user can act on.
warnings.filterwarnings("ignore", message=r"Function `Definitions\.\w*map_\w*asset_specs`")


def _operated(defs: dg.Definitions) -> dg.Definitions:
    graph = defs.resolve_asset_graph()
    modules = {k: defining_module(graph.get(k).assets_def)
               for k in graph.materializable_asset_keys}

    def operate(spec: dg.AssetSpec) -> dg.AssetSpec:
        code = spec.code_version or (code_version(modules[spec.key]) if spec.key in modules
                                     else None)
        return spec.replace_attributes(
            code_version=code, owners=spec.owners or ["team:research"],
            automation_condition=spec.automation_condition or condition_for(spec.key))

    # permissive: the observed inputs (SourceAssets) are left as they are defined
    return defs.permissive_map_resolved_asset_specs(func=operate, selection=None)


@dg.definitions
def defs() -> dg.Definitions:
    return _operated(dg.Definitions.merge(
        dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
        dg.Definitions(executor=dg.in_process_executor),
    ))
