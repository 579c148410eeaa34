"""``models/paper_outputs``: the tables, figures and PROVENANCE.json a paper takes, written
from the fitted models and the case series (:mod:`pipeline.lib.outputs`)."""

import dagster as dg

from pipeline.defs import keys
from pipeline.defs.resources import Warehouse
from pipeline.lib.outputs import exports
from pipeline.lib.store.paths import derived_dir
from pipeline.records import asset_versions


@dg.asset(key=keys.models("paper_outputs"), group_name="models", kinds={"matplotlib", "latex"},
          deps=[keys.models("coefficients"), keys.models("case_models"), keys.derived("case_series")])
def paper_outputs(context: dg.AssetExecutionContext, warehouse: Warehouse) -> dg.MaterializeResult:
    """Regression tables (LaTeX, HTML, Markdown, CSV) under data/derived/tables, the
    robustness summary and figures (PNG, PDF) under data/derived/figures, with versions:
    PROVENANCE.json lists the code and data versions Dagster recorded for every table."""
    assets = asset_versions(context.instance)
    assets.pop(context.asset_key.to_user_string(), None)  # this run's is not recorded yet
    written = exports.export_all(warehouse.con, derived_dir(), assets=assets)
    return dg.MaterializeResult(metadata={
        "files": len(written),
        "outputs": dg.MetadataValue.md("\n".join(f"- `{k}`: {v}" for k, v in written.items())),
    })

